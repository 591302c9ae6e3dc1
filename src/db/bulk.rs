//! The inbox's statements over many rows at once: the Announces one transaction applies
//! together are recorded, checked and stored in a few statements for all of them, not a
//! dozen each (the group commit of docs/architecture.md).
//!
//! Every list here is at most one batch of the applier (128 activities): well under the
//! bound-parameter limits of both backends (SQLite 32,766, PostgreSQL 65,535).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, QueryBuilder, Row, Type};

use super::{DbError, Tx, cosign::SignatureRow, on_tx};

/// `(?, ?, …)` with each id bound: the list of an `IN`.
fn push_list<'a, DB>(q: &mut QueryBuilder<'a, DB>, ids: &'a [&str])
where
    DB: Database,
    &'a str: Encode<'a, DB> + Type<DB>,
{
    q.push("(");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(")");
}

/// One activity to record as received.
pub struct ReceivedItem<'a> {
    pub id: &'a str,
    pub actor_id: &'a str,
    pub kind: &'a str,
}

/// Record activity ids as received; returns the (actor, id) pairs recorded now (the others
/// were received before). The items must be distinct.
pub async fn record_received(
    tx: &mut Tx<'_>,
    items: &[ReceivedItem<'_>],
    at: DateTime<Utc>,
) -> Result<HashSet<(String, String)>, DbError> {
    if items.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(String, String)> = on_tx!(tx, conn => {
        let mut q = QueryBuilder::new("");
        push_record(&mut q, items, at);
        q.build_query_as().fetch_all(conn).await?
    });
    Ok(rows.into_iter().collect())
}

/// The statement `record_received` runs; it returns the pairs recorded.
fn push_record<'a, DB>(
    q: &mut QueryBuilder<'a, DB>,
    items: &'a [ReceivedItem<'a>],
    at: DateTime<Utc>,
) where
    DB: Database,
    &'a str: Encode<'a, DB> + Type<DB>,
    DateTime<Utc>: Encode<'a, DB> + Type<DB>,
{
    q.push("INSERT INTO received_activities (id, actor_id, kind, received_at) ");
    q.push_values(items, |mut b, i| {
        b.push_bind(i.id)
            .push_bind(i.actor_id)
            .push_bind(i.kind)
            .push_bind(at);
    });
    q.push(" ON CONFLICT (actor_id, id) DO NOTHING RETURNING actor_id, id");
}

/// An activity that its actor may have undone before it arrived.
pub struct UndoCheck<'a> {
    pub actor_id: &'a str,
    pub activity_id: &'a str,
    pub kind: &'a str,
    pub object: &'a str,
}

/// Which of `items` (by index) their actor undid before they arrived: by the activity's id,
/// or, for an Undo that named no id, by its kind and object.
pub async fn undone_among(
    tx: &mut Tx<'_>,
    items: &[UndoCheck<'_>],
) -> Result<HashSet<i64>, DbError> {
    if items.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<i64> = on_tx!(tx, conn => {
        let mut q = QueryBuilder::new("");
        push_undone(&mut q, items);
        q.build_query_scalar().fetch_all(conn).await?
    });
    Ok(found.into_iter().collect())
}

/// The statement `undone_among` runs; it returns the indexes found.
fn push_undone<'a, DB>(q: &mut QueryBuilder<'a, DB>, items: &'a [UndoCheck<'a>])
where
    DB: Database,
    &'a str: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
{
    // `VALUES` names its columns column1, column2… on both backends.
    q.push("SELECT DISTINCT v.column1 FROM (");
    q.push_values(items.iter().enumerate(), |mut b, (n, i)| {
        b.push_bind(n as i64)
            .push_bind(i.actor_id)
            .push_bind(i.activity_id)
            .push_bind(i.kind)
            .push_bind(i.object);
    });
    q.push(
        ") AS v JOIN undone_activities u ON u.actor_id = v.column2 \
         AND (u.kind = v.column4 OR u.kind = '*') \
         AND (u.activity_id = v.column3 OR (u.activity_id = '' AND u.object = v.column5))",
    );
}

/// `record_received(items)` and `undone_among(checks)` in one: on SQLite as one query of
/// two statements, which sqlx runs on the connection's thread in one round trip (each is a
/// wake-up of that thread and of the inbox's: BENCHMARKS.md, B4); on PostgreSQL one after
/// the other. The rows of the first statement have two columns, those of the second one.
pub async fn record_and_check(
    tx: &mut Tx<'_>,
    items: &[ReceivedItem<'_>],
    checks: &[UndoCheck<'_>],
    at: DateTime<Utc>,
) -> Result<(HashSet<(String, String)>, HashSet<i64>), DbError> {
    let conn = match tx {
        Tx::Sqlite(conn) if !items.is_empty() && !checks.is_empty() => conn,
        _ => {
            let recorded = record_received(tx, items, at).await?;
            return Ok((recorded, undone_among(tx, checks).await?));
        }
    };
    let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
    push_record(&mut q, items, at);
    q.push("; ");
    push_undone(&mut q, checks);
    let (mut recorded, mut undone) = (HashSet::new(), HashSet::new());
    for row in q.build().fetch_all(&mut **conn).await? {
        if row.len() == 2 {
            recorded.insert((row.try_get(0)?, row.try_get(1)?));
        } else {
            undone.insert(row.try_get(0)?);
        }
    }
    Ok((recorded, undone))
}

/// What counting a boost of one statement needs to know of its actor: what the signature
/// shows of it, whether it is a member, whether it has a current signature of the statement
/// already, and why an admin hid its signatures of the statement, if one did.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Signer {
    pub id: String,
    pub kind: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub host: String,
    pub icon_url: Option<String>,
    pub member: bool,
    pub signing: bool,
    pub moderated: Option<String>,
}

/// The stored actors among `ids`, as signers of `slug`: one statement for what used to take
/// four (the actors, the members among them, their current signatures, their moderation),
/// since each statement is a round trip to SQLite's thread inside the inbox's transaction
/// (BENCHMARKS.md, B4).
pub async fn signers_among(
    tx: &mut Tx<'_>,
    slug: &str,
    ids: &[&str],
) -> Result<Vec<Signer>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_tx!(tx, conn => {
        // The signature looked for by actor, with the statement compared as an expression
        // (`slug || ''`) so that no index on it is used: by the statement, SQLite would walk
        // every current signature of it (thousands) for each actor.
        let mut q = QueryBuilder::new(
            "SELECT a.id, a.kind, a.preferred_username, a.name, a.host, a.icon_url, \
             EXISTS (SELECT 1 FROM members m WHERE m.actor_id = a.id) AS member, \
             EXISTS (SELECT 1 FROM cosignatures c WHERE c.actor_id = a.id \
                     AND c.withdrawn_at IS NULL AND c.slug || '' = ",
        );
        q.push_bind(slug);
        q.push(
            ") AS signing, \
             (SELECT o.reason FROM moderation o WHERE o.slug = ",
        );
        q.push_bind(slug);
        q.push(" AND o.actor_id = a.id) AS moderated FROM remote_actors a WHERE a.id IN ");
        push_list(&mut q, ids);
        q.build_query_as().fetch_all(conn).await?
    }))
}

/// Record boosts; returns the Announce ids recorded now (the others were recorded before).
pub async fn insert_signatures(
    tx: &mut Tx<'_>,
    rows: &[SignatureRow],
) -> Result<HashSet<String>, DbError> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<String> = on_tx!(tx, conn => {
        let mut q = QueryBuilder::new(format!(
            "INSERT INTO cosignatures ({}) ",
            super::cosign::COLUMNS
        ));
        q.push_values(rows, |mut b, s| {
            b.push_bind(&s.announce_id)
                .push_bind(&s.slug)
                .push_bind(&s.actor_id)
                .push_bind(&s.actor_kind)
                .push_bind(&s.actor_name)
                .push_bind(&s.actor_handle)
                .push_bind(&s.actor_icon)
                .push_bind(&s.actor_host)
                .push_bind(s.class)
                .push_bind(s.counts)
                .push_bind(s.visibility)
                .push_bind(s.version)
                .push_bind(&s.version_hash)
                .push_bind(s.signed_at)
                .push_bind(s.withdrawn_at)
                .push_bind(s.hidden_at)
                .push_bind(&s.hidden_reason);
        });
        q.push(" ON CONFLICT (announce_id) DO NOTHING RETURNING announce_id");
        q.build_query_scalar().fetch_all(conn).await?
    });
    Ok(ids.into_iter().collect())
}

/// One ledger entry to store: its place, canonical text, hash and the request kept with it.
pub struct NewEntry<'a> {
    pub seq: i64,
    pub text: String,
    pub hash: String,
    pub request: Option<&'a str>,
}

/// Append entries to a statement's ledger (their places already chained).
pub async fn append_entries(
    tx: &mut Tx<'_>,
    slug: &str,
    entries: &[NewEntry<'_>],
) -> Result<(), DbError> {
    if entries.is_empty() {
        return Ok(());
    }
    on_tx!(tx, conn => {
        let mut q = QueryBuilder::new("INSERT INTO ledger (slug, seq, entry, hash, request) ");
        q.push_values(entries, |mut b, e| {
            b.push_bind(slug)
                .push_bind(e.seq)
                .push_bind(&e.text)
                .push_bind(&e.hash)
                .push_bind(e.request);
        });
        q.build().execute(conn).await?;
    });
    Ok(())
}

/// A ledger's new head, signed: the entry it names and the signed document.
pub struct NewHead<'a> {
    pub seq: i64,
    pub hash: &'a str,
    pub signed: &'a str,
}

/// The end of a batch's boosts of one statement: its new ledger entries, the ledger's new
/// signed head, and a count refresh asked for at `refresh_due_ms` (unless one is pending).
///
/// On SQLite the three statements go as one query, which sqlx runs on the connection's
/// thread in one round trip, binding the anonymous `?` parameters in order across them
/// (BENCHMARKS.md, B4: a batch's cost is mostly its round trips). On PostgreSQL they go one
/// by one.
pub async fn append_with_head(
    tx: &mut Tx<'_>,
    slug: &str,
    entries: &[NewEntry<'_>],
    head: &NewHead<'_>,
    refresh_due_ms: i64,
) -> Result<(), DbError> {
    let Tx::Sqlite(conn) = tx else {
        append_entries(tx, slug, entries).await?;
        super::ledger_heads::upsert(tx, slug, head.seq, head.hash, head.signed).await?;
        return super::cosign::request_refresh(tx, slug, refresh_due_ms).await;
    };
    let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
    if !entries.is_empty() {
        q.push("INSERT INTO ledger (slug, seq, entry, hash, request) ");
        q.push_values(entries, |mut b, e| {
            b.push_bind(slug)
                .push_bind(e.seq)
                .push_bind(&e.text)
                .push_bind(&e.hash)
                .push_bind(e.request);
        });
        q.push("; ");
    }
    let head_binds = [
        Bind::Text(slug),
        Bind::Int(head.seq),
        Bind::Text(head.hash),
        Bind::Text(head.signed),
    ];
    push_statement(&mut q, super::ledger_heads::UPSERT, &head_binds);
    q.push("; ");
    push_statement(
        &mut q,
        super::cosign::REQUEST_REFRESH,
        &[Bind::Text(slug), Bind::Int(refresh_due_ms)],
    );
    q.build().execute(&mut **conn).await?;
    Ok(())
}

/// A value bound to a statement written for both backends.
#[derive(Clone, Copy)]
enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

/// Push `sql`, written with PostgreSQL's `$1`, `$2`… (which SQLite reads as names bound by
/// number across the whole query), with each `$n` replaced by an anonymous parameter bound
/// to `binds[n - 1]`, so that it can follow other statements in one SQLite query.
fn push_statement<'a>(q: &mut QueryBuilder<'a, sqlx::Sqlite>, sql: &str, binds: &[Bind<'a>]) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        q.push(&rest[..at]);
        let digits = rest[at + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(rest.len() - at - 1, |n| n);
        let n: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
        match n.checked_sub(1).and_then(|i| binds.get(i)) {
            Some(Bind::Text(t)) => {
                q.push_bind(*t);
            }
            Some(Bind::Int(v)) => {
                q.push_bind(*v);
            }
            None => {
                q.push(&rest[at..at + 1 + digits]);
            }
        }
        rest = &rest[at + 1 + digits..];
    }
    q.push(rest);
}

#[cfg(test)]
mod tests {
    use super::{Bind, QueryBuilder, push_statement};

    #[test]
    fn numbered_parameters_become_anonymous_ones_in_order() {
        let mut q = QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO t (a) VALUES (?); ");
        push_statement(
            &mut q,
            super::super::cosign::REQUEST_REFRESH,
            &[Bind::Text("s"), Bind::Int(7)],
        );
        assert_eq!(
            q.sql(),
            "INSERT INTO t (a) VALUES (?); INSERT INTO count_refreshes (slug, due_at) \
             VALUES (?, ?) ON CONFLICT (slug) DO NOTHING"
        );
        // `$10` is one number, not `$1` and a digit.
        let mut q = QueryBuilder::<sqlx::Sqlite>::new("");
        let binds: Vec<Bind<'_>> = (1..=10).map(Bind::Int).collect();
        push_statement(&mut q, "SELECT $2, $10, $1 WHERE x = 'a'", &binds);
        assert_eq!(q.sql(), "SELECT ?, ?, ? WHERE x = 'a'");
    }
}
