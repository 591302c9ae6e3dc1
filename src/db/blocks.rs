//! Blocked domains and actors.

use chrono::Utc;

use super::{Db, DbError, on_pool, remote_actors::RemoteActorRow};

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

/// The condition `any_blocked` puts to each row of `blocks`: hosts in `$1`–`$4` (a domain
/// block covers its subdomains), actor ids or key URLs in `$5` and `$6`.
macro_rules! blocked_row {
    () => {
        "(kind = 'domain' AND (value IN ($1, $2, $3, $4) OR $1 LIKE '%.' || value \
          OR $2 LIKE '%.' || value OR $3 LIKE '%.' || value OR $4 LIKE '%.' || value)) \
         OR (kind = 'actor' AND value IN ($5, $6))"
    };
}

/// Up to two ids and four hosts, fewer repeated to fill the places, so that the statement
/// is always the same one; `None` when there is nothing to look for.
fn places<'a>(ids: &[&'a str], hosts: &[&'a str]) -> Option<[&'a str; 6]> {
    let (first_id, first_host) = (*ids.first()?, *hosts.first()?);
    let id = |i: usize| ids.get(i).copied().unwrap_or(first_id);
    let host = |i: usize| hosts.get(i).copied().unwrap_or(first_host);
    Some([host(0), host(1), host(2), host(3), id(0), id(1)])
}

/// Whether any of up to two actor ids (or key URLs), or any of up to four hosts or a parent
/// domain of one, is blocked: one query for all that an inbox request names (its actor and
/// its key, each by host and by `host:port`).
pub async fn any_blocked(db: &Db, ids: &[&str], hosts: &[&str]) -> Result<bool, DbError> {
    let Some(places) = places(ids, hosts) else {
        return Ok(false);
    };
    let sql = concat!("SELECT COUNT(*) FROM blocks WHERE ", blocked_row!());
    let n: i64 = on_pool!(db, pool => {
        let mut q = sqlx::query_scalar(sql);
        for p in places {
            q = q.bind(p);
        }
        q.fetch_one(pool).await?
    });
    Ok(n > 0)
}

#[derive(sqlx::FromRow)]
struct StoredActor {
    #[sqlx(flatten)]
    row: RemoteActorRow,
    blocked: bool,
}

/// The stored actor `actor` and whether any of `ids` and `hosts` is blocked (`any_blocked`),
/// in one statement: what an inbox request reads before verifying its signature, once
/// where it was twice (each a round trip to SQLite's thread and sqlx's ping of the
/// connection going back: BENCHMARKS.md, B4). `None` when the actor is not stored (or there
/// is nothing to look for): `any_blocked` answers then.
pub async fn stored_actor_and_blocked(
    db: &Db,
    actor: &str,
    ids: &[&str],
    hosts: &[&str],
) -> Result<Option<(RemoteActorRow, bool)>, DbError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, EXISTS (SELECT 1 FROM blocks WHERE {}) AS blocked \
             FROM remote_actors WHERE id = $7",
            super::remote_actors::COLUMNS,
            blocked_row!()
        )
    });
    let Some(places) = places(ids, hosts) else {
        return Ok(None);
    };
    let found: Option<StoredActor> = on_pool!(db, pool => {
        let mut q = sqlx::query_as(SQL.as_str());
        for p in places {
            q = q.bind(p);
        }
        q.bind(actor).fetch_optional(pool).await?
    });
    Ok(found.map(|f| (f.row, f.blocked)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The actor and the blocks in one statement say what the two queries said apart: the
    /// row when it is stored, blocked by a parent domain of either host or by either id.
    #[tokio::test]
    async fn the_stored_actor_comes_with_the_blocks_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::sqlite_in(dir.path()).await;
        let id = "https://social.example/users/a";
        let key = "https://keys.other.example/k";
        let ids = [id, key];
        let hosts = ["social.example", "keys.other.example"];
        let read = || stored_actor_and_blocked(&db, id, &ids, &hosts);

        assert!(read().await.unwrap().is_none(), "not stored");
        super::super::remote_actors::upsert(
            &db,
            &super::super::remote_actors::sample_row(id, "social.example"),
        )
        .await
        .unwrap();
        let (row, blocked) = read().await.unwrap().unwrap();
        assert_eq!(row.id, id);
        assert_eq!(row.public_key_id, format!("{id}#main-key"));
        assert!(!blocked);
        assert!(!any_blocked(&db, &ids, &hosts).await.unwrap());

        // Rows written as `add` would, without its purge of the actor.
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        for (kind, value) in [("domain", "other.example"), ("actor", key)] {
            sqlx::query("INSERT INTO blocks (kind, value, created_at) VALUES ($1, $2, $3)")
                .bind(kind)
                .bind(value)
                .bind(Utc::now())
                .execute(pool)
                .await
                .unwrap();
            let (_, blocked) = read().await.unwrap().unwrap();
            assert!(blocked, "{kind} {value}");
            assert!(any_blocked(&db, &ids, &hosts).await.unwrap());
            sqlx::query("DELETE FROM blocks")
                .execute(pool)
                .await
                .unwrap();
            let (_, blocked) = read().await.unwrap().unwrap();
            assert!(!blocked);
        }
        db.close().await;
    }
}
