//! The persistent delivery queue: outgoing activities stored once, one delivery row per
//! (activity, inbox). Workers claim due rows with a lease, held by their process's owner id
//! (`delivery_leases`): after a crash, a row waits until its holder's heartbeat is stale.
//! On PostgreSQL, `FOR UPDATE SKIP LOCKED` keeps several processes from claiming the same
//! row; SQLite has one writer at a time, so the claiming UPDATE is atomic.

use chrono::Utc;

pub use super::delivery_outcomes::{Finish, Outcome, finish_many};
use super::{Db, DbError, Tx, on_pool, on_tx};

/// An activity to send, as it will be sent.
#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
    /// Listed in the outbox (public activities); follow answers are not.
    pub in_outbox: bool,
}

/// Store an activity to send (once).
pub async fn insert_activity(tx: &mut Tx<'_>, activity: &NewActivity<'_>) -> Result<(), DbError> {
    let sql = "INSERT INTO outgoing_activities (id, kind, body, created_at, in_outbox) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(activity.id)
        .bind(activity.kind)
        .bind(activity.body)
        .bind(Utc::now())
        .bind(activity.in_outbox)
        .execute(conn)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Store `activity` and queue it for every accepted follower, one row per distinct inbox:
/// the shared inbox when the follower has one, else its own (docs/interop.md §7). One
/// statement, however many followers. Returns the number of rows queued.
pub async fn fan_out(
    tx: &mut Tx<'_>,
    activity: &NewActivity<'_>,
    now_ms: i64,
) -> Result<u64, DbError> {
    insert_activity(tx, activity).await?;
    // SQLite needs the WHERE for INSERT … SELECT … ON CONFLICT to parse.
    // `delivery_inbox` is the follower's shared inbox or its own, kept by triggers
    // (migration 0007): one covering index scan, already grouped.
    let sql = "INSERT INTO deliveries \
        (activity_id, inbox, host, state, attempts, next_attempt_at, created_at) \
        SELECT $1, delivery_inbox, MIN(delivery_host), 'pending', 0, $2, $2 \
        FROM followers WHERE state = 'accepted' \
        GROUP BY delivery_inbox \
        ON CONFLICT (activity_id, inbox) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(activity.id)
        .bind(now_ms)
        .execute(conn)
        .await?
        .rows_affected());
    notify(tx).await?;
    Ok(n)
}

/// Public activities, newest first, for the outbox.
pub async fn outbox_count(db: &Db) -> Result<u64, DbError> {
    let sql = "SELECT COUNT(*) FROM outgoing_activities WHERE in_outbox";
    let n: i64 = on_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn outbox_page(db: &Db, offset: u64, limit: u64) -> Result<Vec<String>, DbError> {
    let sql = "SELECT body FROM outgoing_activities WHERE in_outbox \
               ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, String>(sql)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?))
}

/// A public activity by id.
pub async fn public_activity(db: &Db, id: &str) -> Result<Option<String>, DbError> {
    let sql = "SELECT body FROM outgoing_activities WHERE id = $1 AND in_outbox";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, String>(sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// Store `activity` and queue it for each inbox, due now. Repeats are ignored.
pub async fn enqueue(
    tx: &mut Tx<'_>,
    activity: &NewActivity<'_>,
    inboxes: &[url::Url],
    now_ms: i64,
) -> Result<(), DbError> {
    insert_activity(tx, activity).await?;
    let insert_delivery = "INSERT INTO deliveries \
        (activity_id, inbox, host, state, attempts, next_attempt_at, created_at) \
        VALUES ($1, $2, $3, 'pending', 0, $4, $4) ON CONFLICT (activity_id, inbox) DO NOTHING";
    on_tx!(tx, conn => {
        for inbox in inboxes {
            sqlx::query(insert_delivery)
                .bind(activity.id)
                .bind(inbox.as_str())
                .bind(authority(inbox))
                .bind(now_ms)
                .execute(&mut *conn)
                .await?;
        }
    });
    notify(tx).await
}

/// The PostgreSQL channel on which processes tell each other that deliveries were queued.
pub const WAKEUP_CHANNEL: &str = "tribune_deliveries";

/// On PostgreSQL, wake every process's workers (and loops, and page caches) when the
/// transaction commits.
pub async fn notify(tx: &mut Tx<'_>) -> Result<(), DbError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKEUP_CHANNEL)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// `host[:port]` of a URL.
pub fn authority(url: &url::Url) -> String {
    crate::util::normal_authority(url)
}

/// A claimed delivery, leased to the caller.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub activity_id: String,
    pub inbox: String,
    /// The row's host (its follower's: `followers.delivery_host`), by which claims take
    /// hosts in turn.
    pub host: String,
    pub attempts: i32,
    /// The activity, shared by every claimed row of it (one copy in memory, however many
    /// inboxes it goes to).
    pub body: bytes::Bytes,
    /// Until when the lease runs (ms since the epoch).
    pub leased_until: i64,
}

/// The columns a claim returns.
const RETURNED: &str = "id, activity_id, inbox, host, attempts, leased_until";

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    activity_id: String,
    inbox: String,
    host: String,
    attempts: i32,
    leased_until: i64,
}

/// How much of one host's backlog a claim takes.
#[derive(Debug, Clone, Copy)]
pub struct HostShare<'a> {
    /// At most this many rows of each host.
    pub turns: i64,
    /// Hosts of which the caller holds enough rows already: none of theirs.
    pub full: &'a [String],
}

/// Claim up to `limit` due deliveries until `now_ms + lease_ms`, taking hosts in turn
/// (the first due row of each host, then the second…) among the earliest due rows, so that
/// one host's backlog does not hold up the others, and no more of a host than `share`
/// allows: rows claimed wait for their host's turn to send, and a slow host's backlog
/// claimed whole would take every place in hand, and outlive its leases.
///
/// The rows are leased to `owner` (a process's id, `delivery_leases`); a row whose lease
/// has not run out is free too when its holder's heartbeat is older than `stale_before`.
pub async fn claim(
    db: &Db,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
    owner: &str,
    stale_before: i64,
    share: HostShare<'_>,
) -> Result<Vec<Claimed>, DbError> {
    let lease_until = now_ms + lease_ms;
    let free = super::delivery_leases::free;
    // How many of the earliest due rows to spread over hosts.
    let window = (limit * 16).max(1000);
    // The claimed rows come back from the UPDATE itself: a second query naming thousands of
    // ids would be prepared, and kept in each connection's statement cache, once for each
    // number of ids (memory that stays: BENCHMARKS.md, B6 memory).
    let mut rows: Vec<ClaimedRow> = match db {
        Db::Postgres(pool) => {
            // The due conditions are repeated on `d`, the locked rows: PostgreSQL rechecks
            // them on a row another process claimed meanwhile, so no row is claimed twice.
            sqlx::query_as(&format!(
                "UPDATE deliveries SET leased_until = $1, leased_by = $5 WHERE id IN (\
                   SELECT d.id FROM deliveries d JOIN (\
                     SELECT id, ROW_NUMBER() OVER (PARTITION BY host ORDER BY next_attempt_at, id) AS turn \
                     FROM (SELECT id, host, next_attempt_at FROM deliveries \
                           WHERE state = 'pending' AND next_attempt_at <= $2 AND {} \
                           AND NOT (host = ANY($8)) \
                           ORDER BY next_attempt_at LIMIT $4) due) r ON r.id = d.id \
                   WHERE r.turn <= $7 AND d.state = 'pending' AND d.next_attempt_at <= $2 AND {} \
                   ORDER BY r.turn, d.next_attempt_at, d.id LIMIT $3 \
                   FOR UPDATE OF d SKIP LOCKED) RETURNING {RETURNED}",
                free("deliveries"),
                free("d")
            ))
            .bind(lease_until)
            .bind(now_ms)
            .bind(limit)
            .bind(window)
            .bind(owner)
            .bind(stale_before)
            .bind(share.turns)
            .bind(share.full)
            .fetch_all(pool)
            .await?
        }
        Db::Sqlite(pool) => {
            sqlx::query_as(&format!(
                "UPDATE deliveries SET leased_until = $1, leased_by = $5 WHERE id IN (\
                   SELECT id FROM (\
                     SELECT id, next_attempt_at, \
                     ROW_NUMBER() OVER (PARTITION BY host ORDER BY next_attempt_at, id) AS turn \
                     FROM (SELECT id, host, next_attempt_at FROM deliveries \
                           WHERE state = 'pending' AND next_attempt_at <= $2 AND {} \
                           AND host NOT IN (SELECT value FROM json_each($8)) \
                           ORDER BY next_attempt_at LIMIT $4)) \
                   WHERE turn <= $7 \
                   ORDER BY turn, next_attempt_at, id LIMIT $3) RETURNING {RETURNED}",
                free("deliveries")
            ))
            .bind(lease_until)
            .bind(now_ms)
            .bind(limit)
            .bind(window)
            .bind(owner)
            .bind(stale_before)
            .bind(share.turns)
            .bind(serde_json::to_string(share.full).unwrap_or_else(|_| "[]".into()))
            .fetch_all(pool)
            .await?
        }
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    rows.sort_unstable_by_key(|r| r.id);
    let placeholders = |n: usize| {
        (1..=n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Each activity's body once.
    let mut activities: Vec<&str> = rows.iter().map(|r| r.activity_id.as_str()).collect();
    activities.sort_unstable();
    activities.dedup();
    let sql = format!(
        "SELECT id, body FROM outgoing_activities WHERE id IN ({})",
        placeholders(activities.len())
    );
    let bodies: Vec<(String, String)> = on_pool!(db, pool => {
        // Not kept in the statement cache: one per number of activities.
        let mut q = sqlx::query_as::<_, (String, String)>(&sql).persistent(false);
        for id in &activities {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await?
    });
    let bodies: std::collections::HashMap<String, bytes::Bytes> = bodies
        .into_iter()
        .map(|(id, body)| (id, bytes::Bytes::from(body)))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let body = bodies.get(&r.activity_id)?.clone();
            Some(Claimed {
                id: r.id,
                activity_id: r.activity_id,
                inbox: r.inbox,
                host: r.host,
                attempts: r.attempts,
                body,
                leased_until: r.leased_until,
            })
        })
        .collect())
}

/// The earliest time a pending delivery is due, if any.
pub async fn next_due_ms(db: &Db, now_ms: i64) -> Result<NextDue, DbError> {
    // Rows under a lease that has not run out are not due to anyone but their holder; they
    // are counted apart, so that a worker waits for them rather than claims in vain.
    let sql = "SELECT MIN(CASE WHEN leased_until IS NULL OR leased_until <= $1 \
                               THEN next_attempt_at END), \
                      MIN(CASE WHEN leased_until > $1 THEN leased_until END) \
               FROM deliveries WHERE state = 'pending'";
    let (free, leased) = on_pool!(db, pool => sqlx::query_as::<_, (Option<i64>, Option<i64>)>(sql)
        .bind(now_ms)
        .fetch_one(pool)
        .await?);
    Ok(NextDue { free, leased })
}

/// When pending rows become claimable: the earliest due row no lease holds, and the
/// earliest end of a lease still running (its holder may also be taken for gone sooner, when
/// its heartbeat stops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextDue {
    pub free: Option<i64>,
    pub leased: Option<i64>,
}

/// Whether an activity of `kind` waits to be delivered to `inbox`.
pub async fn pending_to(tx: &mut Tx<'_>, inbox: &str, kind: &str) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM deliveries d JOIN outgoing_activities a ON a.id = d.activity_id \
               WHERE d.inbox = $1 AND d.state = 'pending' AND a.kind = $2";
    let n: i64 =
        on_tx!(tx, conn => sqlx::query_scalar(sql).bind(inbox).bind(kind).fetch_one(conn).await?);
    Ok(n > 0)
}

/// Drop deliveries that ended before `before_ms`, then the activities sent to single inboxes
/// (not in the outbox) that have no delivery left and were made before `before`. Returns
/// (deliveries, activities) removed.
pub async fn prune_finished(
    db: &Db,
    before_ms: i64,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<(u64, u64), DbError> {
    let deliveries = "DELETE FROM deliveries WHERE state <> 'pending' AND finished_at < $1";
    let activities = "DELETE FROM outgoing_activities WHERE NOT in_outbox AND created_at < $1 \
                      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = outgoing_activities.id)";
    Ok(on_pool!(db, pool => {
        let d = sqlx::query(deliveries).bind(before_ms).execute(pool).await?.rows_affected();
        let a = sqlx::query(activities).bind(before).execute(pool).await?.rows_affected();
        (d, a)
    }))
}
