//! `statement publish --wait`: a progress bar until the new activities' deliveries end, and
//! an honest end: exit 1 when some were refused or given up (saying which hosts and why),
//! 75 when some are still pending at the timeout, and a word on standard error when no
//! `tribune serve` has claimed any of them after a few seconds.

use std::time::{Duration, Instant};

use crate::{
    app::statements::{Published, StatementError},
    cli::{Failure, output},
    db,
    state::AppState,
};

/// How long the deliveries may stay unclaimed before the wait says that no server seems to
/// be running (or at the timeout, if that comes first).
const NO_SERVER_AFTER: Duration = Duration::from_secs(5);

/// Said on standard error when no worker has claimed any of the deliveries.
const NO_SERVER: &str = "no `tribune serve` has picked up the deliveries yet: is the server \
                         running? they stay queued";

/// How a wait ended.
#[derive(Debug)]
pub enum Waited {
    /// Every delivery reached its inbox, or there was none, or nothing was waited for.
    Delivered,
    /// Some were refused or given up: why, host by host.
    Refused(String),
    /// Some were still pending at the timeout.
    Pending(String),
}

impl Waited {
    /// The command's end: success only when everything was delivered.
    pub fn ended(self) -> Result<(), Failure> {
        match self {
            Waited::Delivered => Ok(()),
            Waited::Refused(why) => Err(Failure::Other(anyhow::anyhow!(why))),
            Waited::Pending(what) => Err(Failure::Later(what)),
        }
    }
}

/// Show a progress bar until no delivery of `p`'s activities is pending, or `timeout`.
pub async fn wait_for(
    state: &AppState,
    p: &Published,
    timeout: Duration,
) -> Result<Waited, StatementError> {
    let total: u64 = p.inboxes();
    let ids: Vec<String> = p.activities.iter().map(|q| q.id.clone()).collect();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} inboxes {msg} ({elapsed})")
            .map_err(|e| StatementError::Internal(e.into()))?,
    );
    bar.set_message("(delivered by `tribune serve`)");
    let start = Instant::now();
    let mut said_no_server = false;
    loop {
        let now = db::read::deliveries::wait_progress(&state.db, &ids).await?;
        let ended = now.delivered + now.failed + now.given_up;
        let refused = now.failed + now.given_up;
        bar.set_position(u64::try_from(ended).unwrap_or(0));
        if refused > 0 {
            bar.set_message(format!("({refused} refused or given up)"));
        }
        if now.pending == 0 {
            if refused == 0 {
                bar.finish();
                return Ok(Waited::Delivered);
            }
            bar.abandon();
            return Ok(Waited::Refused(
                why_refused(state, &ids, refused, ended).await?,
            ));
        }
        let waited = start.elapsed();
        if !said_no_server
            && now.claimed == 0
            && (waited >= NO_SERVER_AFTER || waited >= timeout)
            && !db::read::deliveries::any_leased(&state.db, chrono::Utc::now().timestamp_millis())
                .await?
        {
            said_no_server = true;
            bar.suspend(|| eprintln!("{NO_SERVER}"));
        }
        if waited >= timeout {
            bar.abandon();
            return Ok(Waited::Pending(format!(
                "{} of {} deliveries still pending after {} s (--timeout); they stay queued: \
                 see `tribune deliveries`",
                now.pending,
                now.pending + ended,
                timeout.as_secs()
            )));
        }
        let left = timeout.saturating_sub(waited);
        tokio::time::sleep(Duration::from_millis(200).min(left)).await;
    }
}

/// `refused` of `ended` deliveries were refused or given up: how many, and each host's
/// count and last status and error.
async fn why_refused(
    state: &AppState,
    ids: &[String],
    refused: i64,
    ended: i64,
) -> Result<String, StatementError> {
    let mut why = format!(
        "{refused} of {ended} deliveries were refused or given up (see `tribune deliveries \
         --failed`):"
    );
    for id in ids {
        for h in db::read::deliveries::activity_hosts(&state.db, id, i64::MAX).await? {
            if h.failed + h.given_up == 0 {
                continue;
            }
            let status = h
                .last_status
                .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
            why.push_str(&format!(
                "\n  {}: {} refused, {} given up; last {status}: {}",
                output::cell(&h.host),
                h.failed,
                h.given_up,
                h.last_error.as_deref().map_or("-".into(), output::cell)
            ));
        }
    }
    Ok(why)
}
