//! The web admin's accounts, their API tokens and their login throttle (docs/admin.md).

use chrono::{DateTime, Utc};

use super::{Db, DbError, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub setup_expires_at: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_login_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "name, role, password_hash, setup_expires_at, failed_logins, \
     locked_until, disabled_at, created_at, created_by, last_login_at";

/// How many accounts exist: the web admin is off while there are none.
pub async fn count(db: &Db) -> Result<i64, DbError> {
    let sql = "SELECT COUNT(*) FROM admin_accounts";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await?))
}

/// A new account without a password, reachable through a one-time link; false when the
/// name is taken.
pub async fn insert(
    db: &Db,
    name: &str,
    role: &str,
    setup: (&str, i64),
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = "INSERT INTO admin_accounts (name, role, setup_sha256, setup_expires_at, \
               created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) \
               ON CONFLICT (name) DO NOTHING";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(name)
        .bind(role)
        .bind(setup.0)
        .bind(setup.1)
        .bind(at)
        .bind(by)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn get(db: &Db, name: &str) -> Result<Option<AccountRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM admin_accounts WHERE name = $1");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, AccountRow>(&sql)
        .bind(name)
        .fetch_optional(pool)
        .await?))
}

pub async fn list(db: &Db) -> Result<Vec<AccountRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM admin_accounts ORDER BY name");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, AccountRow>(&sql).fetch_all(pool).await?))
}

/// The account a one-time link's secret (SHA-256, hex) opens, while the link is valid.
pub async fn by_setup(db: &Db, sha256: &str, now_ms: i64) -> Result<Option<AccountRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM admin_accounts \
         WHERE setup_sha256 = $1 AND setup_expires_at > $2 AND disabled_at IS NULL"
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, AccountRow>(&sql)
        .bind(sha256)
        .bind(now_ms)
        .fetch_optional(pool)
        .await?))
}

/// Set the password (an Argon2id PHC string) and spend the one-time link.
pub async fn set_password(db: &Db, name: &str, hash: &str) -> Result<bool, DbError> {
    let sql = "UPDATE admin_accounts SET password_hash = $2, setup_sha256 = NULL, \
               setup_expires_at = NULL, failed_logins = 0, locked_until = NULL WHERE name = $1";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(name)
        .bind(hash)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Forget the password and open a new one-time link; the account's sessions end too.
pub async fn reset(db: &Db, name: &str, setup: (&str, i64)) -> Result<bool, DbError> {
    let sql = "UPDATE admin_accounts SET password_hash = NULL, setup_sha256 = $2, \
               setup_expires_at = $3, failed_logins = 0, locked_until = NULL WHERE name = $1";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(name)
        .bind(setup.0)
        .bind(setup.1)
        .execute(pool)
        .await?
        .rows_affected());
    end_sessions(db, name).await?;
    Ok(n == 1)
}

/// Disable (`Some(at)`) or enable (`None`) an account; disabling ends its sessions.
pub async fn set_disabled(db: &Db, name: &str, at: Option<DateTime<Utc>>) -> Result<bool, DbError> {
    let sql = "UPDATE admin_accounts SET disabled_at = $2 WHERE name = $1";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(name)
        .bind(at)
        .execute(pool)
        .await?
        .rows_affected());
    if at.is_some() {
        end_sessions(db, name).await?;
    }
    Ok(n == 1)
}

pub async fn set_role(db: &Db, name: &str, role: &str) -> Result<bool, DbError> {
    let sql = "UPDATE admin_accounts SET role = $2 WHERE name = $1";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(name)
        .bind(role)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Count a failed login; from `limit` failures in a row the account is locked for `lock_ms`.
/// Returns when the lock ends, if it is locked now.
pub async fn failed_login(
    db: &Db,
    name: &str,
    limit: i64,
    lock_ms: i64,
    now_ms: i64,
) -> Result<Option<i64>, DbError> {
    let sql = "UPDATE admin_accounts SET failed_logins = failed_logins + 1, \
               locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
               WHERE name = $1 RETURNING locked_until";
    let until: Option<Option<i64>> = on_pool!(db, pool => sqlx::query_scalar(sql)
        .bind(name)
        .bind(limit)
        .bind(now_ms + lock_ms)
        .fetch_optional(pool)
        .await?);
    Ok(until.flatten().filter(|t| *t > now_ms))
}

/// A good login: the failures are forgotten.
pub async fn logged_in(db: &Db, name: &str, at: DateTime<Utc>) -> Result<(), DbError> {
    let sql = "UPDATE admin_accounts SET failed_logins = 0, locked_until = NULL, \
               last_login_at = $2 WHERE name = $1";
    on_pool!(db, pool => sqlx::query(sql).bind(name).bind(at).execute(pool).await?.rows_affected());
    Ok(())
}

// --- sessions: the rows behind the web admin's cookie ---

/// A session's JSON, while it has not expired.
pub async fn session(db: &Db, id: &str, now_ms: i64) -> Result<Option<(String, i64)>, DbError> {
    let sql = "SELECT data, expires_at FROM admin_sessions WHERE id = $1 AND expires_at > $2";
    Ok(on_pool!(db, pool => sqlx::query_as(sql)
        .bind(id)
        .bind(now_ms)
        .fetch_optional(pool)
        .await?))
}

/// Create the session, or false when the id is taken (the caller draws another).
pub async fn create_session(
    db: &Db,
    id: &str,
    account: Option<&str>,
    data: &str,
    expires_at: i64,
) -> Result<bool, DbError> {
    let sql = "INSERT INTO admin_sessions (id, account, data, expires_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(id)
        .bind(account)
        .bind(data)
        .bind(expires_at)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn save_session(
    db: &Db,
    id: &str,
    account: Option<&str>,
    data: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    let sql = "INSERT INTO admin_sessions (id, account, data, expires_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
               SET account = $2, data = $3, expires_at = $4";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(id)
        .bind(account)
        .bind(data)
        .bind(expires_at)
        .execute(pool)
        .await?.rows_affected());
    Ok(())
}

pub async fn delete_session(db: &Db, id: &str) -> Result<(), DbError> {
    let sql = "DELETE FROM admin_sessions WHERE id = $1";
    on_pool!(db, pool => sqlx::query(sql).bind(id).execute(pool).await?.rows_affected());
    Ok(())
}

/// Log an account out everywhere; returns how many sessions ended.
pub async fn end_sessions(db: &Db, account: &str) -> Result<u64, DbError> {
    let sql = "DELETE FROM admin_sessions WHERE account = $1";
    Ok(on_pool!(db, pool => sqlx::query(sql)
        .bind(account)
        .execute(pool)
        .await?
        .rows_affected()))
}

/// Forget expired sessions.
pub async fn purge_sessions(db: &Db, now_ms: i64) -> Result<u64, DbError> {
    let sql = "DELETE FROM admin_sessions WHERE expires_at <= $1";
    Ok(on_pool!(db, pool => sqlx::query(sql)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected()))
}

pub async fn session_count(db: &Db, account: &str, now_ms: i64) -> Result<i64, DbError> {
    let sql = "SELECT COUNT(*) FROM admin_sessions WHERE account = $1 AND expires_at > $2";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql)
        .bind(account)
        .bind(now_ms)
        .fetch_one(pool)
        .await?))
}
