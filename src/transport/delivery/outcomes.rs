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
    /// A request went out (not a postponement by an open breaker).
    pub(super) sent: bool,
    /// Told whether the outcome was committed.
    pub(super) done: tokio::sync::oneshot::Sender<bool>,
}

/// Record outcomes as they come, all those waiting in one transaction: while one commit
/// runs, the next batch gathers (group commit). A delivery's 2xx is so recorded for a
/// fraction of a commit each, not a commit each (BENCHMARKS.md, B2). Rows another process
/// took over while this one was sending them are counted in `taken_over`: each may be sent
/// twice. A postponement lost so is not counted: nothing went out.
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
            Ok(recorded) => {
                let lost = sent_and_lost(&batch, recorded);
                if lost > 0 {
                    taken_over.inc_by(lost);
                    tracing::warn!(
                        lost,
                        "delivery outcomes not recorded: another process claimed the rows \
                         meanwhile, this one's heartbeat or lease having lapsed; they may be \
                         sent twice"
                    );
                }
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

/// How many of the rows not recorded had been sent: those may reach their inbox twice.
fn sent_and_lost(batch: &[Finished], recorded: &[bool]) -> u64 {
    let lost = batch
        .iter()
        .zip(recorded)
        .filter(|(f, kept)| f.sent && !**kept);
    lost.count() as u64
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(id: i64, sent: bool) -> Finished {
        let (done, _) = tokio::sync::oneshot::channel();
        Finished {
            id,
            attempts: 1,
            owner: "a".into(),
            leased_until: 0,
            outcome: Outcome::Delivered { status: 202 },
            sent,
            done,
        }
    }

    /// Of the rows another process took over, only those a request went out for may reach
    /// their inbox twice: a breaker's postponement lost so is not counted.
    #[test]
    fn only_rows_sent_count_as_taken_over() {
        let batch = [
            finished(1, true),
            finished(2, false),
            finished(3, true),
            finished(4, false),
        ];
        assert_eq!(sent_and_lost(&batch, &[true, true, true, true]), 0);
        assert_eq!(sent_and_lost(&batch, &[false, true, true, true]), 1);
        assert_eq!(sent_and_lost(&batch, &[true, false, true, false]), 0);
        assert_eq!(sent_and_lost(&batch, &[false, false, false, false]), 2);
    }
}
