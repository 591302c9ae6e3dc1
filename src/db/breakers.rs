//! Circuit breakers shared by the processes on one database (migration 0018). The delivery
//! workers keep a copy in memory (`transport::breaker`) and come here only when a host
//! cannot be reached, when a failing host answers again, and once a second to refresh.

use super::{Db, DbError, on_pool};

/// A host with failures recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Breaker {
    pub host: String,
    pub failures: i32,
    pub open_until: Option<i64>,
}

/// Count one more failure in a row for `host`; its breaker opens (or opens again) until
/// `now_ms + open_ms` once `threshold` are reached. Returns the host's breaker as it is now.
pub async fn failed(
    db: &Db,
    host: &str,
    now_ms: i64,
    threshold: i32,
    open_ms: i64,
) -> Result<Breaker, DbError> {
    let sql = "INSERT INTO host_breakers (host, failures, open_until, updated_at) \
               VALUES ($1, 1, CASE WHEN 1 >= $3 THEN $2 + $4 END, $2) \
               ON CONFLICT (host) DO UPDATE SET failures = host_breakers.failures + 1, \
               open_until = CASE WHEN host_breakers.failures + 1 >= $3 THEN $2 + $4 \
                            ELSE host_breakers.open_until END, \
               updated_at = $2 \
               RETURNING host, failures, open_until";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Breaker>(sql)
        .bind(host)
        .bind(now_ms)
        .bind(threshold)
        .bind(open_ms)
        .fetch_one(pool)
        .await?))
}

/// `host` answered (or an operator retries it): forget its failures, close its breaker.
pub async fn closed(db: &Db, host: &str) -> Result<(), DbError> {
    let sql = "DELETE FROM host_breakers WHERE host = $1";
    on_pool!(db, pool => sqlx::query(sql).bind(host).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Every host with failures recorded since `since_ms`.
pub async fn all(db: &Db, since_ms: i64) -> Result<Vec<Breaker>, DbError> {
    let sql = "SELECT host, failures, open_until FROM host_breakers WHERE updated_at >= $1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Breaker>(sql)
        .bind(since_ms)
        .fetch_all(pool)
        .await?))
}
