//! A ledger anyone can check (issue 16, docs/ledger.md): real co-signatures make a chain whose
//! signed head is published; the head verifies with another Ed25519 implementation and the
//! chain recomputes with another SHA-256 over the exported file; removing entries, removing
//! the head, rewriting and rechaining, or swapping a kept request makes both
//! `cosigners verify` and the offline `ledger verify FILE` fail, naming the entry or the head.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{BROWSER_ACCEPT, Backend, World, on_both_backends};

on_both_backends!(
    the_signed_head_checks_out_and_tampering_is_named,
    a_key_made_after_the_fact_signs_existing_ledgers_once,
);

const SLUG: &str = "manifeste-2026";
const STATEMENT: &str = "+++\nslug = \"manifeste-2026\"\n[title]\nfr = \"Manifeste\"\nen = \"Manifesto\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JCS (RFC 8785) for the documents these tests see (ASCII keys, strings and integers),
/// written here so that the check does not lean on the server's canonicaliser.
fn jcs(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), jcs(&o[*k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(jcs).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// The public key in a FEP-521a `publicKeyMultibase`.
fn ed25519_key(multibase: &str) -> ed25519_dalek::VerifyingKey {
    let bytes = bs58::decode(&multibase[1..]).into_vec().unwrap();
    assert!(multibase.starts_with('z'));
    assert_eq!(&bytes[..2], &[0xed, 0x01], "an Ed25519 Multikey");
    ed25519_dalek::VerifyingKey::from_bytes(&bytes[2..].try_into().unwrap()).unwrap()
}

/// Check a signed head as the W3C eddsa-jcs-2022 verification does, with ed25519-dalek.
fn verify_head_independently(head: &Value, key: &ed25519_dalek::VerifyingKey) {
    let mut document = head.clone();
    let proof = document.as_object_mut().unwrap().remove("proof").unwrap();
    let mut config = proof.clone();
    let value = config
        .as_object_mut()
        .unwrap()
        .remove("proofValue")
        .unwrap();
    assert_eq!(config["type"], "DataIntegrityProof");
    assert_eq!(config["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(config["proofPurpose"], "assertionMethod");
    assert_eq!(config["@context"], document["@context"]);
    let mut hash_data = Sha256::digest(jcs(&config).as_bytes()).to_vec();
    hash_data.extend(Sha256::digest(jcs(&document).as_bytes()));
    let signature = bs58::decode(&value.as_str().unwrap()[1..])
        .into_vec()
        .unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(&signature.try_into().unwrap());
    key.verify_strict(&hash_data, &signature)
        .expect("ed25519-dalek verifies the head");
}

/// Recompute the chain of an exported ledger with sha2, and return its last hash.
fn recompute_chain(export: &Value) -> String {
    let mut prev = "0".repeat(64);
    for (i, item) in export["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let entry = item["entry"].as_str().unwrap();
        let parsed: Value = serde_json::from_str(entry).unwrap();
        assert_eq!(item["seq"], i as u64 + 1);
        assert_eq!(parsed["seq"], item["seq"]);
        assert_eq!(
            parsed["prev"],
            prev.as_str(),
            "entry {} names its predecessor",
            i + 1
        );
        let hash = sha256_hex(entry.as_bytes());
        assert_eq!(item["hash"], hash.as_str(), "entry {}'s hash", i + 1);
        if let Some(recorded) = parsed["request_sha256"].as_str() {
            let kept = item["request"].as_str().expect("the kept request");
            assert_eq!(sha256_hex(kept.as_bytes()), recorded);
        }
        prev = hash;
    }
    prev
}

async fn publish_and_cosign(w: &World) -> String {
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    let note = format!("{}/statements/{SLUG}", w.app.base);
    let announce = |name: &str| {
        let actor = w.peer.actor_id(name);
        json!({"@context": "https://www.w3.org/ns/activitystreams",
               "id": format!("{actor}/statuses/1/activity"), "type": "Announce", "actor": actor,
               "published": "2026-11-29T08:00:00Z", "to": [PUBLIC],
               "cc": [w.coalition, format!("{actor}/followers")], "object": note})
    };
    for name in ["alice", "bob"] {
        assert_eq!(w.send_shared(name, &announce(name)).await.status(), 202);
    }
    // Alice takes hers back: a withdrawal, the third entry.
    let mut inner = announce("alice");
    inner.as_object_mut().unwrap().remove("@context");
    let alice = w.peer.actor_id("alice");
    let undo = json!({"id": format!("{alice}/statuses/1/undo"), "type": "Undo", "actor": alice,
                      "to": [PUBLIC], "object": inner});
    assert_eq!(w.send_shared("alice", &undo).await.status(), 202);
    note
}

/// `tribune ledger export` into a file of the test's folder; returns its path and content.
async fn export(w: &World, name: &str) -> (String, Value) {
    let path = w.dir.path().join(name).display().to_string();
    w.cli
        .ok(&["ledger", "export", SLUG, "--output", &path])
        .await;
    let doc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, doc)
}

/// Both checks fail, exit 1, and say `expected`: on the database and on a file exported
/// from it.
async fn both_fail(w: &World, case: &str, expected: &str) {
    let out = w.cli.run(&["cosigners", "verify", SLUG]).await;
    assert_eq!(
        out.code,
        Some(1),
        "{case}: cosigners verify: {}",
        out.stdout
    );
    assert!(
        out.stderr.contains(expected),
        "{case}: cosigners verify said {}",
        out.stderr
    );
    let (file, _) = export(w, &format!("{case}.json")).await;
    let out = w.cli.run(&["ledger", "verify", &file]).await;
    assert_eq!(out.code, Some(1), "{case}: ledger verify: {}", out.stdout);
    assert!(
        out.stderr.contains(expected),
        "{case}: ledger verify said {}",
        out.stderr
    );
}

/// The statement's ledger rows and head row as stored, to put back after each tampering.
struct Saved {
    entries: Vec<(i64, String, String, Option<String>)>,
    head: (i64, String, String),
}

fn quoted(text: &Option<String>) -> String {
    match text {
        Some(t) => format!("'{}'", t.replace('\'', "''")),
        None => "NULL".into(),
    }
}

async fn save(w: &World, n: i64) -> Saved {
    let mut entries = Vec::new();
    for seq in 1..=n {
        let col = |c: &str| format!("SELECT {c} FROM ledger WHERE seq = {seq}");
        entries.push((
            seq,
            w.db.text(&col("entry")).await.unwrap(),
            w.db.text(&col("hash")).await.unwrap(),
            w.db.text(&col("request")).await,
        ));
    }
    let head = (
        w.db.count("SELECT seq FROM ledger_heads").await,
        w.db.text("SELECT hash FROM ledger_heads").await.unwrap(),
        w.db.text("SELECT signed FROM ledger_heads").await.unwrap(),
    );
    Saved { entries, head }
}

async fn restore(w: &World, saved: &Saved) {
    w.db.execute("DELETE FROM ledger").await;
    w.db.execute("DELETE FROM ledger_heads").await;
    for (seq, entry, hash, request) in &saved.entries {
        w.db.execute(&format!(
            "INSERT INTO ledger (slug, seq, entry, hash, request) VALUES ('{SLUG}', {seq}, {}, {}, {})",
            quoted(&Some(entry.clone())),
            quoted(&Some(hash.clone())),
            quoted(request)
        ))
        .await;
    }
    let (seq, hash, signed) = &saved.head;
    w.db.execute(&format!(
        "INSERT INTO ledger_heads (slug, seq, hash, signed) VALUES ('{SLUG}', {seq}, '{hash}', {})",
        quoted(&Some(signed.clone()))
    ))
    .await;
    w.cli.ok(&["cosigners", "verify", SLUG]).await;
}

async fn the_signed_head_checks_out_and_tampering_is_named(backend: Backend) {
    let mut w = World::start(backend, "", &["alice", "bob"]).await;
    let note = publish_and_cosign(&w).await;

    // The key, on the actor document, beside the RSA key Mastodon uses.
    let actor = w.app.get_ap(&w.coalition).await;
    assert!(actor["publicKey"]["publicKeyPem"].as_str().is_some());
    let contexts = actor["@context"].to_string();
    assert!(contexts.contains("https://w3id.org/security/data-integrity/v2"));
    assert!(contexts.contains("https://w3id.org/security/multikey/v1"));
    let key = &actor["assertionMethod"][0];
    assert_eq!(key["id"], format!("{}#ed25519-key", w.coalition));
    assert_eq!(key["type"], "Multikey");
    assert_eq!(key["controller"], w.coalition.as_str());
    let multibase = key["publicKeyMultibase"].as_str().unwrap().to_owned();
    let verifying = ed25519_key(&multibase);

    // The head, published with the ledger and the co-signers, verifies independently.
    let top = w.app.get_ap(&format!("{note}/ledger")).await;
    assert_eq!(top["totalItems"], 3);
    let head = top["head"].clone();
    assert_eq!(head["type"], "LedgerHead");
    assert_eq!(head["statement"], note.as_str());
    assert_eq!(head["seq"], 3);
    assert_eq!(
        head["proof"]["verificationMethod"],
        format!("{}#ed25519-key", w.coalition)
    );
    verify_head_independently(&head, &verifying);
    assert_eq!(
        w.app.get_ap(&format!("{note}/cosigners")).await["head"],
        head
    );
    let page = w.app.get_ap(&format!("{note}/ledger?page=1")).await;
    assert!(page.get("head").is_none(), "pages keep their shape");
    let last = page["orderedItems"][2]["hash"].as_str().unwrap().to_owned();
    assert_eq!(head["hash"], last.as_str());

    // The statement's page shows it, linked to the ledger.
    let html = w
        .app
        .get(&format!("{note}?lang=en"), BROWSER_ACCEPT)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Signed ledger of co-signatures: entry"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<a href=\"{note}/ledger\">3 · <code>{}…</code>",
        &last[..12]
    )));

    // The exported file: the same head, every entry, the kept requests; sha2 recomputes it.
    let (file, exported) = export(&w, "ledger.json").await;
    assert_eq!(exported["head"], head);
    assert_eq!(exported["assertionMethod"][0], *key);
    assert_eq!(recompute_chain(&exported), last);

    // Control: untampered, both checks pass and say what they checked.
    let ok = w.cli.ok(&["cosigners", "verify", SLUG]).await;
    assert!(
        ok.contains("intact: 3 entries; its signed head (entry 3"),
        "{ok}"
    );
    let ok = w.cli.ok(&["ledger", "verify", &file]).await;
    assert!(ok.contains("intact: 3 entries"), "{ok}");
    assert!(ok.contains(&multibase), "{ok}");
    w.cli
        .ok(&["ledger", "verify", &file, "--key", &multibase])
        .await;
    let other = format!(
        "z{}",
        bs58::encode([[0xed, 0x01].as_slice(), &[9u8; 32]].concat()).into_string()
    );
    let out = w
        .cli
        .run(&["ledger", "verify", &file, "--key", &other])
        .await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("head: the file's key is"),
        "{}",
        out.stderr
    );

    let saved = save(&w, 3).await;
    // The last entries removed: the chain alone still verifies, the head does not.
    w.db.execute("DELETE FROM ledger WHERE seq > 1").await;
    both_fail(&w, "truncated", "broken at head: it names entry 3").await;
    // …and the head removed with them; a restart does not sign a new one.
    w.db.execute("DELETE FROM ledger_heads").await;
    both_fail(
        &w,
        "no-head",
        "broken at head: missing, but the ledger has 1 entries",
    )
    .await;
    w.restart("").await;
    both_fail(&w, "no-head-after-restart", "broken at head: missing").await;
    restore(&w, &saved).await;

    // Entry 2 rewritten and every hash after it recomputed: the chain verifies, the head not.
    let (_, entry2, hash2, _) = &saved.entries[1];
    let forged2 = entry2.replace("\"public\"", "\"followers\"");
    assert_ne!(&forged2, entry2);
    let new2 = sha256_hex(forged2.as_bytes());
    let forged3 = saved.entries[2].1.replace(hash2.as_str(), &new2);
    let new3 = sha256_hex(forged3.as_bytes());
    for (seq, entry, hash) in [(2, &forged2, &new2), (3, &forged3, &new3)] {
        w.db.execute(&format!(
            "UPDATE ledger SET entry = {}, hash = '{hash}' WHERE seq = {seq}",
            quoted(&Some(entry.to_string()))
        ))
        .await;
    }
    both_fail(&w, "rechained", "broken at head: it signs entry 3 as").await;
    restore(&w, &saved).await;

    // A kept request swapped for another entry's: named at that entry.
    w.db.execute(
        "UPDATE ledger SET request = (SELECT request FROM ledger WHERE seq = 2) WHERE seq = 1",
    )
    .await;
    both_fail(
        &w,
        "swapped",
        "broken at entry 1: its kept request does not match",
    )
    .await;
    restore(&w, &saved).await;

    // A head re-signed by another key for a shorter chain: its proof fails.
    w.db.execute("DELETE FROM ledger WHERE seq > 1").await;
    let forged = tribune::protocol::ledger_head::sign_head(
        &tribune::domain::ledger_head::AssertionKey::from_seed(&[9u8; 32]).unwrap(),
        &url::Url::parse(&w.coalition).unwrap(),
        &tribune::domain::ledger_head::Head {
            statement: note.clone(),
            seq: 1,
            hash: saved.entries[0].2.clone(),
        },
        chrono::Utc::now(),
    )
    .unwrap();
    w.db.execute(&format!(
        "UPDATE ledger_heads SET seq = 1, hash = '{}', signed = '{forged}'",
        saved.entries[0].2
    ))
    .await;
    both_fail(
        &w,
        "foreign-key",
        "broken at head: its signature does not verify",
    )
    .await;
    restore(&w, &saved).await;
}

/// A database from before the key (no key, no heads) gets both at its next start: the heads of
/// its existing ledgers signed once, which then check out.
async fn a_key_made_after_the_fact_signs_existing_ledgers_once(backend: Backend) {
    let mut w = World::start(backend, "", &["alice", "bob"]).await;
    let note = publish_and_cosign(&w).await;
    let before =
        w.app.get_ap(&w.coalition).await["assertionMethod"][0]["publicKeyMultibase"].clone();
    w.db.execute("DELETE FROM ledger_heads").await;
    w.db.execute("UPDATE local_actor SET ed25519_private_key_pem = NULL")
        .await;
    w.restart("").await;
    let key = w.app.get_ap(&w.coalition).await["assertionMethod"][0].clone();
    assert_ne!(key["publicKeyMultibase"], before, "a new key");
    let head = w.app.get_ap(&format!("{note}/ledger")).await["head"].clone();
    assert_eq!(head["seq"], 3);
    verify_head_independently(
        &head,
        &ed25519_key(key["publicKeyMultibase"].as_str().unwrap()),
    );
    let ok = w.cli.ok(&["cosigners", "verify", SLUG]).await;
    assert!(ok.contains("signed head (entry 3"), "{ok}");
    assert_eq!(w.db.count("SELECT COUNT(*) FROM ledger_heads").await, 1);
}
