//! The SQLite and the PostgreSQL migrations make the same schema: the same tables, and in
//! each the same columns, with the same nullability, types of the same kind and defaults of
//! the same kind. A column added on one backend only, or NOT NULL on one only, fails here
//! instead of in production on the other backend.

use std::collections::BTreeMap;

use sqlx::Connection;

use crate::helpers::{Backend, TestApp, TestDb, postgres_available};

/// What a column holds, whatever each backend calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Type {
    Integer,
    Text,
    Real,
    Blob,
    Boolean,
    Timestamp,
    Other(String),
}

/// What a column gets when an INSERT leaves it out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Default {
    None,
    Number,
    String,
    CurrentTime,
    Boolean,
    Null,
    /// Numbered by the database: a sequence or identity on PostgreSQL, the rowid on SQLite.
    Generated,
    Other(String),
}

#[derive(Debug)]
struct Column {
    /// The type as the backend declares it, for messages.
    declared: String,
    kind: Type,
    nullable: bool,
    default: Default,
}

/// Table → column → what it is.
type Schema = BTreeMap<String, BTreeMap<String, Column>>;

/// What is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aspect {
    TablesAndColumns,
    Types,
    Nullability,
    Defaults,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_tables_and_columns() {
    parity(Aspect::TablesAndColumns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_column_holds_the_same_kind_of_value_on_both_backends() {
    parity(Aspect::Types).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_column_is_nullable_on_both_backends_or_on_neither() {
    parity(Aspect::Nullability).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_column_has_a_default_of_the_same_kind_on_both_backends() {
    parity(Aspect::Defaults).await;
}

/// Migrate a fresh database on each backend, read both schemas, and fail with every
/// difference in `aspect`, naming table and column.
async fn parity(aspect: Aspect) {
    if !postgres_available() {
        return;
    }
    // The real server migrates a fresh database on each backend at start.
    let sqlite_db = TestDb::new(Backend::Sqlite).await;
    let _sqlite_app = TestApp::spawn(&sqlite_db, "").await;
    let pg_db = TestDb::new(Backend::Postgres).await;
    let _pg_app = TestApp::spawn(&pg_db, "").await;
    let sqlite = sqlite_schema(&sqlite_db).await;
    let postgres = postgres_schema(&pg_db).await;
    assert!(
        sqlite.contains_key("deliveries") && postgres.contains_key("deliveries"),
        "the schemas were read: {:?} / {:?}",
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>()
    );
    let differences = differences(&sqlite, &postgres, aspect);
    assert!(
        differences.is_empty(),
        "the SQLite and PostgreSQL schemas differ ({aspect:?}):\n{}",
        differences.join("\n")
    );
}

/// Every difference in `aspect` between the two schemas, one line each, naming table and
/// column. Columns are compared where both backends have them.
fn differences(sqlite: &Schema, postgres: &Schema, aspect: Aspect) -> Vec<String> {
    let mut out = Vec::new();
    if aspect == Aspect::TablesAndColumns {
        for table in sqlite.keys().filter(|t| !postgres.contains_key(*t)) {
            out.push(format!("table {table}: on SQLite only"));
        }
        for table in postgres.keys().filter(|t| !sqlite.contains_key(*t)) {
            out.push(format!("table {table}: on PostgreSQL only"));
        }
    }
    for (table, lite) in sqlite {
        let Some(pg) = postgres.get(table) else {
            continue;
        };
        if aspect == Aspect::TablesAndColumns {
            for column in lite.keys().filter(|c| !pg.contains_key(*c)) {
                out.push(format!("{table}.{column}: on SQLite only"));
            }
            for column in pg.keys().filter(|c| !lite.contains_key(*c)) {
                out.push(format!("{table}.{column}: on PostgreSQL only"));
            }
        }
        for (column, l) in lite {
            let Some(p) = pg.get(column) else {
                continue;
            };
            let at = format!("{table}.{column}");
            match aspect {
                Aspect::TablesAndColumns => {}
                Aspect::Types if !same_type(&l.kind, &p.kind) => out.push(format!(
                    "{at}: type {} ({:?}) on SQLite, {} ({:?}) on PostgreSQL",
                    l.declared, l.kind, p.declared, p.kind
                )),
                Aspect::Nullability if l.nullable != p.nullable => {
                    let says = |nullable| if nullable { "nullable" } else { "NOT NULL" };
                    out.push(format!(
                        "{at}: {} on SQLite, {} on PostgreSQL",
                        says(l.nullable),
                        says(p.nullable)
                    ));
                }
                Aspect::Defaults if l.default != p.default => out.push(format!(
                    "{at}: default {:?} on SQLite, {:?} on PostgreSQL",
                    l.default, p.default
                )),
                _ => {}
            }
        }
    }
    out
}

fn same_type(sqlite: &Type, postgres: &Type) -> bool {
    // SQLite has no date or time type: sqlx stores chrono times there as ISO 8601 TEXT, and
    // the migrations declare TEXT where PostgreSQL has TIMESTAMPTZ, on purpose.
    sqlite == postgres || (*sqlite == Type::Text && *postgres == Type::Timestamp)
}

async fn sqlite_schema(db: &TestDb) -> Schema {
    let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let rows: Vec<(String, String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
        )
        .bind(&table)
        .fetch_all(&mut c)
        .await
        .unwrap();
        let primary_key_columns = rows.iter().filter(|r| r.4 > 0).count();
        let mut columns = BTreeMap::new();
        for (name, declared, not_null, default, pk) in rows {
            // A lone INTEGER PRIMARY KEY is the rowid: never NULL (a NULL given is replaced
            // by the next number), numbered when left out.
            let rowid =
                pk > 0 && primary_key_columns == 1 && declared.eq_ignore_ascii_case("INTEGER");
            let column = Column {
                kind: sqlite_type(&declared),
                nullable: not_null == 0 && !rowid,
                default: if rowid {
                    Default::Generated
                } else {
                    default_kind(default.as_deref())
                },
                declared,
            };
            columns.insert(name, column);
        }
        schema.insert(table, columns);
    }
    schema
}

async fn postgres_schema(db: &TestDb) -> Schema {
    let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let rows: Vec<(String, String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
         column_default::text, is_identity::text \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut schema: Schema = tables.into_iter().map(|t| (t, BTreeMap::new())).collect();
    for (table, name, declared, nullable, default, identity) in rows {
        let Some(columns) = schema.get_mut(&table) else {
            continue;
        };
        let column = Column {
            kind: postgres_type(&declared),
            nullable: nullable == "YES",
            default: if identity == "YES" {
                Default::Generated
            } else {
                default_kind(default.as_deref())
            },
            declared,
        };
        columns.insert(name, column);
    }
    schema
}

/// SQLite's rules for a declared type's affinity, with BOOLEAN and the date and time names
/// told apart (SQLite would file them under NUMERIC).
fn sqlite_type(declared: &str) -> Type {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Type::Integer
    } else if t.contains("BOOL") {
        Type::Boolean
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Type::Text
    } else if t.is_empty() || t.contains("BLOB") {
        Type::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Type::Real
    } else if t.contains("DATE") || t.contains("TIME") {
        Type::Timestamp
    } else {
        Type::Other(t)
    }
}

/// information_schema.columns.data_type.
fn postgres_type(declared: &str) -> Type {
    match declared {
        "smallint" | "integer" | "bigint" => Type::Integer,
        "text" | "character varying" | "character" => Type::Text,
        "real" | "double precision" => Type::Real,
        "bytea" => Type::Blob,
        "boolean" => Type::Boolean,
        t if t.starts_with("timestamp") || t == "date" || t.starts_with("time") => Type::Timestamp,
        t => Type::Other(t.to_owned()),
    }
}

/// The kind of a default expression, as either backend reports it (`'x'::text`, `FALSE`,
/// `nextval('…'::regclass)`, `CURRENT_TIMESTAMP`, …).
fn default_kind(expression: Option<&str>) -> Default {
    let Some(expression) = expression else {
        return Default::None;
    };
    let lower = expression.trim().to_ascii_lowercase();
    if lower.starts_with("nextval(") {
        return Default::Generated;
    }
    if lower.contains("now()")
        || lower.contains("current_timestamp")
        || lower.contains("current_date")
        || lower.contains("current_time")
        || lower.contains("localtimestamp")
        || lower.contains("'now'")
    {
        return Default::CurrentTime;
    }
    let value = without_casts(&lower);
    if value.starts_with('\'') {
        Default::String
    } else if value == "null" {
        Default::Null
    } else if value == "true" || value == "false" {
        Default::Boolean
    } else if value.parse::<f64>().is_ok() {
        Default::Number
    } else {
        Default::Other(expression.to_owned())
    }
}

/// `('x')::text` → `'x'`: PostgreSQL's casts and parentheses around a literal.
fn without_casts(expression: &str) -> &str {
    let mut value = expression.trim();
    loop {
        if let Some((inner, cast)) = value.rsplit_once("::")
            && !cast.contains('\'')
            && !cast.contains(')')
        {
            value = inner.trim();
        } else if let Some(inner) = value.strip_prefix('(').and_then(|v| v.strip_suffix(')')) {
            value = inner.trim();
        } else {
            return value;
        }
    }
}

#[test]
fn defaults_and_types_are_told_apart() {
    assert_eq!(default_kind(None), Default::None);
    assert_eq!(default_kind(Some("''::text")), Default::String);
    assert_eq!(default_kind(Some("'[]'")), Default::String);
    assert_eq!(default_kind(Some("0")), Default::Number);
    assert_eq!(default_kind(Some("(-1)::bigint")), Default::Number);
    assert_eq!(default_kind(Some("FALSE")), Default::Boolean);
    assert_eq!(default_kind(Some("NULL::text")), Default::Null);
    assert_eq!(
        default_kind(Some("CURRENT_TIMESTAMP")),
        Default::CurrentTime
    );
    assert_eq!(default_kind(Some("now()")), Default::CurrentTime);
    assert_eq!(
        default_kind(Some("nextval('deliveries_id_seq'::regclass)")),
        Default::Generated
    );
    assert_ne!(default_kind(Some("'0'")), default_kind(Some("0")));
    assert_eq!(sqlite_type("BIGINT"), postgres_type("bigint"));
    assert_eq!(sqlite_type("BOOLEAN"), postgres_type("boolean"));
    assert_eq!(sqlite_type("BLOB"), postgres_type("bytea"));
    assert_ne!(sqlite_type("TEXT"), postgres_type("integer"));
    assert!(same_type(
        &sqlite_type("TEXT"),
        &postgres_type("timestamp with time zone")
    ));
    assert!(!same_type(
        &sqlite_type("INTEGER"),
        &postgres_type("timestamp with time zone")
    ));
}
