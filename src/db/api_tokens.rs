//! API tokens that admin accounts make for their scripts: kept as SHA-256 only.

use chrono::{DateTime, Utc};

use super::{Db, DbError, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub token_sha256: String,
    pub account: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "token_sha256, account, label, created_at, last_used_at, revoked_at";

pub async fn insert(
    db: &Db,
    sha256: &str,
    account: &str,
    label: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let sql = "INSERT INTO admin_tokens (token_sha256, account, label, created_at) \
               VALUES ($1, $2, $3, $4)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(sha256)
        .bind(account)
        .bind(label)
        .bind(at)
        .execute(pool)
        .await?.rows_affected());
    Ok(())
}

/// The account and role a presented token acts for: not revoked, its account enabled.
pub async fn holder(db: &Db, sha256: &str) -> Result<Option<(String, String, String)>, DbError> {
    let sql = "SELECT t.account, a.role, t.label FROM admin_tokens t \
               JOIN admin_accounts a ON a.name = t.account \
               WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL";
    Ok(on_pool!(db, pool => sqlx::query_as(sql)
        .bind(sha256)
        .fetch_optional(pool)
        .await?))
}

pub async fn touch(db: &Db, sha256: &str, at: DateTime<Utc>) -> Result<(), DbError> {
    let sql = "UPDATE admin_tokens SET last_used_at = $2 WHERE token_sha256 = $1";
    on_pool!(db, pool => sqlx::query(sql).bind(sha256).bind(at).execute(pool).await?.rows_affected());
    Ok(())
}

/// An account's tokens, newest first.
pub async fn of(db: &Db, account: &str) -> Result<Vec<TokenRow>, DbError> {
    let sql =
        format!("SELECT {COLUMNS} FROM admin_tokens WHERE account = $1 ORDER BY created_at DESC");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, TokenRow>(&sql)
        .bind(account)
        .fetch_all(pool)
        .await?))
}

/// Revoke one of the account's tokens, named by its hash; false when it has no such token
/// still in use.
pub async fn revoke(
    db: &Db,
    account: &str,
    sha256: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = "UPDATE admin_tokens SET revoked_at = $3 \
               WHERE account = $1 AND token_sha256 = $2 AND revoked_at IS NULL";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(account)
        .bind(sha256)
        .bind(at)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}
