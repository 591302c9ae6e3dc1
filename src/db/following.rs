//! Actors the coalition follows.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx, on_pool, on_tx, states::FollowingState};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowingRow {
    pub actor_id: String,
    pub follow_id: String,
    pub state: FollowingState,
    pub created_at: DateTime<Utc>,
}

/// Record a Follow we send; a new Follow of the same actor replaces the old one.
pub async fn upsert(tx: &mut Tx<'_>, actor_id: &str, follow_id: &str) -> Result<(), DbError> {
    let sql = "INSERT INTO following (actor_id, follow_id, state, created_at, updated_at) \
               VALUES ($1, $2, 'pending', $3, $3) ON CONFLICT (actor_id) DO UPDATE SET \
               follow_id = excluded.follow_id, updated_at = excluded.updated_at";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(actor_id)
        .bind(follow_id)
        .bind(Utc::now())
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn get_in(tx: &mut Tx<'_>, actor_id: &str) -> Result<Option<FollowingRow>, DbError> {
    let sql = "SELECT actor_id, follow_id, state, created_at FROM following WHERE actor_id = $1";
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, FollowingRow>(sql)
        .bind(actor_id)
        .fetch_optional(conn)
        .await?))
}

pub async fn accept(tx: &mut Tx<'_>, actor_id: &str) -> Result<bool, DbError> {
    let sql = "UPDATE following SET state = 'accepted', updated_at = $1 WHERE actor_id = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(Utc::now())
        .bind(actor_id)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n > 0)
}

pub async fn remove(tx: &mut Tx<'_>, actor_id: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM following WHERE actor_id = $1";
    let n =
        on_tx!(tx, conn => sqlx::query(sql).bind(actor_id).execute(conn).await?.rows_affected());
    Ok(n > 0)
}

pub async fn count_accepted(db: &Db) -> Result<u64, DbError> {
    let sql = "SELECT COUNT(*) FROM following WHERE state = 'accepted'";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// All follows we sent, newest first (accepted and pending).
pub async fn page(
    db: &Db,
    accepted_only: bool,
    offset: u64,
    limit: u64,
) -> Result<Vec<FollowingRow>, DbError> {
    let sql = format!(
        "SELECT actor_id, follow_id, state, created_at FROM following {} \
         ORDER BY created_at DESC, actor_id DESC LIMIT $1 OFFSET $2",
        if accepted_only {
            "WHERE state = 'accepted'"
        } else {
            ""
        }
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, FollowingRow>(&sql)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?))
}
