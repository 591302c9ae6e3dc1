//! Remote actors: the fields we read and the document as received.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx, on_pool, on_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RemoteActorRow {
    pub id: String,
    pub kind: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub host: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub icon_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub document: String,
    pub fetched_at: DateTime<Utc>,
}

/// A stored actor as tests need one: `id` on `host`, its key `{id}#main-key`.
#[cfg(test)]
pub(crate) fn sample_row(id: &str, host: &str) -> RemoteActorRow {
    RemoteActorRow {
        id: id.into(),
        kind: "Person".into(),
        preferred_username: Some("a".into()),
        name: None,
        host: host.into(),
        inbox: format!("{id}/inbox"),
        shared_inbox: None,
        icon_url: None,
        public_key_id: format!("{id}#main-key"),
        public_key_pem: "pem".into(),
        document: "{}".into(),
        fetched_at: Utc::now(),
    }
}

pub(super) const COLUMNS: &str = "id, kind, preferred_username, name, host, inbox, shared_inbox, icon_url, \
                       public_key_id, public_key_pem, document, fetched_at";

pub async fn get(db: &Db, id: &str) -> Result<Option<RemoteActorRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM remote_actors WHERE id = $1");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, RemoteActorRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?),
    )
}

/// Insert or refresh an actor.
pub async fn upsert(db: &Db, row: &RemoteActorRow) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    upsert_in(&mut tx, row).await?;
    tx.commit().await
}

pub async fn upsert_in(tx: &mut Tx<'_>, row: &RemoteActorRow) -> Result<(), DbError> {
    let sql = format!(
        "INSERT INTO remote_actors ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
         preferred_username = excluded.preferred_username, name = excluded.name, \
         host = excluded.host, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, \
         icon_url = excluded.icon_url, public_key_id = excluded.public_key_id, \
         public_key_pem = excluded.public_key_pem, document = excluded.document, \
         fetched_at = excluded.fetched_at"
    );
    on_tx!(tx, conn => sqlx::query(&sql)
        .bind(&row.id)
        .bind(&row.kind)
        .bind(&row.preferred_username)
        .bind(&row.name)
        .bind(&row.host)
        .bind(&row.inbox)
        .bind(&row.shared_inbox)
        .bind(&row.icon_url)
        .bind(&row.public_key_id)
        .bind(&row.public_key_pem)
        .bind(&row.document)
        .bind(row.fetched_at)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Forget an actor; its follow goes with it (ON DELETE CASCADE).
pub async fn delete(db: &Db, id: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM remote_actors WHERE id = $1";
    let n = on_pool!(db, pool => sqlx::query(sql).bind(id).execute(pool).await?.rows_affected());
    Ok(n > 0)
}

pub async fn delete_in(tx: &mut Tx<'_>, id: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM remote_actors WHERE id = $1";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(id).execute(conn).await?.rows_affected());
    Ok(n > 0)
}

/// The id of the known actor `@user@host` (user without regard to case).
pub async fn find_by_handle(db: &Db, user: &str, host: &str) -> Result<Option<String>, DbError> {
    let sql = "SELECT id FROM remote_actors WHERE LOWER(preferred_username) = LOWER($1) \
               AND LOWER(host) = LOWER($2) ORDER BY fetched_at DESC LIMIT 1";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, String>(sql)
        .bind(user)
        .bind(host)
        .fetch_optional(pool)
        .await?))
}

pub async fn get_in(tx: &mut Tx<'_>, id: &str) -> Result<Option<RemoteActorRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM remote_actors WHERE id = $1");
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, RemoteActorRow>(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?))
}
