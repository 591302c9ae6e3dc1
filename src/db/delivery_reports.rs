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

/// What the queue knows of a host.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HostProgress {
    pub host: String,
    pub delivered: i64,
    pub pending: i64,
    pub failed: i64,
    /// When its next pending delivery is due (ms since the epoch).
    pub next_attempt_at: Option<i64>,
    /// The most recent error among its pending deliveries.
    pub last_error: Option<String>,
}

/// Hosts with deliveries, those with pending ones first.
pub async fn hosts(db: &Db, limit: i64) -> Result<Vec<HostProgress>, DbError> {
    let sql = "SELECT host, \
         SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered, \
         SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending, \
         SUM(CASE WHEN state IN ('failed', 'given_up') THEN 1 ELSE 0 END) AS failed, \
         MIN(CASE WHEN state = 'pending' THEN next_attempt_at END) AS next_attempt_at, \
         MAX(CASE WHEN state = 'pending' THEN last_error END) AS last_error \
         FROM deliveries GROUP BY host \
         ORDER BY SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) DESC, host LIMIT $1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, HostProgress>(sql)
        .bind(limit)
        .fetch_all(pool)
        .await?))
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
