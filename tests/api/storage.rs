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
