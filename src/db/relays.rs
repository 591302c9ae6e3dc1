//! Members, relays of their posts, and posts held for moderation.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx, on_pool, on_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub actor_id: String,
    pub added_at: DateTime<Utc>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    pub host: Option<String>,
    pub icon_url: Option<String>,
    pub inbox: Option<String>,
    pub shared_inbox: Option<String>,
}

const MEMBERS: &str = "SELECT m.actor_id, m.added_at, a.kind, a.name, a.preferred_username, \
     a.host, a.icon_url, a.inbox, a.shared_inbox \
     FROM members m LEFT JOIN remote_actors a ON a.id = m.actor_id";

pub async fn members(db: &Db) -> Result<Vec<MemberRow>, DbError> {
    let sql = format!("{MEMBERS} ORDER BY LOWER(COALESCE(a.name, m.actor_id)), m.actor_id");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, MemberRow>(&sql).fetch_all(pool).await?))
}

pub async fn member_in(tx: &mut Tx<'_>, actor_id: &str) -> Result<Option<MemberRow>, DbError> {
    let sql = format!("{MEMBERS} WHERE m.actor_id = $1");
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, MemberRow>(&sql).bind(actor_id).fetch_optional(conn).await?),
    )
}

pub async fn add_member(tx: &mut Tx<'_>, actor_id: &str) -> Result<bool, DbError> {
    let sql = "INSERT INTO members (actor_id, added_at) VALUES ($1, $2) ON CONFLICT (actor_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(actor_id).bind(Utc::now()).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

pub async fn remove_member(tx: &mut Tx<'_>, actor_id: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM members WHERE actor_id = $1";
    let n =
        on_tx!(tx, conn => sqlx::query(sql).bind(actor_id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

/// A member moved: the roster and its signatures follow it to its new account.
pub async fn move_member(tx: &mut Tx<'_>, from: &str, to: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM members WHERE actor_id = $1 AND EXISTS (SELECT 1 FROM members WHERE actor_id = $2)")
            .bind(from).bind(to).execute(&mut *conn).await?;
        sqlx::query("UPDATE members SET actor_id = $1 WHERE actor_id = $2").bind(to).bind(from).execute(&mut *conn).await?;
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RelayRow {
    pub post_id: String,
    pub member_id: String,
    pub create_id: String,
    pub create_json: String,
    pub announce_id: String,
    pub relayed_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    pub undone_at: Option<DateTime<Utc>>,
}

const RELAYS: &str = "SELECT post_id, member_id, create_id, create_json, announce_id, relayed_at, \
     removed_at, undone_at FROM relays";

pub async fn insert_relay(tx: &mut Tx<'_>, r: &RelayRow) -> Result<bool, DbError> {
    let sql = "INSERT INTO relays (post_id, member_id, create_id, create_json, announce_id, relayed_at) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (post_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(&r.post_id)
        .bind(&r.member_id)
        .bind(&r.create_id)
        .bind(&r.create_json)
        .bind(&r.announce_id)
        .bind(r.relayed_at)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn relay_in(tx: &mut Tx<'_>, post_id: &str) -> Result<Option<RelayRow>, DbError> {
    let sql = format!("{RELAYS} WHERE post_id = $1");
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, RelayRow>(&sql).bind(post_id).fetch_optional(conn).await?),
    )
}

pub async fn relays(db: &Db, member_id: Option<&str>) -> Result<Vec<RelayRow>, DbError> {
    let sql =
        format!("{RELAYS} WHERE ($1 IS NULL OR member_id = $1) ORDER BY relayed_at DESC, post_id");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, RelayRow>(&sql).bind(member_id).fetch_all(pool).await?),
    )
}

pub async fn live_relays_of(tx: &mut Tx<'_>, member_id: &str) -> Result<Vec<RelayRow>, DbError> {
    let sql = format!(
        "{RELAYS} WHERE member_id = $1 AND removed_at IS NULL AND undone_at IS NULL ORDER BY relayed_at"
    );
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, RelayRow>(&sql).bind(member_id).fetch_all(conn).await?),
    )
}

/// Relays of a member since a time (for its hourly limit).
pub async fn count_since(
    tx: &mut Tx<'_>,
    member_id: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    let sql = "SELECT COUNT(*) FROM relays WHERE member_id = $1 AND relayed_at >= $2";
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(member_id).bind(since).fetch_one(conn).await?),
    )
}

pub async fn mark_removed(tx: &mut Tx<'_>, post_id: &str) -> Result<bool, DbError> {
    let sql = "UPDATE relays SET removed_at = $1 WHERE post_id = $2 AND removed_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(Utc::now()).bind(post_id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

pub async fn mark_undone(tx: &mut Tx<'_>, post_id: &str) -> Result<bool, DbError> {
    let sql = "UPDATE relays SET undone_at = $1 WHERE post_id = $2 AND undone_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(Utc::now()).bind(post_id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRow {
    pub post_id: String,
    pub actor_id: String,
    pub create_id: String,
    pub create_json: String,
    pub reason: String,
    pub received_at: DateTime<Utc>,
}

pub async fn hold(
    tx: &mut Tx<'_>,
    post_id: &str,
    actor_id: &str,
    create_id: &str,
    create_json: &str,
    reason: &str,
) -> Result<bool, DbError> {
    let sql = "INSERT INTO pending_posts (post_id, actor_id, create_id, create_json, reason, received_at) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (post_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(post_id)
        .bind(actor_id)
        .bind(create_id)
        .bind(create_json)
        .bind(reason)
        .bind(Utc::now())
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn pending(db: &Db) -> Result<Vec<PendingRow>, DbError> {
    let sql = "SELECT post_id, actor_id, create_id, create_json, reason, received_at FROM pending_posts \
               WHERE decided_at IS NULL ORDER BY received_at, post_id";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, PendingRow>(sql).fetch_all(pool).await?))
}

pub async fn pending_in(tx: &mut Tx<'_>, post_id: &str) -> Result<Option<PendingRow>, DbError> {
    let sql = "SELECT post_id, actor_id, create_id, create_json, reason, received_at FROM pending_posts \
               WHERE post_id = $1 AND decided_at IS NULL";
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, PendingRow>(sql).bind(post_id).fetch_optional(conn).await?),
    )
}

pub async fn decide(
    tx: &mut Tx<'_>,
    post_id: &str,
    decision: super::states::RelayDecision,
) -> Result<bool, DbError> {
    let sql = "UPDATE pending_posts SET decided_at = $1, decision = $2 WHERE post_id = $3 AND decided_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(Utc::now()).bind(decision).bind(post_id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

/// Inboxes of every accepted follower (shared first) and the member's, for a relay.
pub async fn is_member(db: &Db, actor_id: &str) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM members WHERE actor_id = $1";
    let n: i64 =
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(actor_id).fetch_one(pool).await?);
    Ok(n > 0)
}

/// When an instance's software was last looked up.
pub async fn instance_fetched_at(db: &Db, host: &str) -> Result<Option<DateTime<Utc>>, DbError> {
    let sql = "SELECT fetched_at FROM instances WHERE host = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar::<_, DateTime<Utc>>(sql).bind(host).fetch_optional(pool).await?),
    )
}

pub async fn set_instance_software(
    db: &Db,
    host: &str,
    software: Option<&str>,
) -> Result<(), DbError> {
    let sql = "INSERT INTO instances (host, software, fetched_at) VALUES ($1, $2, $3) \
               ON CONFLICT (host) DO UPDATE SET software = excluded.software, fetched_at = excluded.fetched_at";
    on_pool!(db, pool => sqlx::query(sql).bind(host).bind(software).bind(Utc::now()).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Inboxes of followers on servers running one of `software` (lower-case names).
pub async fn follower_inboxes_on(
    tx: &mut Tx<'_>,
    software: &[&str],
) -> Result<Vec<String>, DbError> {
    let placeholders: Vec<String> = (1..=software.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) FROM followers f \
         JOIN remote_actors a ON a.id = f.actor_id JOIN instances i ON i.host = a.host \
         WHERE f.state = 'accepted' AND i.software IN ({})",
        placeholders.join(", ")
    );
    Ok(on_tx!(tx, conn => {
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for s in software {
            q = q.bind(*s);
        }
        q.fetch_all(conn).await?
    }))
}
