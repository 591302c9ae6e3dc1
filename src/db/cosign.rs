//! Co-signatures, likes, the ledger and pending count refreshes.

use chrono::{DateTime, Utc};

use super::{
    Db, DbError, Tx, on_pool, on_tx,
    states::{SignerClass, Visibility},
};
use crate::domain::ledger::StoredEntry;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignatureRow {
    pub announce_id: String,
    pub slug: String,
    pub actor_id: String,
    pub actor_kind: String,
    pub actor_name: Option<String>,
    pub actor_handle: Option<String>,
    pub actor_icon: Option<String>,
    pub actor_host: String,
    pub class: SignerClass,
    pub counts: bool,
    pub visibility: Visibility,
    pub version: i32,
    pub version_hash: String,
    pub signed_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub hidden_reason: Option<String>,
}

pub(super) const COLUMNS: &str = "announce_id, slug, actor_id, actor_kind, actor_name, actor_handle, \
     actor_icon, actor_host, class, counts, visibility, version, version_hash, signed_at, \
     withdrawn_at, hidden_at, hidden_reason";

/// Serialise changes to one statement's ledger: on PostgreSQL a row lock on the statement
/// (SQLite transactions already take the database's write lock when they begin).
pub async fn lock_statement(tx: &mut Tx<'_>, slug: &str) -> Result<(), DbError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT slug FROM statements WHERE slug = $1 FOR UPDATE")
            .bind(slug)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Active (not withdrawn) boosts of an actor, on one statement or on all.
pub async fn active_of(
    tx: &mut Tx<'_>,
    actor_id: &str,
    slug: Option<&str>,
) -> Result<Vec<SignatureRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cosignatures WHERE actor_id = $1 AND withdrawn_at IS NULL \
         AND ($2 IS NULL OR slug = $2) ORDER BY signed_at"
    );
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, SignatureRow>(&sql)
        .bind(actor_id)
        .bind(slug)
        .fetch_all(conn)
        .await?))
}

pub async fn by_announce(
    tx: &mut Tx<'_>,
    announce_id: &str,
) -> Result<Option<SignatureRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM cosignatures WHERE announce_id = $1");
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, SignatureRow>(&sql)
        .bind(announce_id)
        .fetch_optional(conn)
        .await?))
}

pub async fn withdraw(
    tx: &mut Tx<'_>,
    announce_id: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql =
        "UPDATE cosignatures SET withdrawn_at = $1 WHERE announce_id = $2 AND withdrawn_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(at).bind(announce_id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

pub async fn hide(
    tx: &mut Tx<'_>,
    announce_id: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = "UPDATE cosignatures SET hidden_at = $1, hidden_reason = $2 \
               WHERE announce_id = $3 AND hidden_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(at)
        .bind(reason)
        .bind(announce_id)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Show a hidden signature again; false when it was not hidden.
pub async fn unhide(tx: &mut Tx<'_>, announce_id: &str) -> Result<bool, DbError> {
    let sql = "UPDATE cosignatures SET hidden_at = NULL, hidden_reason = NULL \
               WHERE announce_id = $1 AND hidden_at IS NOT NULL";
    let n =
        on_tx!(tx, conn => sqlx::query(sql).bind(announce_id).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

/// Current boosts of a statement: co-signers first (members, organisations, persons), then
/// shares; hidden ones only when asked for.
pub async fn current(db: &Db, slug: &str, with_hidden: bool) -> Result<Vec<SignatureRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM cosignatures c WHERE slug = $1 AND withdrawn_at IS NULL {} \
         AND NOT {RECORDED_HANDLE} \
         ORDER BY CASE WHEN counts THEN 0 ELSE 1 END, \
         CASE {SHOWN_CLASS} WHEN 'member' THEN 0 WHEN 'organisation' THEN 1 ELSE 2 END, \
         signed_at, announce_id",
        shown_columns(),
        if with_hidden {
            ""
        } else {
            "AND hidden_at IS NULL"
        }
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, SignatureRow>(&sql).bind(slug).fetch_all(pool).await?),
    )
}

/// A signer's class as shown: member while on the roster now, else organisation or person
/// by its actor type (the ledger keeps the class it had when it signed).
const SHOWN_CLASS: &str = "(CASE WHEN EXISTS (SELECT 1 FROM members m WHERE m.actor_id = c.actor_id) \
     THEN 'member' \
     WHEN c.class <> 'member' THEN c.class \
     WHEN c.actor_kind IN ('Group', 'Organization', 'Service', 'Application') THEN 'organisation' \
     ELSE 'person' END)";

fn shown_columns() -> String {
    format!(
        "announce_id, slug, actor_id, actor_kind, actor_name, actor_handle, actor_icon, \
         actor_host, {SHOWN_CLASS} AS class, counts, visibility, version, version_hash, \
         signed_at, withdrawn_at, hidden_at, hidden_reason"
    )
}

/// How many current, visible signatures that count, and how many ledger entries, a
/// statement has: the heads of its `cosigners` and `ledger` collections, without reading
/// the rows.
pub async fn sizes(db: &Db, slug: &str) -> Result<(u64, u64), DbError> {
    let sql = format!(
        "SELECT \
         (SELECT COUNT(*) FROM cosignatures c WHERE slug = $1 AND withdrawn_at IS NULL \
          AND hidden_at IS NULL AND counts AND NOT {RECORDED_HANDLE}) \
         + (SELECT COUNT(*) FROM signatories WHERE slug = $1 AND withdrawn_at IS NULL), \
         (SELECT COUNT(*) FROM ledger WHERE slug = $1)"
    );
    let (signers, entries): (i64, i64) =
        on_pool!(db, pool => sqlx::query_as(&sql).bind(slug).fetch_one(pool).await?);
    Ok((
        u64::try_from(signers).unwrap_or(0),
        u64::try_from(entries).unwrap_or(0),
    ))
}

/// Shares (current, visible boosts, by distinct actors), co-signatures among them, likes,
/// and the signatories the coalition recorded. A co-signer whose handle is that of a current
/// recorded signatory is one signatory: counted among the recorded, not in `signatures`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub shares: u64,
    pub signatures: u64,
    pub likes: u64,
    pub recorded: u64,
}

impl Tally {
    /// Every current signatory: recorded and on the fediverse.
    pub fn total(&self) -> u64 {
        self.recorded + self.signatures
    }
}

/// The SQL condition "this co-signature's actor is a current recorded signatory" for a row
/// of `cosignatures` named `c`.
pub const RECORDED_HANDLE: &str = "EXISTS (SELECT 1 FROM signatories g WHERE g.slug = c.slug \
     AND g.withdrawn_at IS NULL AND g.handle = LOWER(c.actor_handle))";

pub async fn tally(db: &Db, slug: &str) -> Result<Tally, DbError> {
    let boosts = format!(
        "SELECT COUNT(DISTINCT actor_id), \
         COUNT(DISTINCT CASE WHEN counts AND NOT {RECORDED_HANDLE} THEN actor_id END) \
         FROM cosignatures c WHERE slug = $1 AND withdrawn_at IS NULL AND hidden_at IS NULL"
    );
    let likes = "SELECT COUNT(DISTINCT actor_id) FROM statement_likes WHERE slug = $1";
    let recorded = "SELECT COUNT(*) FROM signatories WHERE slug = $1 AND withdrawn_at IS NULL";
    let ((shares, signatures), likes, recorded): ((i64, i64), i64, i64) = on_pool!(db, pool => (
        sqlx::query_as::<_, (i64, i64)>(&boosts).bind(slug).fetch_one(pool).await?,
        sqlx::query_scalar::<_, i64>(likes).bind(slug).fetch_one(pool).await?,
        sqlx::query_scalar::<_, i64>(recorded).bind(slug).fetch_one(pool).await?,
    ));
    let n = |x: i64| u64::try_from(x).unwrap_or(0);
    Ok(Tally {
        shares: n(shares),
        signatures: n(signatures),
        likes: n(likes),
        recorded: n(recorded),
    })
}

pub async fn insert_like(
    tx: &mut Tx<'_>,
    like_id: &str,
    slug: &str,
    actor_id: &str,
) -> Result<bool, DbError> {
    let sql = "INSERT INTO statement_likes (like_id, slug, actor_id, created_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (like_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(like_id)
        .bind(slug)
        .bind(actor_id)
        .bind(Utc::now())
        .execute(conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Remove a like by its id, or an actor's likes of a statement; returns the slugs touched.
pub async fn remove_likes(
    tx: &mut Tx<'_>,
    actor_id: &str,
    like_id: Option<&str>,
    slug: Option<&str>,
) -> Result<Vec<String>, DbError> {
    let select = "SELECT DISTINCT slug FROM statement_likes WHERE actor_id = $1 \
                  AND ($2 IS NULL OR like_id = $2) AND ($3 IS NULL OR slug = $3)";
    let delete = "DELETE FROM statement_likes WHERE actor_id = $1 \
                  AND ($2 IS NULL OR like_id = $2) AND ($3 IS NULL OR slug = $3)";
    Ok(on_tx!(tx, conn => {
        let slugs: Vec<String> = sqlx::query_scalar(select)
            .bind(actor_id)
            .bind(like_id)
            .bind(slug)
            .fetch_all(&mut *conn)
            .await?;
        sqlx::query(delete).bind(actor_id).bind(like_id).bind(slug).execute(&mut *conn).await?;
        slugs
    }))
}

/// The last entry of a statement's ledger: its seq and hash.
pub async fn last_entry(tx: &mut Tx<'_>, slug: &str) -> Result<Option<(i64, String)>, DbError> {
    let sql = "SELECT seq, hash FROM ledger WHERE slug = $1 ORDER BY seq DESC LIMIT 1";
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, (i64, String)>(sql).bind(slug).fetch_optional(conn).await?),
    )
}

pub async fn ledger(db: &Db, slug: &str) -> Result<Vec<StoredEntry>, DbError> {
    let sql = "SELECT seq, entry, hash, request FROM ledger WHERE slug = $1 ORDER BY seq";
    let rows: Vec<(i64, String, String, Option<String>)> =
        on_pool!(db, pool => sqlx::query_as(sql).bind(slug).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|(seq, entry, hash, request)| StoredEntry {
            seq,
            entry,
            hash,
            request,
        })
        .collect())
}

/// A count refresh of a statement asked for (slug, due time), unless one is pending.
pub(super) const REQUEST_REFRESH: &str =
    "INSERT INTO count_refreshes (slug, due_at) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING";

/// Ask for a count refresh of `slug` at `due_ms`, unless one is already pending.
pub async fn request_refresh(tx: &mut Tx<'_>, slug: &str, due_ms: i64) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query(REQUEST_REFRESH).bind(slug).bind(due_ms).execute(conn).await.map(|_| ())?);
    Ok(())
}

pub async fn due_refreshes(db: &Db, now_ms: i64) -> Result<Vec<String>, DbError> {
    let sql = "SELECT slug FROM count_refreshes WHERE due_at <= $1 ORDER BY due_at";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar::<_, String>(sql).bind(now_ms).fetch_all(pool).await?),
    )
}

/// When the earliest pending count refresh is due.
pub async fn next_refresh_ms(db: &Db) -> Result<Option<i64>, DbError> {
    let sql = "SELECT MIN(due_at) FROM count_refreshes";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, Option<i64>>(sql).fetch_one(pool).await?))
}

/// Take a due refresh; false when another process took it first.
pub async fn take_refresh(tx: &mut Tx<'_>, slug: &str, now_ms: i64) -> Result<bool, DbError> {
    let sql = "DELETE FROM count_refreshes WHERE slug = $1 AND due_at <= $2";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(slug).bind(now_ms).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

/// An actor moved: its active signatures now name its new account.
pub async fn move_signatures(tx: &mut Tx<'_>, from: &str, to: &str) -> Result<u64, DbError> {
    let sql = "UPDATE cosignatures SET actor_id = $1 WHERE actor_id = $2 AND withdrawn_at IS NULL";
    Ok(
        on_tx!(tx, conn => sqlx::query(sql).bind(to).bind(from).execute(conn).await?.rows_affected()),
    )
}

/// Every signature of a statement that is not hidden, withdrawn ones included, oldest first.
pub async fn history(db: &Db, slug: &str) -> Result<Vec<SignatureRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM cosignatures c WHERE slug = $1 AND hidden_at IS NULL \
         ORDER BY signed_at, announce_id",
        shown_columns()
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, SignatureRow>(&sql).bind(slug).fetch_all(pool).await?),
    )
}
