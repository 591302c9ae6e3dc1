//! The server's background loops: count refreshes when due, the coalition's key reloaded
//! after a rotation, and the wake-ups that other processes' writes cause.

use std::{sync::atomic::Ordering, time::Duration};

use tokio::sync::watch;

use crate::{
    db::{self, Db},
    state::AppState,
    util::now_ms,
};

/// How long a loop waiting on `Wakeup` sleeps at most, should a change go unseen (a
/// PostgreSQL listener reconnecting, say).
const FALLBACK_POLL: Duration = Duration::from_secs(30);

/// Pick up a key stored by `tribune keys rotate` (in another process) once the database
/// tells us it changed.
pub async fn watch_keys(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut changes = state.wakeup.subscribe();
    loop {
        match db::local_actor::get(&state.db).await {
            Ok(Some(row)) => match state
                .keyring
                .replace(&row.public_key_pem, &row.private_key_pem)
            {
                Ok(true) => {
                    tracing::info!("the coalition's key was rotated: now signing with the new one");
                    // The cached actor document carries the old key.
                    state.wakeup.notify();
                }
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "the stored key cannot be read"),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "checking the coalition's key"),
        }
        tokio::select! {
            _ = changes.changed() => {},
            () = tokio::time::sleep(FALLBACK_POLL) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Send count refreshes of statements when they are due: sleep until the earliest, or
/// until the database changes (a refresh asked for meanwhile).
pub async fn refresh_counts(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut changes = state.wakeup.subscribe();
    loop {
        if let Err(e) = super::cosign::send_due_refreshes(&state).await {
            tracing::error!(error = %e, "sending count refreshes failed");
        }
        let wait = match db::cosign::next_refresh_ms(&state.db).await {
            Ok(Some(due)) => {
                Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0)).min(FALLBACK_POLL)
            }
            Ok(None) => FALLBACK_POLL,
            Err(e) => {
                tracing::warn!(error = %e, "reading the next count refresh");
                FALLBACK_POLL
            }
        };
        tokio::select! {
            _ = changes.changed() => {},
            () = tokio::time::sleep(wait.max(Duration::from_millis(100))) => {},
            _ = stop.changed() => return,
        }
    }
}

/// How long after a change the SQLite log is checkpointed: writes that come together are
/// copied together.
const CHECKPOINT_AFTER: Duration = Duration::from_millis(500);

/// Sooner while the log grows fast (it held `LONG_LOG` frames at the last checkpoint): each
/// checkpoint lets the inbox's writer start the log again (`Shared::log_copied`), which
/// must come before a commit finds it past the backstop (`wal_autocheckpoint`, 10,000
/// frames: half a second of B4's half rate).
const CHECKPOINT_SOONER: Duration = Duration::from_millis(150);
const LONG_LOG: i64 = 2_000;

/// On SQLite, copy the write-ahead log into the database file shortly after each burst of
/// writes (`Db::checkpoint`), so that no commit does it on the way (BENCHMARKS.md, B4). Woken
/// by the changes `watch_sqlite_files` sees: an idle server does nothing.
pub async fn checkpoint_sqlite(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut changes = state.wakeup.subscribe();
    let mut after = CHECKPOINT_AFTER;
    loop {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(after) => {},
            _ = stop.changed() => return,
        }
        changes.mark_unchanged();
        after = CHECKPOINT_AFTER;
        match state.db.checkpoint().await {
            Ok(Some((log, copied))) => {
                // Copied whole: a writer that begins now starts the log again, but one busy
                // without a pause never does, and the log would grow until a commit
                // checkpoints it on the way (`Shared::log_copied`).
                if log > 0 && copied == log {
                    state.log_copied.store(true, Ordering::Relaxed);
                }
                if log >= LONG_LOG {
                    after = CHECKPOINT_SOONER;
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "checkpointing the database's log"),
        }
    }
}

/// On PostgreSQL, other processes (another `serve`, a CLI command) NOTIFY when they queue
/// deliveries: wake our workers at once rather than at the next poll.
pub fn listen_for_wakeups(
    state: AppState,
    stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let Db::Postgres(_) = &state.db else {
        return None;
    };
    let db = state.db.clone();
    Some(tokio::spawn(async move {
        db::listen_for_notifications(&db, stop, || state.wakeup.notify()).await;
    }))
}

/// How often what the retention settings let go is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Prune, every hour, received activity ids and finished deliveries older than the
/// retention settings say (SECURITY.md, attack 5: nothing grows without bound).
pub async fn prune(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = prune_once(&state).await {
            tracing::warn!(error = %e, "pruning");
        }
        tokio::select! {
            () = tokio::time::sleep(PRUNE_EVERY) => {},
            _ = stop.changed() => return,
        }
    }
}

/// One pass; returns (received ids, deliveries, activities) removed.
pub async fn prune_once(state: &AppState) -> Result<(u64, u64, u64), db::DbError> {
    let r = state.settings.retention;
    let now = chrono::Utc::now();
    let days = |n: u32| chrono::Duration::days(i64::from(n));
    let horizon = now - days(r.received_activities_days);
    let received = db::received::prune(&state.db, horizon).await?
        + db::received::prune_undone(&state.db, horizon).await?;
    let before = now - days(r.finished_deliveries_days);
    let (deliveries, activities) =
        db::deliveries::prune_finished(&state.db, before.timestamp_millis(), before).await?;
    // Expired web admin sessions (docs/admin.md) are refused already; their rows go here.
    db::accounts::purge_sessions(&state.db, crate::util::now_ms()).await?;
    if received + deliveries + activities > 0 {
        tracing::info!(
            received,
            deliveries,
            activities,
            "pruned what retention lets go"
        );
    }
    Ok((received, deliveries, activities))
}
