//! The latest signed head of each statement's ledger (docs/ledger.md).

use super::{Db, DbError, Tx, on_pool, on_tx};

/// A stored head: the entry it names and the signed document as published.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeadRow {
    pub seq: i64,
    pub hash: String,
    pub signed: String,
}

/// Replace the statement's head (slug, seq, hash, signed document).
pub(super) const UPSERT: &str = "INSERT INTO ledger_heads (slug, seq, hash, signed) \
                                 VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO UPDATE \
                                 SET seq = excluded.seq, hash = excluded.hash, \
                                 signed = excluded.signed";

/// Replace the statement's head, in the transaction that appended the entry it names.
pub async fn upsert(
    tx: &mut Tx<'_>,
    slug: &str,
    seq: i64,
    hash: &str,
    signed: &str,
) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query(UPSERT)
        .bind(slug)
        .bind(seq)
        .bind(hash)
        .bind(signed)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn get(db: &Db, slug: &str) -> Result<Option<HeadRow>, DbError> {
    let sql = "SELECT seq, hash, signed FROM ledger_heads WHERE slug = $1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, HeadRow>(sql)
        .bind(slug)
        .fetch_optional(pool)
        .await?))
}

/// The last entry of every statement's ledger: slug, seq, hash.
pub async fn chain_ends(tx: &mut Tx<'_>) -> Result<Vec<(String, i64, String)>, DbError> {
    let sql = "SELECT l.slug, l.seq, l.hash FROM ledger l \
               WHERE l.seq = (SELECT MAX(m.seq) FROM ledger m WHERE m.slug = l.slug) \
               ORDER BY l.slug";
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, (String, i64, String)>(sql)
        .fetch_all(conn)
        .await?),
    )
}
