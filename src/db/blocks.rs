//! Blocked domains and actors.

use chrono::Utc;

use super::{Db, DbError, on_pool};

pub use super::states::BlockKind;

fn purge_sql(kind: BlockKind) -> &'static str {
    match kind {
        // A domain block covers its subdomains, as on Mastodon.
        // Stored hosts carry their port when they have one.
        BlockKind::Domain => {
            "DELETE FROM remote_actors WHERE host = $1 OR host LIKE '%.' || $1 \
             OR host LIKE $1 || ':%' OR host LIKE '%.' || $1 || ':%'"
        }
        BlockKind::Actor => "DELETE FROM remote_actors WHERE id = $1",
    }
}

/// Remove what a block covers: the actors (with their follows) of a domain, or one actor.
/// Blocks set in the configuration are applied this way at every start.
pub async fn purge(db: &Db, kind: BlockKind, value: &str) -> Result<u64, DbError> {
    let sql = purge_sql(kind);
    Ok(on_pool!(db, pool => sqlx::query(sql).bind(value).execute(pool).await?.rows_affected()))
}

/// What adding a block did: whether it is new, and what it removed (or, for members, what
/// it covers: the roster keeps them until an admin removes them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Added {
    pub added: bool,
    pub followers: u64,
    pub following: u64,
    pub members: u64,
    /// Co-signatures by the covered actors: kept (and still shown) by the block.
    pub cosignatures: u64,
}

/// What a block would cover, before it is added: the `WHERE` of its purge, on
/// `remote_actors`.
fn covered(kind: BlockKind) -> &'static str {
    purge_sql(kind)
        .strip_prefix("DELETE FROM remote_actors WHERE ")
        .unwrap_or("FALSE")
}

/// The members a block would cover (actor id and, when known, `user@host`), to confirm with
/// the admin first: the block leaves them on the roster without their profile.
pub async fn covered_members(
    db: &Db,
    kind: BlockKind,
    value: &str,
) -> Result<Vec<(String, Option<String>)>, DbError> {
    let sql = format!(
        "SELECT m.actor_id, a.preferred_username || '@' || a.host FROM members m \
         JOIN remote_actors a ON a.id = m.actor_id WHERE {} ORDER BY m.actor_id",
        covered(kind)
            .replace("host", "a.host")
            .replace("id =", "a.id =")
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, Option<String>)>(&sql)
        .bind(value)
        .fetch_all(pool)
        .await?),
    )
}

/// Add a block and say what it removed, counted in the same transaction as the removal.
pub async fn add_counting(db: &Db, kind: BlockKind, value: &str) -> Result<Added, DbError> {
    let mut tx = db.begin().await?;
    let insert = "INSERT INTO blocks (kind, value, created_at) VALUES ($1, $2, $3) \
                  ON CONFLICT (kind, value) DO NOTHING";
    let purge = purge_sql(kind);
    let covered = covered(kind);
    let count = |table: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} WHERE actor_id IN (SELECT id FROM remote_actors WHERE {covered})"
        )
    };
    let counts = [
        count("followers"),
        count("following"),
        count("members"),
        count("cosignatures") + " AND withdrawn_at IS NULL",
    ];
    let added = super::on_tx!(&mut tx, conn => {
        let mut counted = [0i64; 4];
        for (n, sql) in counted.iter_mut().zip(&counts) {
            *n = sqlx::query_scalar(sql).bind(value).fetch_one(&mut *conn).await?;
        }
        let n = sqlx::query(insert)
            .bind(kind)
            .bind(value)
            .bind(Utc::now())
            .execute(&mut *conn)
            .await?
            .rows_affected();
        sqlx::query(purge).bind(value).execute(&mut *conn).await?;
        let [followers, following, members, cosignatures] =
            counted.map(|n| u64::try_from(n).unwrap_or(0));
        Added { added: n == 1, followers, following, members, cosignatures }
    });
    tx.commit().await?;
    Ok(added)
}

pub async fn remove(db: &Db, kind: BlockKind, value: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM blocks WHERE kind = $1 AND value = $2";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(kind)
        .bind(value)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n > 0)
}

pub async fn list(db: &Db) -> Result<Vec<(String, String)>, DbError> {
    let sql = "SELECT kind, value FROM blocks ORDER BY kind, value";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (String, String)>(sql).fetch_all(pool).await?))
}

/// Whether any of up to two actor ids (or key URLs), or any of up to four hosts or a parent
/// domain of one, is blocked: one query for all that an inbox request names (its actor and
/// its key, each by host and by `host:port`). Fewer are repeated to fill the places, so the
/// statement is always the same one.
pub async fn any_blocked(db: &Db, ids: &[&str], hosts: &[&str]) -> Result<bool, DbError> {
    let (Some(first_id), Some(first_host)) = (ids.first(), hosts.first()) else {
        return Ok(false);
    };
    let id = |i: usize| ids.get(i).unwrap_or(first_id);
    let host = |i: usize| hosts.get(i).unwrap_or(first_host);
    let sql = "SELECT COUNT(*) FROM blocks WHERE \
               (kind = 'domain' AND (value IN ($1, $2, $3, $4) OR $1 LIKE '%.' || value \
                 OR $2 LIKE '%.' || value OR $3 LIKE '%.' || value OR $4 LIKE '%.' || value)) \
               OR (kind = 'actor' AND value IN ($5, $6))";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql)
        .bind(host(0))
        .bind(host(1))
        .bind(host(2))
        .bind(host(3))
        .bind(id(0))
        .bind(id(1))
        .fetch_one(pool)
        .await?);
    Ok(n > 0)
}
