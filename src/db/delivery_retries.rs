//! An admin's "retry now" for one host: its pending deliveries due at once, and those given up
//! queued again. Refused ones (`failed`) stay as they are.

use super::{DbError, Tx, on_tx};

/// What one retry of a host changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retried {
    /// Pending deliveries now due (those already due, or in flight, included).
    pub pending: u64,
    /// Given-up deliveries pending again, due now, their attempts counted afresh.
    pub requeued: u64,
}

/// Make every pending delivery to `host` due at `now_ms` (none is put later than it was) and
/// queue its given-up ones again, due at `now_ms` with no attempt counted, so that they get
/// `delivery.max_attempts` more. Leases are left alone: a row in flight is not sent twice.
/// The last status and error of a queued row stay until its next attempt replaces them.
pub async fn retry_host(tx: &mut Tx<'_>, host: &str, now_ms: i64) -> Result<Retried, DbError> {
    let due = "UPDATE deliveries SET next_attempt_at = \
               CASE WHEN next_attempt_at > $2 THEN $2 ELSE next_attempt_at END \
               WHERE host = $1 AND state = 'pending'";
    let requeue = "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $2, \
                   leased_until = NULL, finished_at = NULL \
                   WHERE host = $1 AND state = 'given_up'";
    let (pending, requeued) = on_tx!(tx, conn => {
        let pending = sqlx::query(due)
            .bind(host)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        let requeued = sqlx::query(requeue)
            .bind(host)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        (pending, requeued)
    });
    Ok(Retried { pending, requeued })
}

/// Whether any delivery to `host` is recorded, in whatever state (finished ones are pruned
/// after `retention.finished_deliveries_days`).
pub async fn host_known(tx: &mut Tx<'_>, host: &str) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM deliveries WHERE host = $1";
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql).bind(host).fetch_one(conn).await?);
    Ok(n > 0)
}
