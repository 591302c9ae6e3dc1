//! Boosts become co-signatures (docs/interop.md §4).
//!
//! An `Announce` of one of our statements is recorded with who signed, which version, and
//! the boost's visibility; `Undo{Announce}` and the actor's `Delete` withdraw it; an admin may
//! hide it. Each of these is appended to the statement's hash-chained ledger, with the signed
//! request kept for audit. `Like` is support: counted, not a signature.

use chrono::{SecondsFormat, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::{
    config::CosignAccept,
    db::{self, Tx, cosign::SignatureRow, deliveries::NewActivity},
    domain::ledger::{GENESIS, LedgerEntry, sha256_hex},
    state::AppState,
};
use crate::{
    federation::inbox::{Envelope, InboxError, Received, id_of},
    protocol::{
        PUBLIC,
        note::{self as wire, Counts},
    },
    util::now_ms,
};

/// The slug of one of our statements' ids, `BASE/statements/SLUG`.
pub fn our_slug<'a>(state: &AppState, object_id: &'a str) -> Option<&'a str> {
    let prefix = state.coalition.urls.base.join("/statements/");
    object_id
        .strip_prefix(prefix.as_str())
        .filter(|s| !s.is_empty() && !s.contains(['/', '?', '#']))
}

/// `public` when the boost is public or unlisted (as:Public in `to` or `cc`), else
/// `followers` (docs/interop.md §4).
fn visibility(activity: &Value) -> &'static str {
    let public = ["to", "cc"].iter().any(|k| match activity.get(*k) {
        Some(Value::String(s)) => is_public(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(is_public),
        _ => false,
    });
    if public { "public" } else { "followers" }
}

fn is_public(s: &str) -> bool {
    s == PUBLIC || s == "as:Public" || s == "Public"
}

/// The organisation types: Mastodon treats Organization as a person, but for a coalition an
/// association's account is an organisation whatever the server calls it.
const ORGANISATION_TYPES: [&str; 4] = ["Group", "Organization", "Service", "Application"];

async fn append(
    tx: &mut Tx,
    state: &AppState,
    sig: &SignatureRow,
    event: &str,
    reason: Option<&str>,
    request: Option<&str>,
) -> Result<(), InboxError> {
    db::cosign::lock_statement(tx, &sig.slug).await?;
    let (seq, prev) = match db::cosign::last_entry(tx, &sig.slug).await? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let sign = event == "sign";
    let entry = LedgerEntry {
        seq,
        statement: wire::statement_url(&state.coalition, &sig.slug),
        event: event.to_owned(),
        at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        actor: sig.actor_id.clone(),
        announce: sig.announce_id.clone(),
        version: sign.then_some(sig.version),
        version_hash: sign.then(|| sig.version_hash.clone()),
        visibility: sign.then(|| sig.visibility.clone()),
        class: sign.then(|| sig.class.clone()),
        counts: sign.then_some(sig.counts),
        reason: reason.map(str::to_owned),
        request_sha256: request.map(|r| sha256_hex(r.as_bytes())),
        prev,
    };
    let text = entry.canonical();
    let hash = sha256_hex(text.as_bytes());
    db::cosign::append(tx, &sig.slug, seq, &text, &hash, request).await?;
    Ok(())
}

async fn changed(state: &AppState, tx: &mut Tx, slug: &str) -> Result<(), InboxError> {
    let debounce =
        i64::try_from(state.settings.cosign.refresh_debounce_seconds * 1000).unwrap_or(i64::MAX);
    db::cosign::request_refresh(tx, slug, now_ms().saturating_add(debounce)).await?;
    Ok(())
}

pub async fn announce(
    state: &AppState,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let Some(object) = id_of(activity.object()) else {
        return Ok(Received::Ignored("an Announce of nothing"));
    };
    let Some(slug) = our_slug(state, object) else {
        return Ok(Received::Ignored(
            "an Announce of something that is not ours",
        ));
    };
    // Lock first: the inserts below take key-share locks on the statement row, and taking
    // them before the ledger's lock would let two boosts deadlock on PostgreSQL.
    db::cosign::lock_statement(tx, slug).await?;
    let Some(statement) = db::statements::get_in(tx, slug).await? else {
        return Ok(Received::Ignored("an Announce of no statement of ours"));
    };
    if statement.deleted_at.is_some() {
        return Ok(Received::Ignored("an Announce of a deleted statement"));
    }
    let actor_id = activity.actor.as_str();
    let actor = db::remote_actors::get_in(tx, actor_id)
        .await?
        .ok_or_else(|| InboxError::Internal(anyhow::anyhow!("the verified actor is not stored")))?;
    let class = if db::cosign::is_member(tx, actor_id).await? {
        "member"
    } else if ORGANISATION_TYPES.contains(&actor.kind.as_str()) {
        "organisation"
    } else {
        "person"
    };
    let counts = match state.settings.cosign.accept {
        CosignAccept::Anyone => true,
        CosignAccept::Organisations => class != "person",
        CosignAccept::Members => class == "member",
    };
    let sig = SignatureRow {
        announce_id: activity.id.to_string(),
        slug: slug.to_owned(),
        actor_id: actor_id.to_owned(),
        actor_kind: actor.kind.clone(),
        actor_name: actor.name.clone(),
        actor_handle: actor
            .preferred_username
            .as_ref()
            .map(|u| format!("{u}@{}", actor.host)),
        actor_icon: actor.icon_url.clone(),
        actor_host: actor.host.clone(),
        class: class.to_owned(),
        counts,
        visibility: visibility(&activity.raw).to_owned(),
        version: statement.current_version,
        version_hash: statement.version_hash.clone(),
        signed_at: Utc::now().trunc_subsecs(0),
        withdrawn_at: None,
        hidden_at: None,
        hidden_reason: None,
    };
    if !db::cosign::insert(tx, &sig).await? {
        return Ok(Received::Duplicate);
    }
    append(tx, state, &sig, "sign", None, activity.request.as_deref()).await?;
    changed(state, tx, slug).await?;
    Ok(Received::Applied)
}

async fn withdraw(
    state: &AppState,
    tx: &mut Tx,
    sig: &SignatureRow,
    request: Option<&str>,
) -> Result<(), InboxError> {
    if db::cosign::withdraw(tx, &sig.announce_id, Utc::now().trunc_subsecs(0)).await? {
        append(tx, state, sig, "withdraw", None, request).await?;
        changed(state, tx, &sig.slug).await?;
    }
    Ok(())
}

/// `Undo{Announce}`: the Announce embedded or by id (Pleroma and Akkoma send the id).
pub async fn undo_announce(
    state: &AppState,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let inner = activity.object();
    let actor = activity.actor.as_str();
    let mut found = match id_of(inner) {
        Some(id) => db::cosign::by_announce(tx, id)
            .await?
            .filter(|s| s.actor_id == actor && s.withdrawn_at.is_none())
            .into_iter()
            .collect::<Vec<_>>(),
        None => Vec::new(),
    };
    // An embedded Announce whose id we do not know: the actor's boosts of that statement.
    if found.is_empty()
        && let Some(slug) = inner
            .get("object")
            .and_then(id_of)
            .and_then(|o| our_slug(state, o))
    {
        found = db::cosign::active_of(tx, actor, Some(slug)).await?;
    }
    if found.is_empty() {
        return Ok(Received::Ignored("an Undo of no boost we know"));
    }
    withdraw_all(state, tx, found, activity.request.as_deref()).await?;
    Ok(Received::Applied)
}

/// Withdraw signatures, locking their statements in one order (slug) so that concurrent
/// withdrawals cannot deadlock.
async fn withdraw_all(
    state: &AppState,
    tx: &mut Tx,
    mut sigs: Vec<SignatureRow>,
    request: Option<&str>,
) -> Result<(), InboxError> {
    sigs.sort_by(|a, b| a.slug.cmp(&b.slug));
    for sig in &sigs {
        db::cosign::lock_statement(tx, &sig.slug).await?;
    }
    for sig in &sigs {
        withdraw(state, tx, sig, request).await?;
    }
    Ok(())
}

/// The actor's account is gone: all its signatures are withdrawn, its likes removed.
pub async fn actor_deleted(
    state: &AppState,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<(), InboxError> {
    let actor = activity.actor.as_str();
    let sigs = db::cosign::active_of(tx, actor, None).await?;
    withdraw_all(state, tx, sigs, activity.request.as_deref()).await?;
    for slug in db::cosign::remove_likes(tx, actor, None, None).await? {
        changed(state, tx, &slug).await?;
    }
    Ok(())
}

pub async fn like(
    state: &AppState,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let Some(slug) = id_of(activity.object()).and_then(|o| our_slug(state, o)) else {
        return Ok(Received::Ignored("a Like of something that is not ours"));
    };
    db::cosign::lock_statement(tx, slug).await?;
    match db::statements::get_in(tx, slug).await? {
        Some(s) if s.deleted_at.is_none() => {}
        _ => return Ok(Received::Ignored("a Like of no live statement of ours")),
    }
    if db::cosign::insert_like(tx, activity.id.as_str(), slug, activity.actor.as_str()).await? {
        changed(state, tx, slug).await?;
    }
    Ok(Received::Applied)
}

pub async fn undo_like(
    state: &AppState,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let inner = activity.object();
    let slug = inner
        .get("object")
        .and_then(id_of)
        .and_then(|o| our_slug(state, o));
    let removed = match (id_of(inner), slug) {
        (Some(id), _)
            if db::cosign::remove_likes(tx, activity.actor.as_str(), Some(id), None)
                .await?
                .is_empty() =>
        {
            match slug {
                Some(slug) => {
                    db::cosign::remove_likes(tx, activity.actor.as_str(), None, Some(slug)).await?
                }
                None => Vec::new(),
            }
        }
        (Some(_), _) => vec![slug.unwrap_or_default().to_owned()],
        (None, Some(slug)) => {
            db::cosign::remove_likes(tx, activity.actor.as_str(), None, Some(slug)).await?
        }
        (None, None) => Vec::new(),
    };
    if removed.is_empty() {
        return Ok(Received::Ignored("an Undo of no like we know"));
    }
    for slug in removed.iter().filter(|s| !s.is_empty()) {
        changed(state, tx, slug).await?;
    }
    Ok(Received::Applied)
}

/// Hide a signature (moderation); it stays in the ledger. Returns the hidden Announce ids.
pub async fn hide(
    state: &AppState,
    slug: &str,
    actor_or_announce: &str,
    reason: &str,
) -> Result<Vec<String>, InboxError> {
    let mut tx = state.db.begin().await?;
    let mut sigs: Vec<SignatureRow> = db::cosign::by_announce(&mut tx, actor_or_announce)
        .await?
        .filter(|s| s.slug == slug)
        .into_iter()
        .collect();
    if sigs.is_empty() {
        sigs = db::cosign::active_of(&mut tx, actor_or_announce, Some(slug)).await?;
    }
    db::cosign::lock_statement(&mut tx, slug).await?;
    let mut hidden = Vec::new();
    for sig in sigs.iter().filter(|s| s.hidden_at.is_none()) {
        if db::cosign::hide(
            &mut tx,
            &sig.announce_id,
            reason,
            Utc::now().trunc_subsecs(0),
        )
        .await?
        {
            append(&mut tx, state, sig, "hide", Some(reason), None).await?;
            hidden.push(sig.announce_id.clone());
        }
    }
    if !hidden.is_empty() {
        changed(state, &mut tx, slug).await?;
        // Other processes' cached pages, on PostgreSQL.
        db::deliveries::notify(&mut tx).await?;
    }
    tx.commit().await?;
    if !hidden.is_empty() {
        state.wakeup.notify();
    }
    Ok(hidden)
}

pub async fn counts(state: &AppState, slug: &str) -> Result<Counts, db::DbError> {
    let t = db::cosign::tally(&state.db, slug).await?;
    Ok(Counts {
        shares: t.shares,
        likes: t.likes,
    })
}

/// Send the due count refreshes: an `Update` of the Note whose `updated` is unchanged, so
/// Mastodon takes the new `shares`/`likes` totals without an "edited" mark
/// (docs/interop.md §4).
pub async fn send_due_refreshes(state: &AppState) -> Result<usize, anyhow::Error> {
    let now = now_ms();
    let mut sent = 0;
    for slug in db::cosign::due_refreshes(&state.db, now).await? {
        let mut tx = state.db.begin().await?;
        if !db::cosign::take_refresh(&mut tx, &slug, now).await? {
            continue;
        }
        let Some(row) = db::statements::get_in(&mut tx, &slug).await? else {
            continue;
        };
        if row.deleted_at.is_some() {
            tx.commit().await?;
            continue;
        }
        let note = wire::note(&state.coalition, &row, counts(state, &slug).await?)?;
        let at = row.updated_at.unwrap_or(row.published_at);
        let update = wire::wrap(&state.coalition, "Update", note, at);
        let id = update["id"].as_str().unwrap_or_default().to_owned();
        db::deliveries::fan_out(
            &mut tx,
            &NewActivity {
                id: &id,
                kind: "Update",
                body: &update.to_string(),
                in_outbox: false,
            },
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        state.wakeup.notify();
    }
    Ok(sent)
}

/// The public JSON of a current co-signer.
pub fn signer_json(state: &AppState, s: &SignatureRow) -> Value {
    json!({
        "type": "Announce",
        "id": s.announce_id,
        "actor": {
            "id": s.actor_id,
            "type": s.actor_kind,
            "name": s.actor_name,
            "preferredUsername": s.actor_handle.as_deref().and_then(|h| h.split('@').next()),
            "icon": s.actor_icon.as_ref().map(|u| json!({"type": "Image", "url": u})),
        },
        "object": wire::statement_url(&state.coalition, &s.slug),
        "published": s.signed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "class": s.class,
        "version": s.version,
        "versionHash": s.version_hash,
        "visibility": s.visibility,
    })
}
