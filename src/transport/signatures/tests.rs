//! Signatures: both schemes against each other and against fixed vectors.

use super::*;
use axum::http::{HeaderMap, HeaderValue};

#[test]
fn our_rfc9421_signature_verifies() {
    let (signer, public) = keys();
    let url = Url::parse("https://b.example/inbox").unwrap();
    let body = br#"{"type":"Create"}"#;
    let now = SystemTime::now();
    let signed = signer.sign_post_rfc9421(&url, body, now).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-digest",
        HeaderValue::from_str(&signed.content_digest).unwrap(),
    );
    let sig = parse_message_signature(&signed.signature_input, &signed.signature).unwrap();
    let req = RequestParts {
        method: "POST",
        path: "/inbox",
        query: None,
        headers: &headers,
    };
    sig.check(Some(body), &req, now).unwrap();
    let base = sig.base(&req, url.as_str()).unwrap();
    sig.verify(&base, &public).unwrap();
    assert_eq!(
        sig.check(Some(b"{}"), &req, now),
        Err(SignatureError::DigestMismatch)
    );
}

fn keys() -> (Signer, PublicKey) {
    let pair = crate::transport::keyring::generate_rsa_2048().unwrap();
    (
        Signer::from_pkcs8_pem(
            "https://a.example/actor#main-key".into(),
            &pair.private_key_pem,
        )
        .unwrap(),
        PublicKey::from_pem(&pair.public_key_pem).unwrap(),
    )
}

fn headers_of(s: &SignedHeaders) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_str(&s.host).unwrap());
    h.insert("date", HeaderValue::from_str(&s.date).unwrap());
    h.insert("digest", HeaderValue::from_str(&s.digest).unwrap());
    h.insert("content-type", HeaderValue::from_static(s.content_type));
    h.insert("signature", HeaderValue::from_str(&s.signature).unwrap());
    h
}

#[test]
fn parses_mastodon_headers_in_their_order() {
    let s = parse_signature_header(
        r#"keyId="https://example.com/users/alice#main-key",algorithm="rsa-sha256",headers="host date content-type digest (request-target)",signature="AAEC""#,
    )
    .unwrap();
    assert_eq!(s.key_id, "https://example.com/users/alice#main-key");
    assert_eq!(
        s.headers,
        ["host", "date", "content-type", "digest", "(request-target)"]
    );
    assert_eq!(s.signature, [0, 1, 2]);
    let s = parse_signature_header(
        r#"keyId="k", created=1700000000, expires=1700000300.5, signature="AA==""#,
    )
    .unwrap();
    assert_eq!((s.created, s.expires), (Some(1700000000), Some(1700000300)));
    assert_eq!(s.headers, ["date"]);
    for bad in [
        "",
        "keyId=\"k\"",
        "signature=\"AA==\"",
        "keyId=\"k,signature=\"AA==\"",
        "keyId=\"k\" signature=\"AA==\"",
    ] {
        assert!(parse_signature_header(bad).is_err(), "{bad}");
    }
}

#[test]
fn our_signature_verifies_and_tampering_does_not() {
    let (signer, public) = keys();
    let url = Url::parse("https://b.example:8443/inbox").unwrap();
    let body = br#"{"type":"Follow"}"#;
    let now = SystemTime::now();
    let signed = signer.sign_post(&url, body, now).unwrap();
    assert_eq!(signed.host, "b.example:8443");
    let headers = headers_of(&signed);
    let sig = parse_signature_header(&signed.signature).unwrap();
    let req = RequestParts {
        method: "POST",
        path: "/inbox",
        query: None,
        headers: &headers,
    };
    check_request(&sig, &req, Some(body), now).unwrap();
    verify_signature(&sig, &req, &public).unwrap();

    assert_eq!(
        check_request(&sig, &req, Some(b"{}"), now),
        Err(SignatureError::DigestMismatch)
    );
    let late = now + MAX_AGE + Duration::from_secs(5);
    assert_eq!(
        check_request(&sig, &req, Some(body), late),
        Err(SignatureError::Expired)
    );
    let other = RequestParts {
        method: "POST",
        path: "/other",
        query: None,
        headers: &headers,
    };
    assert_eq!(
        verify_signature(&sig, &other, &public),
        Err(SignatureError::Invalid)
    );
    let (_, stranger) = keys();
    assert_eq!(
        verify_signature(&sig, &req, &stranger),
        Err(SignatureError::Invalid)
    );
}

#[test]
fn request_target_is_tried_with_and_without_the_query() {
    let (signer, public) = keys();
    let url = Url::parse("https://b.example/inbox").unwrap();
    let signed = signer.sign_post(&url, b"{}", SystemTime::now()).unwrap();
    let headers = headers_of(&signed);
    let sig = parse_signature_header(&signed.signature).unwrap();
    // Signed without a query, received with one (a proxy added it).
    let req = RequestParts {
        method: "POST",
        path: "/inbox",
        query: Some("x=1"),
        headers: &headers,
    };
    verify_signature(&sig, &req, &public).unwrap();
}

#[test]
fn a_post_must_sign_its_digest() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())).unwrap(),
    );
    let sig = SignatureHeader {
        key_id: "k".into(),
        algorithm: None,
        headers: vec!["(request-target)".into(), "host".into(), "date".into()],
        signature: vec![1],
        created: None,
        expires: None,
    };
    let req = RequestParts {
        method: "POST",
        path: "/inbox",
        query: None,
        headers: &headers,
    };
    assert_eq!(
        check_request(&sig, &req, Some(b"{}"), SystemTime::now()),
        Err(SignatureError::NotCovered("digest"))
    );
    assert!(check_request(&sig, &req, None, SystemTime::now()).is_ok());
}

#[test]
fn a_signature_must_cover_the_host_it_was_made_for() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("other.example"));
    headers.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())).unwrap(),
    );
    let sig = SignatureHeader {
        key_id: "k".into(),
        algorithm: None,
        headers: vec!["(request-target)".into(), "date".into()],
        signature: vec![1],
        created: None,
        expires: None,
    };
    let req = RequestParts {
        method: "GET",
        path: "/ap/coalition",
        query: None,
        headers: &headers,
    };
    assert_eq!(
        check_request(&sig, &req, None, SystemTime::now()),
        Err(SignatureError::NotCovered("host"))
    );
    assert_eq!(
        check_host(&req, "tribune.example"),
        Err(SignatureError::WrongHost("other.example".into()))
    );
    assert!(check_host(&req, "OTHER.example").is_ok());
}
