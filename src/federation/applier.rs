//! Group commit for the inbox: verified activities that arrive while a transaction is being
//! applied or committed wait, and are then applied together in one transaction, each inside
//! its own savepoint. A commit (an fsync on SQLite, a round trip and a WAL flush on
//! PostgreSQL) is shared by every activity of the batch, and the write lock is taken once.
//!
//! Nothing is answered before it is durable: an activity whose application fails is rolled
//! back to its savepoint and answered with its error at once; the others are answered 202
//! after the commit. If anything fails around the savepoints or the commit itself, every
//! activity not yet answered is applied again alone, as it would have been one by one (the
//! received-activities record makes a second application of one already committed a
//! duplicate, never a second effect).
//!
//! No batch waits for more activities to come: the batch is whatever arrived while the
//! previous one was busy, so a lone activity is applied at once.

use activitypub_federation::config::{Data, FederationConfig};
use tokio::sync::{mpsc, oneshot};

use super::{
    dispatch,
    envelope::{Envelope, InboxError},
};
use crate::{
    app::Received,
    db::{self, Tx},
    state::AppState,
};

/// The most activities one transaction applies.
const MAX_BATCH: usize = 128;

type Answer = oneshot::Sender<Result<Received, InboxError>>;

struct Job {
    envelope: Envelope,
    answer: Answer,
}

/// The handle the inbox hands verified activities to.
#[derive(Clone)]
pub struct Applier {
    jobs: mpsc::Sender<Job>,
}

impl Applier {
    /// Start applying. The task ends when every handle is gone (the server has stopped and
    /// finished its requests).
    pub fn start(federation: FederationConfig<AppState>) -> Applier {
        // Bounded by the inbox's processing places already (`in_process`): every job is
        // sent by a request holding one.
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run(federation, queue));
        Applier { jobs }
    }

    /// Apply a verified activity; answered once its effect is committed (or refused).
    pub async fn apply(&self, envelope: Envelope) -> Result<Received, InboxError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { envelope, answer })
            .await
            .map_err(|_| InboxError::TooBusy)?;
        answered.await.unwrap_or(Err(InboxError::TooBusy))
    }
}

async fn run(federation: FederationConfig<AppState>, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let data = federation.to_request_data();
        let batch = std::mem::take(&mut jobs);
        data.metrics.inbox_batch(batch.len());
        if batch.len() == 1 {
            for job in batch {
                alone(&data, job).await;
            }
        } else {
            together(&data, batch).await;
        }
    }
}

/// One activity in its own transaction: the path every activity took before batches.
async fn alone(data: &Data<AppState>, job: Job) {
    let outcome = async {
        let mut tx = data.db.begin().await?;
        let outcome = apply_in(data, &mut tx, &job.envelope).await?;
        tx.commit().await?;
        data.wakeup.notify();
        Ok(outcome)
    }
    .await;
    // The sender may have gone (its client hung up): the effect stays, as Mastodon's would.
    let _ = job.answer.send(outcome);
}

async fn together(data: &Data<AppState>, batch: Vec<Job>) {
    let mut tx = match data.db.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::warn!(error = %e, "cannot begin an inbox batch; applying one by one");
            for job in batch {
                alone(data, job).await;
            }
            return;
        }
    };
    let mut applied: Vec<(Job, Received)> = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some(job) = jobs.next() {
        match in_savepoint(data, &mut tx, &job.envelope).await {
            Ok(Ok(outcome)) => applied.push((job, outcome)),
            Ok(Err(refused)) => {
                let _ = job.answer.send(Err(refused));
            }
            Err(e) => {
                // The transaction itself is in doubt: start again, one by one, with every
                // activity not answered yet.
                tracing::warn!(error = %e, "an inbox batch failed; applying one by one");
                drop(tx);
                let left = applied.into_iter().map(|(job, _)| job);
                for job in left.chain(std::iter::once(job)).chain(jobs) {
                    alone(data, job).await;
                }
                return;
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {
            data.wakeup.notify();
            for (job, outcome) in applied {
                let _ = job.answer.send(Ok(outcome));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "an inbox batch did not commit; applying one by one");
            for (job, _) in applied {
                alone(data, job).await;
            }
        }
    }
}

/// Apply one activity inside a savepoint. The outer error means the transaction can no
/// longer be trusted; the inner one is the activity's own refusal, its effect undone.
async fn in_savepoint(
    data: &Data<AppState>,
    tx: &mut Tx,
    envelope: &Envelope,
) -> Result<Result<Received, InboxError>, db::DbError> {
    tx.savepoint().await?;
    match apply_in(data, tx, envelope).await {
        Ok(outcome) => {
            tx.release().await?;
            Ok(Ok(outcome))
        }
        Err(refused) => {
            tx.rollback_to().await?;
            Ok(Err(refused))
        }
    }
}

/// Record the activity's id (a second delivery of it is a duplicate) and apply it.
async fn apply_in(
    data: &Data<AppState>,
    tx: &mut Tx,
    envelope: &Envelope,
) -> Result<Received, InboxError> {
    if !db::received::record(
        tx,
        envelope.id.as_str(),
        envelope.actor.as_str(),
        &envelope.kind,
    )
    .await?
    {
        return Ok(Received::Duplicate);
    }
    dispatch::apply(data, tx, envelope).await
}
