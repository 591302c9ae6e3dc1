//! `tribune export` / `tribune import`: the whole state as one JSON document, rows as JSON
//! objects, readable by either backend. Each database turns its own rows into JSON and JSON
//! back into rows (SQLite's json functions, PostgreSQL's row_to_json and
//! json_populate_record), so types travel as the databases spell them; byte columns travel
//! as PostgreSQL's `\x…` hex.

use serde_json::{Map, Value};

use super::{Db, DbError};

/// Tables in the order they can be inserted. The delivery queue and pending count refreshes
/// are not moved: they belong to the server that queued them; nor are the running processes'
/// shared state (`delivery_owners`, `host_breakers`, `rate_windows`).
pub const TABLES: [&str; 23] = [
    "local_actor",
    "remote_actors",
    "followers",
    "following",
    "blocks",
    "instances",
    "media",
    "statements",
    "statement_versions",
    "outgoing_activities",
    "received_activities",
    "undone_activities",
    "members",
    "cosignatures",
    "moderation",
    "signatories",
    "statement_likes",
    "ledger",
    "ledger_heads",
    "relays",
    "admin_accounts",
    "admin_tokens",
    "audit_log",
];

/// Tables whose `id` comes from a PostgreSQL sequence, moved on past the imported ids.
const SERIAL_TABLES: [&str; 1] = ["audit_log"];

const BYTE_COLUMNS: [(&str, &str); 1] = [("media", "bytes")];

fn is_bytes(table: &str, column: &str) -> bool {
    BYTE_COLUMNS
        .iter()
        .any(|(t, c)| *t == table && *c == column)
}

async fn sqlite_columns(pool: &sqlx::SqlitePool, table: &str) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar::<_, String>("SELECT name FROM pragma_table_info($1) ORDER BY cid")
            .bind(table)
            .fetch_all(pool)
            .await?,
    )
}

/// Every row of `table`, as JSON objects.
pub async fn dump(db: &Db, table: &str) -> Result<Vec<Value>, DbError> {
    if !TABLES.contains(&table) {
        return Err(DbError::Setup(format!("{table} is not exported")));
    }
    let texts: Vec<String> = match db {
        Db::Sqlite(pool) => {
            let columns = sqlite_columns(pool, table).await?;
            let pairs: Vec<String> = columns
                .iter()
                .map(|c| {
                    if is_bytes(table, c) {
                        format!("'{c}', '\\x' || lower(hex({c}))")
                    } else {
                        format!("'{c}', {c}")
                    }
                })
                .collect();
            let sql = format!("SELECT json_object({}) FROM {table}", pairs.join(", "));
            sqlx::query_scalar(&sql).fetch_all(pool).await?
        }
        Db::Postgres(pool) => {
            let sql = format!("SELECT row_to_json(t)::text FROM {table} t");
            sqlx::query_scalar(&sql).fetch_all(pool).await?
        }
    };
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(|e| DbError::Setup(format!("{table}: {e}"))))
        .collect()
}

/// Insert rows exported by either backend.
pub async fn load(db: &Db, table: &str, rows: &[Value]) -> Result<(), DbError> {
    if !TABLES.contains(&table) {
        return Err(DbError::Setup(format!("{table} is not imported")));
    }
    match db {
        Db::Sqlite(pool) => {
            let columns = sqlite_columns(pool, table).await?;
            let values: Vec<String> = columns
                .iter()
                .map(|c| {
                    if is_bytes(table, c) {
                        format!("unhex(substr(json_extract($1, '$.{c}'), 3))")
                    } else {
                        format!("json_extract($1, '$.{c}')")
                    }
                })
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.join(", "),
                values.join(", ")
            );
            let mut tx = pool.begin().await?;
            for row in rows {
                sqlx::query(&sql)
                    .bind(normalise(row).to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Db::Postgres(pool) => {
            let sql = format!(
                "INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, $1::json)"
            );
            let mut tx = pool.begin().await?;
            for row in rows {
                sqlx::query(&sql)
                    .bind(normalise(row).to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            if SERIAL_TABLES.contains(&table) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                );
                sqlx::query(&sql).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Booleans as SQLite writes them (0/1) become JSON booleans where PostgreSQL wants them;
/// both read `true`/`false`.
fn normalise(row: &Value) -> Value {
    let Some(o) = row.as_object() else {
        return row.clone();
    };
    let mut out = Map::new();
    for (k, v) in o {
        let v = match (k.as_str(), v) {
            ("pinned" | "counts" | "in_outbox", Value::Number(n)) => {
                Value::Bool(n.as_i64() == Some(1))
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// An empty database: nothing but, perhaps, a freshly generated key.
pub async fn is_empty(db: &Db) -> Result<bool, DbError> {
    let sql = "SELECT (SELECT COUNT(*) FROM statements) + (SELECT COUNT(*) FROM followers) \
               + (SELECT COUNT(*) FROM remote_actors) + (SELECT COUNT(*) FROM members)";
    let n: i64 = super::on_pool!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(n == 0)
}

/// Forget the key generated at first start, before importing the exported one.
pub async fn clear_local_actor(db: &Db) -> Result<(), DbError> {
    super::on_pool!(db, pool => sqlx::query("DELETE FROM local_actor").execute(pool).await.map(|_| ())?);
    Ok(())
}
