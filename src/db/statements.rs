//! Statements and their versions, and the images published with them.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx, on_pool, on_tx};
use crate::domain::{
    diff,
    statement::{Federate, Mentioned, StoredText},
};

/// A statement with the texts of its current version.
#[derive(Debug, Clone)]
pub struct StatementRow {
    pub slug: String,
    pub current_version: i32,
    pub tags: Vec<String>,
    pub image_hash: Option<String>,
    pub image_alt: Option<String>,
    pub image_type: Option<String>,
    pub pinned: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version_hash: String,
    /// Each language of the current version, the primary one first.
    pub texts: Vec<StoredText>,
    /// The actors the statement mentions.
    pub mentions: Vec<Mentioned>,
    /// Whole text or excerpt on the fediverse.
    pub federate: Federate,
}

/// The row as stored: the lists are JSON text on both backends.
#[derive(sqlx::FromRow)]
struct StoredRow {
    slug: String,
    current_version: i32,
    tags: String,
    image_hash: Option<String>,
    image_alt: Option<String>,
    image_type: Option<String>,
    pinned: bool,
    published_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    version_hash: String,
    texts: String,
    mentions: String,
    federate: String,
}

/// A JSON column read back into its type; written by this module, so a failure means the
/// database was changed by hand.
fn json_column<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> Result<T, DbError> {
    serde_json::from_str(text)
        .map_err(|e| DbError::Setup(format!("{column} is not the JSON tribune writes: {e}")))
}

impl TryFrom<StoredRow> for StatementRow {
    type Error = DbError;

    fn try_from(r: StoredRow) -> Result<StatementRow, DbError> {
        Ok(StatementRow {
            tags: json_column("statements.tags", &r.tags)?,
            texts: json_column("statement_versions.texts", &r.texts)?,
            mentions: json_column("statements.mentions", &r.mentions)?,
            federate: Federate::parse(&r.federate).ok_or_else(|| {
                DbError::Setup(format!("statements.federate is {:?}", r.federate))
            })?,
            slug: r.slug,
            current_version: r.current_version,
            image_hash: r.image_hash,
            image_alt: r.image_alt,
            image_type: r.image_type,
            pinned: r.pinned,
            published_at: r.published_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            version_hash: r.version_hash,
        })
    }
}

fn typed(rows: Vec<StoredRow>) -> Result<Vec<StatementRow>, DbError> {
    rows.into_iter().map(StatementRow::try_from).collect()
}

/// The columns of a `StoredRow` and where they come from, as literals to build queries with.
macro_rules! columns {
    () => {
        "s.slug, s.current_version, s.tags, s.image_hash, s.image_alt, \
         m.media_type AS image_type, s.pinned, s.published_at, s.updated_at, s.deleted_at, \
         v.hash AS version_hash, v.texts, s.mentions, s.federate"
    };
}

macro_rules! from {
    () => {
        "FROM statements s \
         JOIN statement_versions v ON v.slug = s.slug AND v.version = s.current_version \
         LEFT JOIN media m ON m.hash = s.image_hash"
    };
}

const SELECT: &str = concat!("SELECT ", columns!(), " ", from!());

pub async fn get(db: &Db, slug: &str) -> Result<Option<StatementRow>, DbError> {
    let sql = format!("{SELECT} WHERE s.slug = $1");
    on_pool!(db, pool => sqlx::query_as::<_, StoredRow>(&sql)
        .bind(slug)
        .fetch_optional(pool)
        .await?)
    .map(StatementRow::try_from)
    .transpose()
}

/// A statement with its ledger's last entry (place and hash), if it has one.
#[derive(sqlx::FromRow)]
struct WithHead {
    #[sqlx(flatten)]
    row: StoredRow,
    head_seq: Option<i64>,
    head_hash: Option<String>,
}

/// The statement and its ledger's last entry, read in one statement: what the inbox needs
/// to append co-signatures after it (BENCHMARKS.md, B4: each statement is a round trip).
/// Call it with the statement locked (`cosign::lock_statement`), so that the last entry
/// stays the last until the transaction ends.
pub async fn get_with_head_in(
    tx: &mut Tx<'_>,
    slug: &str,
) -> Result<Option<(StatementRow, Option<(i64, String)>)>, DbError> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        ", l.seq AS head_seq, l.hash AS head_hash ",
        from!(),
        " LEFT JOIN ledger l ON l.slug = s.slug \
         AND l.seq = (SELECT MAX(e.seq) FROM ledger e WHERE e.slug = s.slug) \
         WHERE s.slug = $1"
    );
    let found = on_tx!(tx, conn => sqlx::query_as::<_, WithHead>(SQL)
        .bind(slug)
        .fetch_optional(conn)
        .await?);
    found
        .map(|w| Ok((StatementRow::try_from(w.row)?, w.head_seq.zip(w.head_hash))))
        .transpose()
}

pub async fn get_in(tx: &mut Tx<'_>, slug: &str) -> Result<Option<StatementRow>, DbError> {
    let sql = format!("{SELECT} WHERE s.slug = $1");
    on_tx!(tx, conn => sqlx::query_as::<_, StoredRow>(&sql)
        .bind(slug)
        .fetch_optional(conn)
        .await?)
    .map(StatementRow::try_from)
    .transpose()
}

/// Statements newest first; deleted ones too when `with_deleted`.
pub async fn list(db: &Db, with_deleted: bool) -> Result<Vec<StatementRow>, DbError> {
    let sql = format!(
        "{SELECT} {} ORDER BY s.published_at DESC, s.slug",
        if with_deleted {
            ""
        } else {
            "WHERE s.deleted_at IS NULL"
        }
    );
    typed(on_pool!(db, pool => sqlx::query_as::<_, StoredRow>(&sql).fetch_all(pool).await?))
}

/// Pinned statements, newest first.
pub async fn pinned(db: &Db) -> Result<Vec<StatementRow>, DbError> {
    let sql = format!(
        "{SELECT} WHERE s.pinned AND s.deleted_at IS NULL ORDER BY s.published_at DESC, s.slug"
    );
    typed(on_pool!(db, pool => sqlx::query_as::<_, StoredRow>(&sql).fetch_all(pool).await?))
}

pub async fn count_published(db: &Db) -> Result<u64, DbError> {
    let sql = "SELECT COUNT(*) FROM statements WHERE deleted_at IS NULL";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether a slug was ever used, deleted statements included.
pub async fn slug_taken(tx: &mut Tx<'_>, slug: &str) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM statements WHERE slug = $1";
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql).bind(slug).fetch_one(conn).await?);
    Ok(n > 0)
}

#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub slug: &'a str,
    pub version: i32,
    pub hash: &'a str,
    pub texts: &'a str,
    pub tags: &'a str,
    pub image_hash: Option<&'a str>,
    pub image_alt: Option<&'a str>,
    pub mentions: &'a str,
    pub federate: Federate,
    pub at: DateTime<Utc>,
}

/// A new statement with its first version.
pub async fn insert(tx: &mut Tx<'_>, v: &NewVersion<'_>, pinned: bool) -> Result<(), DbError> {
    let statement = "INSERT INTO statements (slug, current_version, tags, image_hash, image_alt, \
                     pinned, published_at, mentions, federate) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, conn => {
        sqlx::query(statement)
            .bind(v.slug)
            .bind(v.version)
            .bind(v.tags)
            .bind(v.image_hash)
            .bind(v.image_alt)
            .bind(pinned)
            .bind(v.at)
            .bind(v.mentions)
            .bind(v.federate.as_str())
            .execute(&mut *conn)
            .await?;
    });
    insert_version(tx, v).await
}

async fn insert_version(tx: &mut Tx<'_>, v: &NewVersion<'_>) -> Result<(), DbError> {
    let sql = "INSERT INTO statement_versions (slug, version, hash, texts, created_at, tags, \
               image_hash, image_alt, mentions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(v.slug)
        .bind(v.version)
        .bind(v.hash)
        .bind(v.texts)
        .bind(v.at)
        .bind(v.tags)
        .bind(v.image_hash)
        .bind(v.image_alt)
        .bind(v.mentions)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

/// A new current version of an existing statement.
pub async fn add_version(tx: &mut Tx<'_>, v: &NewVersion<'_>) -> Result<(), DbError> {
    insert_version(tx, v).await?;
    let sql = "UPDATE statements SET current_version = $1, tags = $2, image_hash = $3, \
               image_alt = $4, updated_at = $5, mentions = $7, federate = $8 WHERE slug = $6";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(v.version)
        .bind(v.tags)
        .bind(v.image_hash)
        .bind(v.image_alt)
        .bind(v.at)
        .bind(v.slug)
        .bind(v.mentions)
        .bind(v.federate.as_str())
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Federate the same text otherwise: the Note changes, so `updated` does too.
pub async fn set_federate(
    tx: &mut Tx<'_>,
    slug: &str,
    federate: Federate,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let sql = "UPDATE statements SET federate = $1, updated_at = $2 WHERE slug = $3";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(federate.as_str())
        .bind(at)
        .bind(slug)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn set_pinned(tx: &mut Tx<'_>, slug: &str, pinned: bool) -> Result<(), DbError> {
    let sql = "UPDATE statements SET pinned = $1 WHERE slug = $2";
    on_tx!(tx, conn => sqlx::query(sql).bind(pinned).bind(slug).execute(conn).await.map(|_| ())?);
    Ok(())
}

pub async fn mark_deleted(tx: &mut Tx<'_>, slug: &str, at: DateTime<Utc>) -> Result<(), DbError> {
    let sql = "UPDATE statements SET deleted_at = $1, pinned = FALSE WHERE slug = $2";
    on_tx!(tx, conn => sqlx::query(sql).bind(at).bind(slug).execute(conn).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i32,
    pub hash: String,
    pub texts: Vec<StoredText>,
    pub created_at: DateTime<Utc>,
    /// Its tags, image and mentions; `None` for versions made before migration 0015 that were
    /// not current then.
    pub details: Option<VersionDetails>,
}

/// What a version holds beside its texts.
#[derive(Debug, Clone)]
pub struct VersionDetails {
    pub tags: Vec<String>,
    pub image_hash: Option<String>,
    pub image_alt: Option<String>,
    pub mentions: Vec<Mentioned>,
}

impl VersionRow {
    /// The version as `domain::diff` compares it.
    pub fn diffable(&self) -> diff::Version {
        diff::Version {
            number: self.version,
            texts: self.texts.clone(),
            details: self.details.as_ref().map(|d| diff::Details {
                tags: d.tags.clone(),
                image: d.image_hash.clone(),
                image_alt: d.image_alt.clone(),
                mentions: d.mentions.iter().map(|m| m.name.clone()).collect(),
            }),
        }
    }
}

#[derive(sqlx::FromRow)]
struct StoredVersion {
    version: i32,
    hash: String,
    texts: String,
    created_at: DateTime<Utc>,
    tags: Option<String>,
    image_hash: Option<String>,
    image_alt: Option<String>,
    mentions: Option<String>,
}

impl TryFrom<StoredVersion> for VersionRow {
    type Error = DbError;

    fn try_from(r: StoredVersion) -> Result<VersionRow, DbError> {
        let details = match (r.tags, r.mentions) {
            (Some(tags), Some(mentions)) => Some(VersionDetails {
                tags: json_column("statement_versions.tags", &tags)?,
                image_hash: r.image_hash,
                image_alt: r.image_alt,
                mentions: json_column("statement_versions.mentions", &mentions)?,
            }),
            _ => None,
        };
        Ok(VersionRow {
            version: r.version,
            hash: r.hash,
            texts: json_column("statement_versions.texts", &r.texts)?,
            created_at: r.created_at,
            details,
        })
    }
}

const SELECT_VERSION: &str = "SELECT version, hash, texts, created_at, tags, image_hash, \
     image_alt, mentions FROM statement_versions";

/// Every version of a statement, oldest first.
pub async fn versions(db: &Db, slug: &str) -> Result<Vec<VersionRow>, DbError> {
    let sql = format!("{SELECT_VERSION} WHERE slug = $1 ORDER BY version");
    let rows: Vec<StoredVersion> =
        on_pool!(db, pool => sqlx::query_as(&sql).bind(slug).fetch_all(pool).await?);
    rows.into_iter().map(VersionRow::try_from).collect()
}

/// One version of a statement, if the statement has it.
pub async fn version(db: &Db, slug: &str, version: i32) -> Result<Option<VersionRow>, DbError> {
    let sql = format!("{SELECT_VERSION} WHERE slug = $1 AND version = $2");
    let row: Option<StoredVersion> = on_pool!(db, pool => sqlx::query_as(&sql)
        .bind(slug)
        .bind(version)
        .fetch_optional(pool)
        .await?);
    row.map(VersionRow::try_from).transpose()
}

/// Store an image once.
pub async fn insert_media(
    tx: &mut Tx<'_>,
    hash: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<(), DbError> {
    let sql = "INSERT INTO media (hash, media_type, bytes, created_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (hash) DO NOTHING";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(hash)
        .bind(media_type)
        .bind(bytes)
        .bind(Utc::now())
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn media(db: &Db, hash: &str) -> Result<Option<(String, Vec<u8>)>, DbError> {
    let sql = "SELECT media_type, bytes FROM media WHERE hash = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, Vec<u8>)>(sql)
        .bind(hash)
        .fetch_optional(pool)
        .await?),
    )
}
