//! The audit log: every admin action, by whom, through what, from where (docs/admin.md).

use chrono::{DateTime, Utc};

use super::{Db, DbError, on_pool};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub via: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// An entry to add.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a str,
    /// `web`, `api` or `cli`.
    pub via: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub address: Option<&'a str>,
}

pub async fn insert(db: &Db, e: &NewEntry<'_>, at: DateTime<Utc>) -> Result<(), DbError> {
    let sql = "INSERT INTO audit_log (at, actor, via, action, target, detail, address) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(at)
        .bind(e.actor)
        .bind(e.via)
        .bind(e.action)
        .bind(e.target)
        .bind(e.detail)
        .bind(e.address)
        .execute(pool)
        .await?.rows_affected());
    Ok(())
}

/// Entries older than `before` (an id; all when None), newest first.
pub async fn page(db: &Db, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    let sql = "SELECT id, at, actor, via, action, target, detail, address FROM audit_log \
               WHERE id < $1 ORDER BY id DESC LIMIT $2";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, AuditRow>(sql)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await?))
}
