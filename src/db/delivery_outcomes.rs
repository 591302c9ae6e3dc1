//! The ends of delivery attempts, recorded in batches (`deliveries`' rows): each releases
//! its row's lease, if the row is still under the lease it was sent under.

use super::{Db, DbError, Tx, on_tx, states::DeliveryState};

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered {
        status: u16,
    },
    /// Try again at `next_attempt_ms`.
    Retry {
        status: Option<u16>,
        error: String,
        next_attempt_ms: i64,
    },
    /// A final refusal.
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// Still failing after every attempt.
    GivenUp {
        status: Option<u16>,
        error: String,
    },
}

/// The end of one attempt, to record: the row, its attempt count, the lease it was sent
/// under (the owner id it was claimed under, `delivery_leases`, and the lease's end), and
/// what came of it.
pub struct Finish<'a> {
    pub id: i64,
    pub attempts: i32,
    pub owner: &'a str,
    pub leased_until: i64,
    pub outcome: &'a Outcome,
}

/// Record the ends of attempts and release their leases, in one transaction: one commit
/// (one `fsync` on SQLite) for many deliveries. A row is recorded only while the lease it
/// was sent under holds: a row claimed again meanwhile (its lease ran out, or its holder
/// was taken for gone) is its new claimer's, and may be sent again by it. Returns, row by
/// row, whether it was recorded (`false`: so lost).
pub async fn finish_many(db: &Db, rows: &[Finish<'_>], now_ms: i64) -> Result<Vec<bool>, DbError> {
    let mut tx = db.begin().await?;
    let mut recorded = Vec::with_capacity(rows.len());
    for row in rows {
        recorded.push(finish_in(&mut tx, row, now_ms).await?);
    }
    tx.commit().await?;
    Ok(recorded)
}

async fn finish_in(tx: &mut Tx<'_>, row: &Finish<'_>, now_ms: i64) -> Result<bool, DbError> {
    let (state, status, error, next, finished) = match row.outcome {
        Outcome::Delivered { status } => (
            DeliveryState::Delivered,
            Some(*status),
            None,
            None,
            Some(now_ms),
        ),
        Outcome::Retry {
            status,
            error,
            next_attempt_ms,
        } => (
            DeliveryState::Pending,
            *status,
            Some(error.as_str()),
            Some(*next_attempt_ms),
            None,
        ),
        Outcome::Failed { status, error } => (
            DeliveryState::Failed,
            *status,
            Some(error.as_str()),
            None,
            Some(now_ms),
        ),
        Outcome::GivenUp { status, error } => (
            DeliveryState::GivenUp,
            *status,
            Some(error.as_str()),
            None,
            Some(now_ms),
        ),
    };
    let sql = "UPDATE deliveries SET state = $1, attempts = $2, last_status = $3, last_error = $4, \
               next_attempt_at = COALESCE($5, next_attempt_at), leased_until = NULL, leased_by = NULL, finished_at = $6 \
               WHERE id = $7 AND leased_by = $8 AND leased_until = $9 AND state = 'pending'";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(state)
        .bind(row.attempts)
        .bind(status.map(i32::from))
        .bind(error)
        .bind(next)
        .bind(finished)
        .bind(row.id)
        .bind(row.owner)
        .bind(row.leased_until)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}
