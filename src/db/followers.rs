//! Who follows the coalition.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx, on_pool, on_tx};

pub use super::states::FollowState;

/// A follower with the actor fields shown to an admin.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowerRow {
    pub actor_id: String,
    pub follow_id: String,
    pub follow_json: String,
    pub state: FollowState,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub host: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub icon_url: Option<String>,
}

const SELECT: &str = "SELECT f.actor_id, f.follow_id, f.follow_json, f.state, f.created_at, \
     a.kind, a.preferred_username, a.name, a.host, a.inbox, a.shared_inbox, a.icon_url \
     FROM followers f JOIN remote_actors a ON a.id = f.actor_id";

/// Record a Follow. A repeated Follow keeps the first `created_at` but takes the new Follow
/// (its id is what the Accept must name) and, when it was pending, stays pending unless
/// `state` accepts it.
pub async fn upsert(
    tx: &mut Tx<'_>,
    actor_id: &str,
    follow_id: &str,
    follow_json: &str,
    state: FollowState,
) -> Result<(), DbError> {
    let now = Utc::now();
    let sql = "INSERT INTO followers (actor_id, follow_id, follow_json, state, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $5) \
               ON CONFLICT (actor_id) DO UPDATE SET follow_id = excluded.follow_id, \
               follow_json = excluded.follow_json, updated_at = excluded.updated_at, \
               state = CASE WHEN followers.state = 'accepted' THEN 'accepted' ELSE excluded.state END";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(actor_id)
        .bind(follow_id)
        .bind(follow_json)
        .bind(state)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn get(db: &Db, actor_id: &str) -> Result<Option<FollowerRow>, DbError> {
    let sql = format!("{SELECT} WHERE f.actor_id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, FollowerRow>(&sql)
        .bind(actor_id)
        .fetch_optional(pool)
        .await?))
}

pub async fn get_in(tx: &mut Tx<'_>, actor_id: &str) -> Result<Option<FollowerRow>, DbError> {
    let sql = format!("{SELECT} WHERE f.actor_id = $1");
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, FollowerRow>(&sql)
        .bind(actor_id)
        .fetch_optional(conn)
        .await?))
}

pub async fn set_state(
    tx: &mut Tx<'_>,
    actor_id: &str,
    state: FollowState,
) -> Result<bool, DbError> {
    let sql = "UPDATE followers SET state = $1, updated_at = $2 WHERE actor_id = $3";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(state)
        .bind(Utc::now())
        .bind(actor_id)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n > 0)
}

/// Remove an actor's follow, accepted or pending.
pub async fn remove(tx: &mut Tx<'_>, actor_id: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM followers WHERE actor_id = $1";
    let n =
        on_tx!(tx, conn => sqlx::query(sql).bind(actor_id).execute(conn).await?.rows_affected());
    Ok(n > 0)
}

pub async fn count(db: &Db, state: FollowState) -> Result<u64, DbError> {
    let sql = "SELECT COUNT(*) FROM followers WHERE state = $1";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql)
        .bind(state)
        .fetch_one(pool)
        .await?);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A page of followers in `state`, newest first.
pub async fn page(
    db: &Db,
    state: FollowState,
    offset: u64,
    limit: u64,
) -> Result<Vec<FollowerRow>, DbError> {
    let sql = format!(
        "{SELECT} WHERE f.state = $1 ORDER BY f.created_at DESC, f.actor_id DESC LIMIT $2 OFFSET $3"
    );
    let (limit, offset) = (
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, FollowerRow>(&sql)
        .bind(state)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?))
}

/// Remove the followers whose inbox or shared inbox is `inbox` (it answered 410 Gone).
pub async fn remove_by_inbox(db: &Db, inbox: &str) -> Result<u64, DbError> {
    let sql = "DELETE FROM followers WHERE actor_id IN \
               (SELECT id FROM remote_actors WHERE inbox = $1 OR shared_inbox = $1)";
    Ok(on_pool!(db, pool => sqlx::query(sql).bind(inbox).execute(pool).await?.rows_affected()))
}
