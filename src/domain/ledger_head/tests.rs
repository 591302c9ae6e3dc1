use serde_json::{Value, json};

use super::*;

/// The specification's own vectors (tests/fixtures/data-integrity/eddsa-jcs-2022.json, which
/// names its source).
fn vectors() -> Value {
    serde_json::from_str(include_str!(
        "../../../tests/fixtures/data-integrity/eddsa-jcs-2022.json"
    ))
    .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The seed in a `privateKeyMultibase`: `z` + base58btc(0x80 0x26 ++ 32 bytes).
fn seed_of(private_multibase: &str) -> Vec<u8> {
    let bytes = bs58::decode(&private_multibase[1..]).into_vec().unwrap();
    assert_eq!(&bytes[..2], &[0x80, 0x26]);
    bytes[2..].to_vec()
}

#[test]
fn a_multikey_is_z_base58btc_of_the_ed25519_prefix_and_the_key() {
    // FEP-521a's own example: this public key, this multibase.
    let key: [u8; 32] = (0..32)
        .map(|i| {
            u8::from_str_radix(
                &"2e6fcce36701dc791488e0d0b1745cc1e33a4c1c9fcc41c63bd343dbbe0970e6"
                    [i * 2..i * 2 + 2],
                16,
            )
            .unwrap()
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let multibase = multikey(&key);
    assert_eq!(
        multibase,
        "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    );
    assert_eq!(public_key_of(&multibase), Ok(key));

    assert!(public_key_of("6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").is_err());
    assert!(public_key_of("z0OIl").is_err(), "not base58");
    // Right prefix, 31 bytes of key.
    let mut short = vec![0xed, 0x01];
    short.extend([1u8; 31]);
    let short = format!("z{}", bs58::encode(short).into_string());
    assert!(public_key_of(&short).is_err());
    // Another key type (secp256k1, 0xe7 0x01).
    let mut other = vec![0xe7, 0x01];
    other.extend([1u8; 33]);
    assert!(public_key_of(&format!("z{}", bs58::encode(other).into_string())).is_err());
}

#[test]
fn the_specifications_vectors_give_the_same_hash_and_proof() {
    let v = vectors();
    let key =
        AssertionKey::from_seed(&seed_of(v["privateKeyMultibase"].as_str().unwrap())).unwrap();
    assert_eq!(key.multibase(), v["publicKeyMultibase"]);
    let (config, document) = (&v["proofConfig"], &v["document"]);
    assert_eq!(
        hex(&hash_data(config, document).unwrap()),
        v["combinedHashHex"]
    );
    let value = proof_value(&key, config, document).unwrap();
    assert_eq!(value, v["proofValue"]);
    assert_eq!(
        verify_proof_value(&key.public_key(), config, document, &value),
        Ok(())
    );
}

fn head_key() -> AssertionKey {
    AssertionKey::from_seed(&[7u8; 32]).unwrap()
}

fn head_document() -> Value {
    json!({"type": "LedgerHead", "statement": "https://example.org/statements/s", "seq": 3,
           "hash": "ab".repeat(32)})
}

fn head_config() -> Value {
    json!({"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE,
           "verificationMethod": "https://example.org/ap/c#ed25519-key",
           "proofPurpose": PROOF_PURPOSE, "created": "2026-01-01T00:00:00Z"})
}

#[test]
fn a_fixed_key_and_document_give_a_stable_proof_that_verifies_and_nothing_else_does() {
    let key = head_key();
    let (doc, config) = (head_document(), head_config());
    let value = proof_value(&key, &config, &doc).unwrap();
    // Ed25519 is deterministic (RFC 8032): the same inputs, the same proof, always.
    assert_eq!(
        value,
        "z51goadposkiqV78yoDVKa2vJbJsMcdw6uBG7LmSxZf1jRut7R39KQHwvArEU83Rit9HWoTmTKY4KHuAPVbSGrBDn"
    );
    let pk = key.public_key();
    assert_eq!(verify_proof_value(&pk, &config, &doc, &value), Ok(()));
    // Another Ed25519 implementation agrees.
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    let signature: [u8; 64] = bs58::decode(&value[1..])
        .into_vec()
        .unwrap()
        .try_into()
        .unwrap();
    dalek
        .verify_strict(
            &hash_data(&config, &doc).unwrap(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .unwrap();
    // Key order does not matter (JCS sorts), content does.
    let reordered: Value = serde_json::from_str(
        r#"{"seq": 3, "hash": "abababababababababababababababababababababababababababababababab",
            "statement": "https://example.org/statements/s", "type": "LedgerHead"}"#,
    )
    .unwrap();
    assert_eq!(verify_proof_value(&pk, &config, &reordered, &value), Ok(()));

    let mut doc2 = doc.clone();
    doc2["seq"] = json!(2);
    assert!(verify_proof_value(&pk, &config, &doc2, &value).is_err());
    let mut config2 = config.clone();
    config2["created"] = json!("2026-01-01T00:00:01Z");
    assert!(verify_proof_value(&pk, &config2, &doc, &value).is_err());
    let other = AssertionKey::from_seed(&[8u8; 32]).unwrap().public_key();
    assert!(verify_proof_value(&other, &config, &doc, &value).is_err());
    assert!(verify_proof_value(&pk, &config, &doc, &value[1..]).is_err());

    let mut wrong_suite = config.clone();
    wrong_suite["cryptosuite"] = json!("eddsa-rdfc-2022");
    assert!(proof_value(&key, &wrong_suite, &doc).is_err());
    let mut bad_date = config;
    bad_date["created"] = json!("yesterday");
    assert!(proof_value(&key, &bad_date, &doc).is_err());
}

#[test]
fn a_stored_key_reads_back_as_the_same_key() {
    let rng = ring::rand::SystemRandom::new();
    let der = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pem = pkcs8_pem(der.as_ref());
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let key = AssertionKey::from_pem(&pem).unwrap();
    let direct = Ed25519KeyPair::from_pkcs8(der.as_ref()).unwrap();
    assert_eq!(&key.public_key()[..], direct.public_key().as_ref());
    assert!(AssertionKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n").is_err());
    assert!(!format!("{key:?}").contains("BEGIN"));
}

fn entries(n: i64) -> Vec<StoredEntry> {
    (1..=n)
        .map(|seq| StoredEntry {
            seq,
            entry: String::new(),
            hash: format!("{seq:064}"),
            request: None,
        })
        .collect()
}

#[test]
fn a_head_must_name_the_chains_last_entry_and_hash() {
    let s = "https://example.org/statements/s";
    let head = |seq: i64, hash: String| Head {
        statement: s.into(),
        seq,
        hash,
    };
    let chain = entries(3);
    assert_eq!(
        check_head(Some(&head(3, chain[2].hash.clone())), s, &chain),
        Ok(())
    );
    assert_eq!(check_head(None, s, &[]), Ok(()));

    let err = |r: Result<(), ProofError>| r.unwrap_err().0;
    let truncated = err(check_head(Some(&head(5, "f".repeat(64))), s, &chain));
    assert!(
        truncated.contains("entries 4 to 5 were removed"),
        "{truncated}"
    );
    assert!(err(check_head(None, s, &chain)).contains("removed"));
    assert!(err(check_head(Some(&head(3, "f".repeat(64))), s, &[])).contains("no entries"));
    let rewritten = err(check_head(Some(&head(3, "f".repeat(64))), s, &chain));
    assert!(rewritten.contains("rewritten"), "{rewritten}");
    assert!(err(check_head(Some(&head(2, chain[1].hash.clone())), s, &chain)).contains("entry 3"));
    let elsewhere = Head {
        statement: "https://example.org/statements/t".into(),
        ..head(3, chain[2].hash.clone())
    };
    assert!(err(check_head(Some(&elsewhere), s, &chain)).contains("signed for"));
}
