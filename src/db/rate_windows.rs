//! Rate-limit windows shared by the processes on one database (migration 0018): hits per
//! limit, key and minute. `transport::shared_windows` adds each process's hits in batches
//! and reads the totals back.

use super::{Db, DbError, on_tx};

/// Add `hits` (key, count) to the minute starting at `window_ms` of the limit `name`, and
/// return the totals of those keys for that minute and the one before: (key, window, hits).
/// Windows older than that are removed.
pub async fn add(
    db: &Db,
    name: &str,
    window_ms: i64,
    hits: &[(String, u32)],
) -> Result<Vec<(String, i64, i64)>, DbError> {
    let upsert = "INSERT INTO rate_windows (name, key, window_start, hits) VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (name, key, window_start) \
                  DO UPDATE SET hits = rate_windows.hits + excluded.hits";
    let read = "SELECT key, window_start, CAST(hits AS BIGINT) FROM rate_windows \
                WHERE name = $1 AND key = $2 AND window_start >= $3";
    let prune = "DELETE FROM rate_windows WHERE name = $1 AND window_start < $2";
    let mut tx = db.begin().await?;
    let mut totals = Vec::with_capacity(hits.len() * 2);
    on_tx!(&mut tx, conn => {
        sqlx::query(prune)
            .bind(name)
            .bind(window_ms - 60_000)
            .execute(&mut *conn)
            .await?;
        for (key, n) in hits {
            sqlx::query(upsert)
                .bind(name)
                .bind(key)
                .bind(window_ms)
                .bind(i32::try_from(*n).unwrap_or(i32::MAX))
                .execute(&mut *conn)
                .await?;
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(read)
                .bind(name)
                .bind(key)
                .bind(window_ms - 60_000)
                .fetch_all(&mut *conn)
                .await?;
            totals.extend(rows);
        }
    });
    tx.commit().await?;
    Ok(totals)
}
