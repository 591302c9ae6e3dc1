//! The coalition's own row: its RSA key pair, its Ed25519 key (docs/ledger.md) and creation
//! time.

use chrono::{DateTime, SubsecRound, Utc};

use super::{Db, DbError, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct LocalActorRow {
    pub public_key_pem: String,
    pub private_key_pem: String,
    pub created_at: DateTime<Utc>,
    /// Signs the ledgers' heads; empty until the first start after migration 0011.
    pub ed25519_private_key_pem: Option<String>,
}

impl std::fmt::Debug for LocalActorRow {
    // The private key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalActorRow")
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

pub async fn get(db: &Db) -> Result<Option<LocalActorRow>, DbError> {
    let sql = "SELECT public_key_pem, private_key_pem, created_at, ed25519_private_key_pem \
               FROM local_actor WHERE id = 1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, LocalActorRow>(sql).fetch_optional(pool).await?))
}

/// Insert the row unless one exists, and return the row that is stored. When several
/// processes start together on one PostgreSQL, the first insert wins and all use its key.
pub async fn insert_if_absent(
    db: &Db,
    public_key_pem: &str,
    private_key_pem: &str,
) -> Result<LocalActorRow, DbError> {
    let now = Utc::now().trunc_subsecs(0);
    let sql = "INSERT INTO local_actor (id, public_key_pem, private_key_pem, created_at) \
               VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(public_key_pem)
        .bind(private_key_pem)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())?);
    get(db)
        .await?
        .ok_or_else(|| DbError::Setup("the coalition's row vanished after insert".into()))
}

/// Store a new key pair (key rotation).
pub async fn replace_keys(
    tx: &mut super::Tx<'_>,
    public_key_pem: &str,
    private_key_pem: &str,
) -> Result<(), DbError> {
    let sql = "UPDATE local_actor SET public_key_pem = $1, private_key_pem = $2 WHERE id = 1";
    super::on_tx!(tx, conn => sqlx::query(sql)
        .bind(public_key_pem)
        .bind(private_key_pem)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Store the Ed25519 key unless one is stored; true when this one was. When several
/// processes start together on one PostgreSQL, the first wins and the others read its key.
pub async fn adopt_ed25519(tx: &mut super::Tx<'_>, private_key_pem: &str) -> Result<bool, DbError> {
    let sql = "UPDATE local_actor SET ed25519_private_key_pem = $1 \
               WHERE id = 1 AND ed25519_private_key_pem IS NULL";
    let n = super::on_tx!(tx, conn => sqlx::query(sql)
        .bind(private_key_pem)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}
