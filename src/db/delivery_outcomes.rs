//! The ends of delivery attempts, recorded in batches (`deliveries`' rows): each releases
//! its row's lease, if the row is still under the lease it was sent under.

use std::collections::{HashMap, HashSet};

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{Db, DbError, on_pool, states::DeliveryState};

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

/// The most rows one statement records: nine values a row, well under the bound-parameter
/// limits of both backends (SQLite 32,766, PostgreSQL 65,535).
const ROWS_A_STATEMENT: usize = 1_000;

/// Record the ends of attempts and release their leases: one statement for the whole batch
/// (one for each `ROWS_A_STATEMENT` rows past that), so one commit (one `fsync` on SQLite)
/// and one round trip to the database for many deliveries, not one each (BENCHMARKS.md,
/// B2). Each row's end stands alone: statements of one batch need no common transaction. A
/// row is recorded only while the lease it was sent under holds: a row claimed again
/// meanwhile (its lease ran out, or its holder was taken for gone) is its new claimer's,
/// and may be sent again by it. Returns, row by row, whether it was recorded (`false`: so
/// lost).
pub async fn finish_many(db: &Db, rows: &[Finish<'_>], now_ms: i64) -> Result<Vec<bool>, DbError> {
    let ends: Vec<End<'_>> = rows.iter().map(|r| End::of(r, now_ms)).collect();
    let mut recorded: HashSet<i64> = HashSet::new();
    for chunk in ends.chunks(ROWS_A_STATEMENT) {
        let ids: Vec<i64> = on_pool!(db, pool => finish_statement(chunk)
            .build_query_scalar()
            .persistent(false)
            .fetch_all(pool)
            .await?);
        recorded.extend(ids);
    }
    // A row twice in a batch (claimed again by this process once its first lease ran out,
    // both sends ending together) matched under its latest lease only: a claim or an
    // extension always moves the lease's end later.
    let mut latest: HashMap<i64, i64> = HashMap::with_capacity(ends.len());
    for e in &ends {
        let until = latest.entry(e.id).or_insert(e.leased_until);
        *until = (*until).max(e.leased_until);
    }
    Ok(ends
        .iter()
        .map(|e| recorded.contains(&e.id) && latest.get(&e.id) == Some(&e.leased_until))
        .collect())
}

/// One row's end, as the statement takes it.
struct End<'a> {
    id: i64,
    state: DeliveryState,
    attempts: i32,
    status: Option<i32>,
    error: Option<&'a str>,
    /// The next attempt's time, for a retry; the row's own otherwise.
    next: Option<i64>,
    finished: Option<i64>,
    owner: &'a str,
    leased_until: i64,
}

impl<'a> End<'a> {
    fn of(row: &Finish<'a>, now_ms: i64) -> Self {
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
        End {
            id: row.id,
            state,
            attempts: row.attempts,
            status: status.map(i32::from),
            error,
            next,
            finished,
            owner: row.owner,
            leased_until: row.leased_until,
        }
    }
}

/// The statement that records `ends`, on either backend (both take `UPDATE … FROM` a list
/// of values named by a `WITH`); it returns the id of each row recorded (SQLite's
/// `RETURNING` may name only the table it updates). Run unprepared for the cache: its text
/// differs with each number of rows, and each would stay in every pooled connection's cache
/// (BENCHMARKS.md, B6 memory).
fn finish_statement<'q, DB>(ends: &'q [End<'q>]) -> QueryBuilder<'q, DB>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    i32: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<i32>: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    DeliveryState: Encode<'q, DB> + Type<DB>,
{
    let mut q = QueryBuilder::new(
        "WITH ends (id, state, attempts, status, error, next, finished, owner, leased_until) AS (",
    );
    q.push_values(ends, |mut b, e| {
        b.push_bind(e.id)
            .push_bind(e.state)
            .push_bind(e.attempts)
            .push_bind(e.status)
            .push_bind(e.error)
            .push_bind(e.next)
            .push_bind(e.finished)
            .push_bind(e.owner)
            .push_bind(e.leased_until);
    });
    q.push(
        ") UPDATE deliveries SET state = ends.state, attempts = ends.attempts, \
         last_status = ends.status, last_error = ends.error, \
         next_attempt_at = COALESCE(ends.next, deliveries.next_attempt_at), \
         leased_until = NULL, leased_by = NULL, finished_at = ends.finished \
         FROM ends WHERE deliveries.id = ends.id AND deliveries.leased_by = ends.owner \
         AND deliveries.leased_until = ends.leased_until AND deliveries.state = 'pending' \
         RETURNING deliveries.id",
    );
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One statement records a batch of every kind of end, each as it would have been alone;
    /// a row whose lease moved on, and the older of two ends of one row, are not recorded.
    #[tokio::test]
    async fn a_batch_records_each_end_under_its_own_lease() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::sqlite_in(dir.path()).await;
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        // Six rows due since 1,000 and leased to "p1" until 62,000, as a claim leaves them
        // (this module's neighbours queue and claim; a test here names none of them).
        sqlx::query(
            "INSERT INTO outgoing_activities (id, kind, body, created_at, in_outbox) \
             VALUES ('https://c.example/a/1', 'Create', '{}', '2026-01-01T00:00:00Z', 1)",
        )
        .execute(pool)
        .await
        .unwrap();
        for n in 0..6 {
            sqlx::query(
                "INSERT INTO deliveries (activity_id, inbox, host, state, attempts, \
                 next_attempt_at, created_at, leased_until, leased_by) \
                 VALUES ('https://c.example/a/1', $1, $2, 'pending', 0, 1000, 1000, 62000, 'p1')",
            )
            .bind(format!("https://h{n}.example/inbox"))
            .bind(format!("h{n}.example"))
            .execute(pool)
            .await
            .unwrap();
        }
        // (id, lease's end) of each row.
        let claimed: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, leased_until FROM deliveries ORDER BY inbox")
                .fetch_all(pool)
                .await
                .unwrap();
        assert_eq!(claimed.len(), 6);
        let lease = claimed[0].1;
        let outcomes = [
            Outcome::Delivered { status: 202 },
            Outcome::Retry {
                status: Some(503),
                error: "busy".into(),
                next_attempt_ms: 90_000,
            },
            Outcome::Failed {
                status: Some(404),
                error: "gone".into(),
            },
            Outcome::GivenUp {
                status: None,
                error: "gave up".into(),
            },
            // Sent under a lease that is not the row's any more.
            Outcome::Delivered { status: 200 },
            Outcome::Delivered { status: 201 },
        ];
        let mut rows: Vec<Finish<'_>> = claimed
            .iter()
            .zip(&outcomes)
            .map(|(&(id, leased_until), outcome)| Finish {
                id,
                attempts: 1,
                owner: "p1",
                leased_until,
                outcome,
            })
            .collect();
        rows[4].leased_until = lease - 1;
        // The sixth row's end twice: the earlier lease's end is not recorded.
        let older = Outcome::Failed {
            status: Some(400),
            error: "older".into(),
        };
        rows.push(Finish {
            id: claimed[5].0,
            attempts: 1,
            owner: "p1",
            leased_until: lease - 5,
            outcome: &older,
        });
        assert!(finish_many(&db, &[], 3_000).await.unwrap().is_empty());
        let recorded = finish_many(&db, &rows, 3_000).await.unwrap();
        assert_eq!(recorded, [true, true, true, true, false, true, false]);
        type Row = (
            String,
            i32,
            Option<i32>,
            Option<String>,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
        );
        let mut states = Vec::new();
        for &(id, _) in &claimed {
            let row: Row = sqlx::query_as(
                "SELECT state, attempts, last_status, last_error, next_attempt_at, finished_at, \
                 leased_until, leased_by FROM deliveries WHERE id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
            states.push(row);
        }
        let done = |state: &str, status: Option<i32>, error: Option<&str>| -> Row {
            (
                state.into(),
                1,
                status,
                error.map(Into::into),
                1_000,
                Some(3_000),
                None,
                None,
            )
        };
        assert_eq!(states[0], done("delivered", Some(202), None));
        assert_eq!(
            states[1],
            (
                "pending".into(),
                1,
                Some(503),
                Some("busy".into()),
                90_000,
                None,
                None,
                None
            )
        );
        assert_eq!(states[2], done("failed", Some(404), Some("gone")));
        assert_eq!(states[3], done("given_up", None, Some("gave up")));
        // Untouched: still pending, still leased to its claimer.
        assert_eq!(
            states[4],
            (
                "pending".into(),
                0,
                None,
                None,
                1_000,
                None,
                Some(lease),
                Some("p1".into())
            )
        );
        assert_eq!(states[5], done("delivered", Some(201), None));
    }
}
