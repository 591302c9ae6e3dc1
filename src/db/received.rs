//! Received activity ids, so that the same activity delivered twice has one effect.

use chrono::Utc;

use super::{DbError, Tx, on_tx};

/// Record an activity by its actor and id; false when that actor sent it before.
pub async fn record(
    tx: &mut Tx<'_>,
    id: &str,
    actor_id: &str,
    kind: &str,
) -> Result<bool, DbError> {
    let item = super::bulk::ReceivedItem { id, actor_id, kind };
    let recorded =
        super::bulk::record_received(tx, std::slice::from_ref(&item), Utc::now()).await?;
    Ok(!recorded.is_empty())
}

/// Forget the ids of activities received before `before`; returns how many.
pub async fn prune(db: &super::Db, before: chrono::DateTime<Utc>) -> Result<u64, DbError> {
    let sql = "DELETE FROM received_activities WHERE received_at < $1";
    Ok(
        super::on_pool!(db, pool => sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()),
    )
}

/// Remember an Undo of an activity we have not seen (`activity_id` empty when the Undo
/// named none), so that the activity, arriving late, is refused.
pub async fn remember_undone(
    tx: &mut Tx<'_>,
    actor_id: &str,
    activity_id: &str,
    kind: &str,
    object: &str,
) -> Result<(), DbError> {
    let sql = "INSERT INTO undone_activities (actor_id, activity_id, kind, object, undone_at) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(actor_id)
        .bind(activity_id)
        .bind(kind)
        .bind(object)
        .bind(Utc::now())
        .execute(conn)
        .await?
        .rows_affected());
    Ok(())
}

/// Whether the actor undid this activity before it arrived: by its id, or, for an Undo that
/// named no id, by its kind and object.
pub async fn was_undone(
    tx: &mut Tx<'_>,
    actor_id: &str,
    activity_id: &str,
    kind: &str,
    object: &str,
) -> Result<bool, DbError> {
    let check = super::bulk::UndoCheck {
        actor_id,
        activity_id,
        kind,
        object,
    };
    let undone = super::bulk::undone_among(tx, std::slice::from_ref(&check)).await?;
    Ok(!undone.is_empty())
}

/// Forget the Undos kept since before `before`; returns how many.
pub async fn prune_undone(db: &super::Db, before: chrono::DateTime<Utc>) -> Result<u64, DbError> {
    let sql = "DELETE FROM undone_activities WHERE undone_at < $1";
    Ok(
        super::on_pool!(db, pool => sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()),
    )
}
