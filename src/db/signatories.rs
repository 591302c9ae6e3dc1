//! Signatories recorded by the coalition, per statement, never deleted.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx, on_pool, on_tx};
use crate::domain::signatories::Signatory;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignatoryRow {
    pub slug: String,
    pub n: i64,
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub kind: String,
    pub link: Option<String>,
    pub handle: Option<String>,
    pub source: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
}

const COLUMNS: &str = "slug, n, name, role, organisation, kind, link, handle, source, \
     recorded_by, recorded_at, withdrawn_at, withdrawn_by";

/// Record one; returns its number in the statement (the caller holds the statement's lock).
pub async fn insert(
    tx: &mut Tx<'_>,
    slug: &str,
    s: &Signatory,
    source: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64, DbError> {
    let next = "SELECT COALESCE(MAX(n), 0) + 1 FROM signatories WHERE slug = $1";
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(next).bind(slug).fetch_one(conn).await?);
    let sql = format!(
        "INSERT INTO signatories ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL)"
    );
    on_tx!(tx, conn => sqlx::query(&sql)
        .bind(slug)
        .bind(n)
        .bind(&s.name)
        .bind(&s.role)
        .bind(&s.organisation)
        .bind(s.kind.as_str())
        .bind(&s.link)
        .bind(&s.handle)
        .bind(source)
        .bind(by)
        .bind(at)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n)
}

/// Mark one withdrawn; false when it was not current.
pub async fn withdraw(
    tx: &mut Tx<'_>,
    slug: &str,
    n: i64,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = "UPDATE signatories SET withdrawn_at = $1, withdrawn_by = $2 \
               WHERE slug = $3 AND n = $4 AND withdrawn_at IS NULL";
    let done = on_tx!(tx, conn => sqlx::query(sql)
        .bind(at)
        .bind(by)
        .bind(slug)
        .bind(n)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// The current ones of a statement, in the order they were recorded (within a transaction).
pub async fn current_in(tx: &mut Tx<'_>, slug: &str) -> Result<Vec<SignatoryRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signatories WHERE slug = $1 AND withdrawn_at IS NULL ORDER BY n"
    );
    Ok(on_tx!(tx, conn => sqlx::query_as(&sql).bind(slug).fetch_all(conn).await?))
}

/// Every one of a statement, current and withdrawn, in order.
pub async fn all(db: &Db, slug: &str) -> Result<Vec<SignatoryRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM signatories WHERE slug = $1 ORDER BY n");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(slug).fetch_all(pool).await?))
}

/// How many current ones a statement has.
pub async fn count(db: &Db, slug: &str) -> Result<u64, DbError> {
    let sql = "SELECT COUNT(*) FROM signatories WHERE slug = $1 AND withdrawn_at IS NULL";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql).bind(slug).fetch_one(pool).await?);
    Ok(u64::try_from(n).unwrap_or_default())
}
