//! `tribune deliveries`: the delivery queue as an operator reads it (activities' progress,
//! hosts' state and last failure, tab-separated; or the failed deliveries one by one), and
//! `deliveries retry HOST`.

use super::{DeliveriesCommand, Failure, output};
use crate::{
    app::deliveries::{self, DeliveryError},
    config::Settings,
    db::{
        self,
        read::deliveries::{ActivityProgress, HostProgress},
    },
    state::AppState,
};

pub async fn run(
    settings: Settings,
    action: Option<DeliveriesCommand>,
    activity: Option<String>,
    limit: i64,
    failed: bool,
) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = match action {
        Some(DeliveriesCommand::Retry { host }) => retry(&state, &host).await,
        None if failed => report_failed(&state, activity.as_deref(), limit).await,
        None => report(&state, activity.as_deref(), limit).await,
    };
    state.db.close().await;
    result
}

async fn retry(state: &AppState, host: &str) -> Result<(), Failure> {
    let host = host.trim();
    match deliveries::retry_host(state, host).await {
        Ok(0) => out!(
            "nothing to retry to {}: no delivery to it is pending or given up",
            output::cell(host)
        ),
        Ok(n) => out!(
            "retrying {n} deliver{} to {} now",
            if n == 1 { "y" } else { "ies" },
            output::cell(host)
        ),
        Err(DeliveryError::Internal(e)) => return Err(Failure::Other(e)),
        Err(e) => return Err(Failure::Other(anyhow::anyhow!("{e}"))),
    }
    Ok(())
}

/// The progress of the activity `id`; an unknown id is an error that names it.
async fn recorded(state: &AppState, id: &str) -> Result<ActivityProgress, Failure> {
    db::read::deliveries::progress_of(&state.db, id)
        .await
        .map_err(|e| Failure::Other(e.into()))?
        .ok_or_else(|| {
            Failure::Other(anyhow::anyhow!(
                "no activity {} is recorded (see `tribune deliveries` for the latest)",
                output::cell(id)
            ))
        })
}

/// The refused and given-up deliveries, one line per inbox, with why they ended.
async fn report_failed(
    state: &AppState,
    activity: Option<&str>,
    limit: i64,
) -> Result<(), Failure> {
    if let Some(id) = activity {
        recorded(state, id).await?;
    }
    let rows = db::read::deliveries::failed(&state.db, activity, limit)
        .await
        .map_err(|e| Failure::Other(e.into()))?;
    out!("inbox\tactivity\tstate\tattempts\tlast status\tlast error");
    for d in rows {
        out!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            output::cell(&d.inbox),
            output::cell(&d.activity_id),
            d.state.replace('_', " "),
            d.attempts,
            status(d.last_status),
            d.last_error.as_deref().map_or("-".into(), output::cell)
        );
    }
    Ok(())
}

/// An HTTP status as a cell: `-` when there was no answer.
fn status(s: Option<i32>) -> String {
    s.map_or_else(|| "-".into(), |s| s.to_string())
}

/// Activities' progress, then hosts' state: of the one activity asked for (an unknown id is
/// an error, not empty tables), else of the latest activities and every host.
async fn report(state: &AppState, activity: Option<&str>, limit: i64) -> Result<(), Failure> {
    let db = &state.db;
    let internal = |e: db::DbError| Failure::Other(e.into());
    let (activities, hosts) = match activity {
        Some(id) => {
            let progress = recorded(state, id).await?;
            let hosts = db::read::deliveries::activity_hosts(db, id, limit)
                .await
                .map_err(internal)?;
            (vec![progress], hosts)
        }
        None => (
            db::read::deliveries::progress(db, limit)
                .await
                .map_err(internal)?,
            db::read::deliveries::hosts(db, limit)
                .await
                .map_err(internal)?,
        ),
    };
    out!("activity\tkind\tdelivered\tpending\tfailed\tgiven up");
    for a in activities {
        out!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            a.id,
            a.kind,
            a.delivered,
            a.pending,
            a.failed,
            a.given_up
        );
    }
    out!();
    out!("host\tdelivered\tpending\tfailed\tnext attempt\tlast status\tlast error");
    for h in &hosts {
        out!("{}", host_line(h));
    }
    Ok(())
}

/// A host's line: `failed` counts the refused and the given up, as it always has; the last
/// status (`-` without an answer) and error are those of a pending, given-up or refused
/// delivery.
fn host_line(h: &HostProgress) -> String {
    let next = h
        .next_attempt_at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into());
    let last_status = status(h.last_status);
    let error = h.last_error.as_deref().map_or("-".into(), output::cell);
    format!(
        "{}\t{}\t{}\t{}\t{next}\t{last_status}\t{error}",
        output::cell(&h.host),
        h.delivered,
        h.pending,
        h.failed + h.given_up,
    )
}
