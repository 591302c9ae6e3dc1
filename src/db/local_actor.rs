//! The coalition's own row: its key pair and creation time.

use chrono::{DateTime, SubsecRound, Utc};

use super::{Db, DbError, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct LocalActorRow {
    pub public_key_pem: String,
    pub private_key_pem: String,
    pub created_at: DateTime<Utc>,
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
    let sql = "SELECT public_key_pem, private_key_pem, created_at FROM local_actor WHERE id = 1";
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
    tx: &mut super::Tx,
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
