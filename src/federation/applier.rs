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
//! The Announces of a batch (co-signatures, the inbox's bulk) are applied together inside one
//! savepoint, in a few statements for all of them; if that is refused, each is applied again
//! inside its own, so that an outcome is always what the activity would have had alone.
//!
//! No batch waits for more activities to come: the batch is whatever arrived while the
//! previous one was busy, so a lone activity is applied at once.

use std::{collections::VecDeque, sync::atomic::Ordering};

use activitypub_federation::config::{Data, FederationConfig};
use tokio::sync::{mpsc, oneshot};

use super::{
    dispatch,
    envelope::{Envelope, InboxError},
};
use crate::{
    app::Received,
    db::{self, Tx, Writer},
    protocol::incoming::Incoming,
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
    metrics: std::sync::Arc<crate::metrics::Metrics>,
}

impl Applier {
    /// Start applying, writing through `writer` (`Db::writer`: on SQLite, a connection of
    /// the inbox's own). The applier's thread ends when every handle is gone (the server has
    /// stopped and finished its requests).
    ///
    /// The second value completes once the applier has ended and closed its own connection.
    pub fn start(
        federation: FederationConfig<AppState>,
        writer: Writer,
    ) -> (Applier, oneshot::Receiver<()>) {
        let (ended, applier_ended) = oneshot::channel();
        // Bounded by the inbox's processing places already (`in_process`): every job is
        // sent by a request holding one.
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 4);
        let data = federation.to_request_data();
        let metrics = data.metrics.clone();
        if matches!(data.db, db::Db::Sqlite(_)) {
            on_own_thread(federation, writer, queue, ended);
        } else {
            on_server_runtime(federation, writer, queue, ended);
        }
        (Applier { jobs, metrics }, applier_ended)
    }

    /// Apply a verified activity; answered once its effect is committed (or refused).
    pub async fn apply(&self, envelope: Envelope) -> Result<Received, InboxError> {
        let started = std::time::Instant::now();
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { envelope, answer })
            .await
            .map_err(|_| InboxError::TooBusy)?;
        let answer = answered.await.unwrap_or(Err(InboxError::TooBusy));
        self.metrics.inbox_apply_seconds.observe(started.elapsed());
        answer
    }
}

/// Run the applier on a thread of its own, with a runtime that runs nothing else.
///
/// A batch is about seven statements in turn, each answered from SQLite's thread (or the
/// network), from outside the server's runtime. Woken from outside, a task of that runtime
/// joins a queue its workers look at only between the tasks they run already, and under load
/// requests keep them busy: the applier would wait there at every answer. On its own thread
/// it is woken by the system's scheduler instead (BENCHMARKS.md, B4: the applier's answers
/// at half rate). If that thread cannot be made, the applier runs on the server's runtime.
///
/// SQLite only: its connections answer through channels from threads of their own, while a
/// PostgreSQL connection opened here would be a socket of this runtime's, dead with it for
/// whoever uses it next from the pool once the server stops.
fn on_own_thread(
    federation: FederationConfig<AppState>,
    writer: Writer,
    queue: mpsc::Receiver<Job>,
    ended: Ended,
) {
    type Handed = (
        FederationConfig<AppState>,
        Writer,
        mpsc::Receiver<Job>,
        Ended,
    );
    let (hand, take) = std::sync::mpsc::sync_channel::<Handed>(1);
    let spawned = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .and_then(|runtime| {
            std::thread::Builder::new()
                .name("tribune-inbox".into())
                .spawn(move || {
                    if let Ok((federation, writer, queue, ended)) = take.recv() {
                        runtime.block_on(async {
                            run(federation, writer, queue).await;
                            settle().await;
                        });
                        let _ = ended.send(());
                    }
                })
        });
    let (federation, writer, queue, ended) = match spawned {
        Ok(_) => match hand.send((federation, writer, queue, ended)) {
            Ok(()) => return,
            // The thread is gone already: what was handed over comes back.
            Err(std::sync::mpsc::SendError(back)) => back,
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the inbox's own thread");
            (federation, writer, queue, ended)
        }
    };
    on_server_runtime(federation, writer, queue, ended);
}

fn on_server_runtime(
    federation: FederationConfig<AppState>,
    writer: Writer,
    queue: mpsc::Receiver<Job>,
    ended: Ended,
) {
    tokio::spawn(async move {
        run(federation, writer, queue).await;
        let _ = ended.send(());
    });
}

/// How long the applier's own runtime waits for its last tasks once the applier has ended.
const SETTLE_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Let the tasks still alive on the applier's own runtime finish (at most `SETTLE_WITHIN`)
/// before it ends with them. A pooled connection used from this runtime goes back to its
/// pool through a task of this runtime (sqlx): one cut off by the runtime's end would be
/// dropped rather than closed, and close its file on its own thread after the server has
/// closed its pools (a batch written through the shared pool: `Writer::begin`).
async fn settle() {
    let tasks = tokio::runtime::Handle::current().metrics();
    let until = tokio::time::Instant::now() + SETTLE_WITHIN;
    while tasks.num_alive_tasks() > 0 && tokio::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// SQLite restarts its write-ahead log only when a writer begins with every frame of it
/// copied into the database. The checkpoint task copies it from another connection while
/// this one writes, so that moment never comes to a busy inbox: the log would grow until a
/// commit passes `wal_autocheckpoint` and copies and syncs it on the way, a stall of 15–30
/// ms every half second at half B4's rate (BENCHMARKS.md, B4). Once the task has copied the
/// log whole, the frames written since are the few batches committed during its copy:
/// copied here between two batches (6–9 ms in B4, mostly the database file's sync), they
/// let the next batch start the log again.
async fn restart_log(data: &Data<AppState>, writer: &mut Writer) {
    if data.log_copied.swap(false, Ordering::Relaxed)
        && let Err(e) = writer.checkpoint().await
    {
        tracing::warn!(error = %e, "checkpointing the database's log");
    }
}

/// Told when the applier has ended (sent, or dropped with a thread that could not start).
type Ended = oneshot::Sender<()>;

async fn run(
    federation: FederationConfig<AppState>,
    mut writer: Writer,
    mut queue: mpsc::Receiver<Job>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while next_jobs(&mut queue, &mut writer, &mut jobs, db::POOL_IDLE).await > 0 {
        let started = std::time::Instant::now();
        let data = federation.to_request_data();
        let batch = std::mem::take(&mut jobs);
        data.metrics.inbox_batch(batch.len());
        let mut units = units(batch);
        // One unit (a lone activity, or the Announces of the batch): no savepoint needed.
        if units.len() == 1
            && let Some(unit) = units.pop_front()
        {
            sole(&data, &mut writer, unit).await;
        } else {
            together(&data, &mut writer, units).await;
        }
        data.metrics.inbox_batch_seconds.observe(started.elapsed());
        restart_log(&data, &mut writer).await;
    }
    // The inbox's own connection is closed here, before the server closes the shared pool
    // (`startup`): the server ends with every file of its database closed.
    writer.close_own().await;
}

/// Wait for the next activities (at most `MAX_BATCH`, into `jobs`); 0 once every handle is
/// gone. When the inbox has idled for `idle` holding its own connection, that connection is
/// closed (its page cache and thread, as the pools close theirs: BENCHMARKS.md, B6 memory),
/// and the next batch opens it again.
async fn next_jobs(
    queue: &mut mpsc::Receiver<Job>,
    writer: &mut Writer,
    jobs: &mut Vec<Job>,
    idle: std::time::Duration,
) -> usize {
    if writer.holds_own() {
        // `recv_many` is cancel safe: nothing is taken from the queue when the wait ends.
        if let Ok(n) = tokio::time::timeout(idle, queue.recv_many(jobs, MAX_BATCH)).await {
            return n;
        }
        writer.close_own().await;
    }
    queue.recv_many(jobs, MAX_BATCH).await
}

/// What one savepoint applies: every Announce of the batch together (a few statements for
/// all of them: `dispatch::announces`), and each other activity alone.
fn units(batch: Vec<Job>) -> VecDeque<Vec<Job>> {
    let (announces, others): (Vec<Job>, Vec<Job>) = batch
        .into_iter()
        .partition(|job| is_announce(&job.envelope));
    let mut units: VecDeque<Vec<Job>> = others.into_iter().map(|job| vec![job]).collect();
    if !announces.is_empty() {
        units.push_back(announces);
    }
    units
}

fn is_announce(envelope: &Envelope) -> bool {
    matches!(envelope.incoming, Incoming::Announce { .. })
}

/// One activity in its own transaction: the path every activity took before batches.
async fn alone(data: &Data<AppState>, writer: &mut Writer, job: Job) {
    let outcome = own_transaction(data, writer, std::slice::from_ref(&job))
        .await
        .map(|mut outcomes| {
            outcomes
                .pop()
                .unwrap_or(Received::Ignored("an activity not applied"))
        });
    // The sender may have gone (its client hung up): the effect stays, as Mastodon's would.
    let _ = job.answer.send(outcome);
}

/// A unit in a transaction of its own. A unit of several activities that is refused is
/// applied again one activity a transaction, so that each gets the outcome it would have
/// had alone.
async fn sole(data: &Data<AppState>, writer: &mut Writer, unit: Vec<Job>) {
    match own_transaction(data, writer, &unit).await {
        Ok(outcomes) => {
            for (job, outcome) in unit.into_iter().zip(outcomes) {
                let _ = job.answer.send(Ok(outcome));
            }
        }
        Err(refused) if unit.len() == 1 => {
            if let Some(job) = unit.into_iter().next() {
                let _ = job.answer.send(Err(refused));
            }
        }
        Err(e) => {
            tracing::info!(error = %e, "an inbox batch was refused; applying one by one");
            for job in unit {
                alone(data, writer, job).await;
            }
        }
    }
}

async fn own_transaction(
    data: &Data<AppState>,
    writer: &mut Writer,
    unit: &[Job],
) -> Result<Vec<Received>, InboxError> {
    let mut tx = writer.begin().await?;
    let outcomes = apply_in(data, &mut tx, unit).await?;
    tx.commit().await?;
    data.wakeup.notify();
    Ok(outcomes)
}

async fn together(data: &Data<AppState>, writer: &mut Writer, units: VecDeque<Vec<Job>>) {
    let left = match writer.begin().await {
        Ok(tx) => in_one_transaction(data, tx, units).await,
        Err(e) => {
            tracing::warn!(error = %e, "cannot begin an inbox batch; applying one by one");
            units.into_iter().flatten().collect()
        }
    };
    for job in left {
        alone(data, writer, job).await;
    }
}

/// Apply the units in `tx`, each in its own savepoint, and answer them once it commits.
/// Returns the activities still to be answered when the transaction itself fails: each is
/// then applied again, on its own.
async fn in_one_transaction(
    data: &Data<AppState>,
    mut tx: Tx<'_>,
    mut units: VecDeque<Vec<Job>>,
) -> Vec<Job> {
    let mut applied: Vec<(Job, Received)> = Vec::new();
    while let Some(unit) = units.pop_front() {
        match in_savepoint(data, &mut tx, &unit).await {
            Ok(Ok(outcomes)) => applied.extend(unit.into_iter().zip(outcomes)),
            Ok(Err(refused)) if unit.len() == 1 => {
                if let Some(job) = unit.into_iter().next() {
                    let _ = job.answer.send(Err(refused));
                }
            }
            // One of several refused, the others undone with it: each again, on its own.
            Ok(Err(_)) => {
                for job in unit.into_iter().rev() {
                    units.push_front(vec![job]);
                }
            }
            Err(e) => {
                // The transaction itself is in doubt: start again, one by one, with every
                // activity not answered yet.
                tracing::warn!(error = %e, "an inbox batch failed; applying one by one");
                let left = applied.into_iter().map(|(job, _)| job);
                return left
                    .chain(unit)
                    .chain(units.into_iter().flatten())
                    .collect();
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {
            data.wakeup.notify();
            for (job, outcome) in applied {
                let _ = job.answer.send(Ok(outcome));
            }
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "an inbox batch did not commit; applying one by one");
            applied.into_iter().map(|(job, _)| job).collect()
        }
    }
}

/// Apply activities inside a savepoint. The outer error means the transaction can no
/// longer be trusted; the inner one is a refusal, their effect undone.
async fn in_savepoint(
    data: &Data<AppState>,
    tx: &mut Tx<'_>,
    unit: &[Job],
) -> Result<Result<Vec<Received>, InboxError>, db::DbError> {
    tx.savepoint().await?;
    match apply_in(data, tx, unit).await {
        Ok(outcomes) => {
            tx.release().await?;
            Ok(Ok(outcomes))
        }
        Err(refused) => {
            tx.rollback_to().await?;
            Ok(Err(refused))
        }
    }
}

/// Record the activities' ids (a second delivery of one is a duplicate) and apply them:
/// Announces together, any other activity alone.
async fn apply_in(
    data: &Data<AppState>,
    tx: &mut Tx<'_>,
    unit: &[Job],
) -> Result<Vec<Received>, InboxError> {
    if unit.iter().all(|job| is_announce(&job.envelope)) {
        let envelopes: Vec<&Envelope> = unit.iter().map(|job| &job.envelope).collect();
        return dispatch::announces(data, tx, &envelopes).await;
    }
    let mut outcomes = Vec::with_capacity(unit.len());
    for Job { envelope, .. } in unit {
        let recorded = db::received::record(
            tx,
            envelope.id.as_str(),
            envelope.actor.as_str(),
            &envelope.kind,
        )
        .await?;
        outcomes.push(if recorded {
            dispatch::apply(data, tx, envelope).await?
        } else {
            Received::Duplicate
        });
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests;
