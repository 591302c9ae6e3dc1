//! Read-only reports on deliveries: per activity, per host, and the gauges of `/metrics`.

use super::{Db, DbError, on_pool};

/// How far an activity's deliveries are.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ActivityProgress {
    pub id: String,
    pub kind: String,
    pub delivered: i64,
    pub pending: i64,
    /// Refused for good (4xx other than 401, 408, 429).
    pub failed: i64,
    /// Still failing after every attempt.
    pub given_up: i64,
}

const PROGRESS: &str = "SELECT a.id, a.kind, \
     COALESCE(SUM(CASE WHEN d.state = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered, \
     COALESCE(SUM(CASE WHEN d.state = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
     COALESCE(SUM(CASE WHEN d.state = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
     COALESCE(SUM(CASE WHEN d.state = 'given_up' THEN 1 ELSE 0 END), 0) AS given_up \
     FROM outgoing_activities a LEFT JOIN deliveries d ON d.activity_id = a.id";

/// The latest activities' progress, newest first.
pub async fn progress(db: &Db, limit: i64) -> Result<Vec<ActivityProgress>, DbError> {
    let sql = format!(
        "{PROGRESS} GROUP BY a.id, a.kind, a.created_at ORDER BY a.created_at DESC, a.id LIMIT $1"
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, ActivityProgress>(&sql)
        .bind(limit)
        .fetch_all(pool)
        .await?),
    )
}

/// One activity's progress.
pub async fn progress_of(db: &Db, id: &str) -> Result<Option<ActivityProgress>, DbError> {
    let sql = format!("{PROGRESS} WHERE a.id = $1 GROUP BY a.id, a.kind");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, ActivityProgress>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?),
    )
}

/// What the queue knows of a host: its deliveries by state, and why they fail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HostProgress {
    pub host: String,
    pub delivered: i64,
    pub pending: i64,
    /// Refused for good (4xx other than 401, 408, 429).
    pub failed: i64,
    /// Still failing after every attempt.
    pub given_up: i64,
    /// When its next pending delivery is due (ms since the epoch).
    pub next_attempt_at: Option<i64>,
    /// The HTTP status of the last failure (`None` when there was no answer at all, or no
    /// failure): see `last_error`.
    pub last_status: Option<i32>,
    /// The last failure among its pending (retried), given-up and failed deliveries: a pending
    /// one first, since that is what the queue is still up against, else the one that ended
    /// last. `None` when nothing failed.
    pub last_error: Option<String>,
}

/// Each host's counts and last failure, over the deliveries `filter` keeps (a `WHERE`
/// clause, or nothing). First the hosts with the most deliveries pending or given up (what
/// a retry would send), then those with the most refused.
fn host_report(filter: &str) -> String {
    let and = if filter.is_empty() { "WHERE" } else { "AND" };
    // One row per host from the counts, and from the failures the first in this order:
    // pending before finished, the finished one that ended last, the most attempted.
    format!(
        "WITH counts AS (SELECT host, \
           SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered, \
           SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending, \
           SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed, \
           SUM(CASE WHEN state = 'given_up' THEN 1 ELSE 0 END) AS given_up, \
           MIN(CASE WHEN state = 'pending' THEN next_attempt_at END) AS next_attempt_at \
           FROM deliveries {filter} GROUP BY host), \
         failures AS (SELECT host, last_status, last_error, ROW_NUMBER() OVER (\
           PARTITION BY host ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, \
           COALESCE(finished_at, 0) DESC, attempts DESC, id DESC) AS turn \
           FROM deliveries {filter} {and} (state IN ('failed', 'given_up') \
           OR (state = 'pending' AND last_error IS NOT NULL))) \
         SELECT c.host, c.delivered, c.pending, c.failed, c.given_up, \
           c.next_attempt_at, f.last_status, f.last_error \
         FROM counts c LEFT JOIN failures f ON f.host = c.host AND f.turn = 1 \
         ORDER BY c.pending + c.given_up DESC, c.failed DESC, c.host"
    )
}

/// Hosts with deliveries, those with the most pending or given up first.
pub async fn hosts(db: &Db, limit: i64) -> Result<Vec<HostProgress>, DbError> {
    let sql = format!("{} LIMIT $1", host_report(""));
    Ok(on_pool!(db, pool => sqlx::query_as::<_, HostProgress>(&sql)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// The hosts one activity goes to, with the same counts and last failure as `hosts` but for
/// this activity's deliveries alone (one per inbox), in the same order. Empty for an
/// activity with no deliveries, or none recorded (see `progress_of` to tell them apart).
pub async fn activity_hosts(
    db: &Db,
    activity_id: &str,
    limit: i64,
) -> Result<Vec<HostProgress>, DbError> {
    let sql = format!("{} LIMIT $2", host_report("WHERE activity_id = $1"));
    Ok(on_pool!(db, pool => sqlx::query_as::<_, HostProgress>(&sql)
        .bind(activity_id)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// A delivery that ended without reaching its inbox: refused (`failed`) or `given_up`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedDelivery {
    pub inbox: String,
    pub host: String,
    pub activity_id: String,
    /// `failed` or `given_up`.
    pub state: String,
    pub attempts: i32,
    /// The HTTP status of the last attempt (`None` when there was no answer at all).
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// The failed and given-up deliveries, those that ended last first; of one activity when
/// `activity_id` is given.
pub async fn failed(
    db: &Db,
    activity_id: Option<&str>,
    limit: i64,
) -> Result<Vec<FailedDelivery>, DbError> {
    let of = if activity_id.is_some() {
        "AND activity_id = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT inbox, host, activity_id, state, attempts, last_status, last_error \
         FROM deliveries WHERE state IN ('failed', 'given_up') {of} \
         ORDER BY COALESCE(finished_at, 0) DESC, id DESC LIMIT $1"
    );
    Ok(on_pool!(db, pool => {
        let q = sqlx::query_as::<_, FailedDelivery>(&sql).bind(limit);
        match activity_id {
            Some(id) => q.bind(id),
            None => q,
        }
        .fetch_all(pool)
        .await?
    }))
}

/// Where some activities' deliveries are, for `statement publish --wait`.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct WaitProgress {
    pub delivered: i64,
    pub pending: i64,
    pub failed: i64,
    pub given_up: i64,
    /// Of these deliveries, those a worker ever claimed: leased now, attempted at least once,
    /// or finished. Zero while no `tribune serve` has taken any of them.
    pub claimed: i64,
}

/// The deliveries of the activities `ids`, by state, and how many of them a worker claimed.
pub async fn wait_progress(db: &Db, ids: &[String]) -> Result<WaitProgress, DbError> {
    if ids.is_empty() {
        return Ok(WaitProgress::default());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT \
         COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered, \
         COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
         COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS failed, \
         COALESCE(SUM(CASE WHEN state = 'given_up' THEN 1 ELSE 0 END), 0) AS given_up, \
         COALESCE(SUM(CASE WHEN leased_until IS NOT NULL OR attempts > 0 \
           OR state <> 'pending' THEN 1 ELSE 0 END), 0) AS claimed \
         FROM deliveries WHERE activity_id IN ({})",
        placeholders.join(", ")
    );
    Ok(on_pool!(db, pool => {
        let mut q = sqlx::query_as::<_, WaitProgress>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_one(pool).await?
    }))
}

/// Whether a worker holds a lease on any delivery now (`now_ms`): a server is at work on
/// the queue, if not yet on the deliveries one waits for.
pub async fn any_leased(db: &Db, now_ms: i64) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND leased_until > $1";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql).bind(now_ms).fetch_one(pool).await?);
    Ok(n > 0)
}

/// Pending deliveries, the oldest due time among them (ms), followers, visible
/// co-signatures and relays: the gauges of `/metrics`.
pub async fn gauges(db: &Db) -> Result<(i64, Option<i64>, i64, i64, i64), DbError> {
    let sql = "SELECT \
         (SELECT COUNT(*) FROM deliveries WHERE state = 'pending'), \
         (SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'), \
         (SELECT COUNT(*) FROM followers WHERE state = 'accepted'), \
         (SELECT COUNT(*) FROM cosignatures WHERE withdrawn_at IS NULL AND hidden_at IS NULL AND counts), \
         (SELECT COUNT(*) FROM relays)";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (i64, Option<i64>, i64, i64, i64)>(sql).fetch_one(pool).await?),
    )
}
