//! Outcomes of deliveries, recorded by one task in batches (group commit).

use crate::{
    db::{
        Db,
        deliveries::{self, Outcome},
    },
    util::now_ms,
};

/// Outcomes recorded in one transaction at most.
pub(super) const OUTCOME_BATCH: usize = 256;

/// An outcome waiting to be recorded.
pub(super) struct Finished {
    pub(super) id: i64,
    pub(super) attempts: i32,
    /// The owner id the row was claimed under, and its lease's end.
    pub(super) owner: std::sync::Arc<str>,
    pub(super) leased_until: i64,
    pub(super) outcome: Outcome,
    /// Told whether the outcome was committed.
    pub(super) done: tokio::sync::oneshot::Sender<bool>,
}

/// Record outcomes as they come, all those waiting in one transaction: while one commit
/// runs, the next batch gathers (group commit). A delivery's 2xx is so recorded for a
/// fraction of a commit each, not a commit each (BENCHMARKS.md, B2). Rows another process
/// took over meanwhile are counted in `taken_over`: each may be sent twice.
pub(super) async fn record_outcomes(
    db: Db,
    mut outcomes: tokio::sync::mpsc::Receiver<Finished>,
    taken_over: prometheus_client::metrics::counter::Counter,
) {
    let mut batch = Vec::with_capacity(OUTCOME_BATCH);
    while outcomes.recv_many(&mut batch, OUTCOME_BATCH).await > 0 {
        let rows: Vec<deliveries::Finish<'_>> = batch
            .iter()
            .map(|f| deliveries::Finish {
                id: f.id,
                attempts: f.attempts,
                owner: &f.owner,
                leased_until: f.leased_until,
                outcome: &f.outcome,
            })
            .collect();
        let result = deliveries::finish_many(&db, &rows, now_ms()).await;
        match &result {
            Ok(0) => {}
            Ok(lost) => {
                taken_over.inc_by(*lost);
                tracing::warn!(
                    lost,
                    "delivery outcomes not recorded: another process claimed the rows meanwhile, \
                     this one's heartbeat or lease having lapsed; they may be sent twice"
                );
            }
            Err(e) => {
                tracing::error!(error = %e, n = rows.len(), "recording delivery outcomes failed");
            }
        }
        for f in batch.drain(..) {
            let _ = f.done.send(result.is_ok());
        }
    }
}

/// What an attempt (the `attempts`-th) means for its row: a transient failure is tried again
/// after the backoff, until `delivery.max_attempts`.
pub(super) fn of(
    attempt: super::Attempt,
    attempts: i32,
    settings: &crate::config::DeliverySettings,
) -> Outcome {
    use super::Attempt;
    match attempt {
        Attempt::Delivered(status) => Outcome::Delivered { status },
        Attempt::Final(status, error) => Outcome::Failed { status, error },
        Attempt::Transient(status, error)
            if attempts >= i32::try_from(settings.max_attempts).unwrap_or(i32::MAX) =>
        {
            Outcome::GivenUp {
                status,
                error: format!("gave up after {attempts} attempts: {error}"),
            }
        }
        Attempt::Transient(status, error) => Outcome::Retry {
            status,
            error,
            next_attempt_ms: now_ms() + super::backoff_ms(attempts, settings.backoff_unit_ms),
        },
    }
}
