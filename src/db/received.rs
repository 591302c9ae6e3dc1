//! Received activity ids, so that the same activity delivered twice has one effect.

use chrono::Utc;

use super::{DbError, Tx, on_tx};

/// Record an activity by its actor and id; false when that actor sent it before.
pub async fn record(tx: &mut Tx, id: &str, actor_id: &str, kind: &str) -> Result<bool, DbError> {
    let sql = "INSERT INTO received_activities (id, actor_id, kind, received_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (actor_id, id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(actor_id)
        .bind(kind)
        .bind(Utc::now())
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Forget the ids of activities received before `before`; returns how many.
pub async fn prune(db: &super::Db, before: chrono::DateTime<Utc>) -> Result<u64, DbError> {
    let sql = "DELETE FROM received_activities WHERE received_at < $1";
    Ok(
        super::on_pool!(db, pool => sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()),
    )
}
