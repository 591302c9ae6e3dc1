//! The server's background loops: count refreshes when due, the coalition's key reloaded
//! after a rotation, and the wake-ups that other processes' writes cause.

use std::time::Duration;

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

/// On SQLite, other processes (a CLI command, another `serve` on the same file) write to
/// the same files: look at their size and time four times a second — a `stat`, not a
/// query — and tell the loops when they changed.
pub async fn watch_sqlite_files(
    path: std::path::PathBuf,
    state: AppState,
    mut stop: watch::Receiver<bool>,
) {
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let files = [path, std::path::PathBuf::from(wal)];
    let stamp = || {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .map(|m| (m.len(), m.modified().ok()))
            })
            .collect::<Vec<_>>()
    };
    let mut last = stamp();
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(250)) => {},
            _ = stop.changed() => return,
        }
        let now = stamp();
        if now != last {
            last = now;
            state.wakeup.notify();
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
