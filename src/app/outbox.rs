//! Queue what we send: an activity stored once, with one delivery row per inbox, in the
//! caller's transaction (commit first, federate later).

use url::Url;

use crate::{
    db::{self, DbError, Tx, deliveries::NewActivity},
    protocol::activities::Activity,
    transport::outgoing,
    util::now_ms,
};

/// Whether an activity is listed in the coalition's outbox (public ones are; follow answers
/// and one-to-one activities are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    InOutbox,
    NotListed,
}

fn stored<'a>(activity: &'a Activity, body: &'a str, listed: Listed) -> NewActivity<'a> {
    NewActivity {
        id: &activity.id,
        kind: activity.kind.as_str(),
        body,
        in_outbox: listed == Listed::InOutbox,
    }
}

/// To every follower's delivery inbox (shared when it has one). Returns how many inboxes.
pub async fn to_followers(
    tx: &mut Tx<'_>,
    activity: &Activity,
    listed: Listed,
) -> Result<u64, DbError> {
    let body = activity.body();
    db::deliveries::fan_out(tx, &stored(activity, &body, listed), now_ms()).await
}

/// To the given inboxes only; an inbox that `outgoing::check` refuses is not queued.
pub async fn to_inboxes(
    tx: &mut Tx<'_>,
    activity: &Activity,
    inboxes: &[Url],
    listed: Listed,
    allow_private_addresses: bool,
) -> Result<(), DbError> {
    let inboxes: Vec<Url> = inboxes
        .iter()
        .filter(
            |inbox| match outgoing::check(inbox, allow_private_addresses) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(%inbox, error = %e, "not queued: refused address");
                    false
                }
            },
        )
        .cloned()
        .collect();
    let body = activity.body();
    db::deliveries::enqueue(tx, &stored(activity, &body, listed), &inboxes, now_ms()).await
}

/// To every follower and to the given inboxes. Returns how many inboxes in all.
pub async fn to_followers_and(
    tx: &mut Tx<'_>,
    activity: &Activity,
    also: &[Url],
    listed: Listed,
) -> Result<u64, DbError> {
    let body = activity.body();
    let new = stored(activity, &body, listed);
    let n = db::deliveries::fan_out(tx, &new, now_ms()).await?;
    if !also.is_empty() {
        // The mentioned actors were resolved and stored, their inboxes checked then.
        db::deliveries::enqueue(tx, &new, also, now_ms()).await?;
    }
    Ok(n + also.len() as u64)
}
