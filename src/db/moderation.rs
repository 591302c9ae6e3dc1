//! Moderation of an actor's signatures of a statement: hidden until an admin lifts it.

use chrono::{DateTime, Utc};

use super::{DbError, Tx, on_tx};

/// Hide the actor's signatures of `slug`, present and later; false when already hidden.
pub async fn hide(
    tx: &mut Tx<'_>,
    slug: &str,
    actor_id: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = "INSERT INTO moderation (slug, actor_id, hidden_at, reason) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (slug, actor_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(slug)
        .bind(actor_id)
        .bind(at)
        .bind(reason)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Lift the hiding; false when there was none.
pub async fn lift(tx: &mut Tx<'_>, slug: &str, actor_id: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM moderation WHERE slug = $1 AND actor_id = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(slug)
        .bind(actor_id)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}
