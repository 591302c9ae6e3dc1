//! Leases on deliveries and the processes that hold them (migration 0017). A claimed row
//! carries its lease's end (`leased_until`) and its holder (`leased_by`, an owner id); an
//! owner renews its heartbeat while it holds leases. A row is free to claim again when its
//! lease has run out, or at once when its holder's heartbeat is older than `stale_before`:
//! a process that is gone holds nothing up for long (docs/deploy/README.md).

use super::{Db, DbError, on_pool};

/// The condition under which a pending, due row may be claimed, on the table or alias
/// `t`: `$2` is now, `$6` the time before which a heartbeat is stale. Both claims (SQLite's
/// and PostgreSQL's) use it, and PostgreSQL repeats it on the rows it locks.
pub(super) fn free(t: &str) -> String {
    format!(
        "({t}.leased_until IS NULL OR {t}.leased_until <= $2 OR ({t}.leased_by IS NOT NULL \
         AND {t}.leased_by NOT IN (SELECT id FROM delivery_owners WHERE heartbeat_at > $6)))"
    )
}

/// Record that `owner` is alive at `now_ms`.
pub async fn beat(db: &Db, owner: &str, now_ms: i64) -> Result<(), DbError> {
    let sql = "INSERT INTO delivery_owners (id, heartbeat_at) VALUES ($1, $2) \
               ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at";
    on_pool!(db, pool => sqlx::query(sql).bind(owner).bind(now_ms).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Forget `owner` (it stopped, or it may have been taken for dead), and owners whose last
/// heartbeat is before `before_ms` (processes long gone). The rows they leased are free.
pub async fn forget(db: &Db, owner: &str, before_ms: i64) -> Result<(), DbError> {
    let sql = "DELETE FROM delivery_owners WHERE id = $1 OR heartbeat_at < $2";
    on_pool!(db, pool => sqlx::query(sql).bind(owner).bind(before_ms).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Extend a lease that is still ours (`held_until` is the lease we were given): false when
/// the row was claimed again meanwhile (the lease ran out, or its holder was taken for
/// gone) or is finished.
pub async fn extend(db: &Db, id: i64, held_until: i64, new_until: i64) -> Result<bool, DbError> {
    let sql = "UPDATE deliveries SET leased_until = $1 \
               WHERE id = $2 AND leased_until = $3 AND state = 'pending'";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(new_until)
        .bind(id)
        .bind(held_until)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Give back the leases `owner` holds (at shutdown): the rows are due again at once for any
/// process.
pub async fn release(db: &Db, owner: &str) -> Result<u64, DbError> {
    let sql = "UPDATE deliveries SET leased_until = NULL, leased_by = NULL \
               WHERE state = 'pending' AND leased_by = $1";
    Ok(on_pool!(db, pool => sqlx::query(sql).bind(owner).execute(pool).await?.rows_affected()))
}
