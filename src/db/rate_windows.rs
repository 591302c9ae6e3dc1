//! Rate-limit windows shared by the processes on one PostgreSQL database (migration 0018):
//! hits per limit, key and minute. `transport::shared_windows` adds each process's hits in
//! batches and reads the totals back. (On SQLite, one process holds the database: its limits
//! stay in memory.)

use super::{Db, DbError};

/// Add `hits` (key, count) to the minute starting at `window_ms` of the limit `name`, and
/// return the totals of those keys for that minute and the one before: (key, window, hits).
/// Windows older than that are removed. Two statements however many keys, on PostgreSQL;
/// nothing on SQLite.
pub async fn add(
    db: &Db,
    name: &str,
    window_ms: i64,
    hits: &[(String, u32)],
) -> Result<Vec<(String, i64, i64)>, DbError> {
    let Db::Postgres(pool) = db else {
        return Ok(Vec::new());
    };
    let keys: Vec<&str> = hits.iter().map(|(k, _)| k.as_str()).collect();
    let counts: Vec<i32> = hits
        .iter()
        .map(|(_, n)| i32::try_from(*n).unwrap_or(i32::MAX))
        .collect();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM rate_windows WHERE name = $1 AND window_start < $2")
        .bind(name)
        .bind(window_ms - 60_000)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO rate_windows (name, key, window_start, hits) \
         SELECT $1, k, $2, n FROM UNNEST($3::text[], $4::int[]) AS t(k, n) \
         ON CONFLICT (name, key, window_start) \
         DO UPDATE SET hits = rate_windows.hits + excluded.hits",
    )
    .bind(name)
    .bind(window_ms)
    .bind(&keys)
    .bind(&counts)
    .execute(&mut *tx)
    .await?;
    let totals: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT key, window_start, hits::bigint FROM rate_windows \
         WHERE name = $1 AND key = ANY($2) AND window_start >= $3",
    )
    .bind(name)
    .bind(&keys)
    .bind(window_ms - 60_000)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(totals)
}
