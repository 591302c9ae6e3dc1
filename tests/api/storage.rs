//! The database: created on first start, migrated, and the coalition's key pair kept.

use rsa::{RsaPublicKey, pkcs8::DecodePublicKey, traits::PublicKeyParts};

use crate::helpers::{Backend, TestApp, TestDb, on_both_backends};

on_both_backends!(key_pair_survives_a_restart);

async fn key_pair_survives_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut app = TestApp::spawn(&db, "").await;
    let before = app.get_ap("/ap/coalition").await;
    let pem = before["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = RsaPublicKey::from_public_key_pem(&pem).expect("an SPKI PEM");
    assert_eq!(key.size() * 8, 2048, "RSA-2048");

    app.restart(&db, "").await;
    let after = app.get_ap("/ap/coalition").await;
    assert_eq!(after["publicKey"]["publicKeyPem"], pem.as_str());
    assert_eq!(
        after["published"], before["published"],
        "the creation time is kept too"
    );

    // A second fresh database gets a key of its own.
    let other_db = TestDb::new(backend).await;
    let other = TestApp::spawn(&other_db, "").await;
    let other_key = other.get_ap("/ap/coalition").await;
    assert_ne!(other_key["publicKey"]["publicKeyPem"], pem.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_is_created_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/folder/tribune.db");
    let db = TestDb::sqlite_at(format!("sqlite://{}", file.display()));
    let mut app = TestApp::spawn(&db, "").await;
    assert!(
        file.is_file(),
        "the file and its folders are created on first start"
    );
    app.stop().await;
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM local_actor")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

/// On SQLite the write-ahead log is copied into the database file by a task of its own
/// soon after a burst of writes, so that no commit (and no inbox activity waiting on it)
/// does the copy on its way. The database file alone, without its log, then holds them.
#[tokio::test]
async fn the_sqlite_log_is_copied_into_the_database_after_writes() {
    use sqlx::Connection;
    let db = TestDb::new(Backend::Sqlite).await;
    let _app = TestApp::spawn(&db, "").await;
    let file = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://"));
    // Held open throughout: the last connection to close copies the log itself.
    let _held = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    // A few hundred rows: far fewer pages than a commit would copy on its own (1,000).
    db.seed_followers("http://127.0.0.1:9", 200).await;
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("alone.db");
    crate::helpers::eventually(
        "the followers are in the database file itself",
        std::time::Duration::from_secs(10),
        async || {
            // The file alone: SQLite finds no log beside the copy.
            if std::fs::copy(&file, &copy).is_err() {
                return false;
            }
            let url = format!("sqlite://{}?mode=ro", copy.display());
            let Ok(mut c) = sqlx::SqliteConnection::connect(&url).await else {
                return false;
            };
            let n: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM followers")
                .fetch_one(&mut c)
                .await;
            n.is_ok_and(|n| n == 200)
        },
    )
    .await;
}

/// A stopped server has closed every connection to its SQLite database, the inbox's own
/// among them: the last one to close copies the log into the database file and removes it.
/// A connection left open would leave the log behind (nothing lost: the next start folds it
/// in), and keep the file open after `run_until` has returned.
#[tokio::test]
async fn a_stopped_server_leaves_no_sqlite_log_behind() {
    let mut w = crate::cosign::Cosign::new(Backend::Sqlite, "", &["alice"]).await;
    let res = w
        .send_from(&w.peer, "alice", &w.announce(&w.peer, "alice", 1))
        .await;
    assert_eq!(res.status(), 202);
    let file = std::path::PathBuf::from(w.db.url.trim_start_matches("sqlite://"));
    let log = file.with_extension("db-wal");
    assert!(log.exists(), "a running server writes through the log");
    w.world.app.stop().await;
    assert!(
        !log.exists(),
        "the log is left behind: a connection is still open"
    );
}
