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
    let headers = digest_headers(&signed.content_digest);
    let sig = parse_message_signature(&signed.signature_input, &signed.signature).unwrap();
    let req = parts("POST", "/inbox", None, &headers);
    sig.check(Some(body), &req, now).unwrap();
    let base = sig.base(&req, url.as_str()).unwrap();
    sig.verify(&base, &public).unwrap();
    assert_eq!(
        sig.check(Some(b"{}"), &req, now),
        Err(SignatureError::DigestMismatch)
    );
}

pub(crate) fn keys() -> (Signer, PublicKey) {
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

pub(crate) fn headers_of(s: &SignedHeaders) -> HeaderMap {
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
    let req = parts("POST", "/inbox", None, &headers);
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
    let other = parts("POST", "/other", None, &headers);
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
    let req = parts("POST", "/inbox", Some("x=1"), &headers);
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
    let req = parts("POST", "/inbox", None, &headers);
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
    let req = parts("GET", "/ap/coalition", None, &headers);
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

fn parts<'a>(
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
) -> RequestParts<'a> {
    RequestParts {
        method,
        path,
        query,
        headers,
    }
}

pub(crate) fn digest_headers(content_digest: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "content-digest",
        HeaderValue::from_str(content_digest).unwrap(),
    );
    h
}

fn epoch(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn a_query_param_component_verifies() {
    let (signer, public) = keys();
    let now = SystemTime::now();
    let body = br#"{"type":"Create"}"#;
    let digest = format!("sha-256=:{}:", digest_value(body));
    let params = format!(
        r#"("@method" "@target-uri" "@query-param";name="q" "content-digest");created={};keyid="k""#,
        epoch(now)
    );
    let target = "https://b.example/inbox?q=a+b%21&x=1";
    let base = format!(
        "\"@method\": POST\n\"@target-uri\": {target}\n\"@query-param\";name=\"q\": a%20b%21\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
    );
    let signature = format!("sig1=:{}:", signer.sign(base.as_bytes()).unwrap());
    let sig = parse_message_signature(&format!("sig1={params}"), &signature).unwrap();
    assert_eq!(sig.params, params);
    assert_eq!(
        sig.components[2].identifier().unwrap(),
        r#""@query-param";name="q""#
    );
    let headers = digest_headers(&digest);
    let req = parts("POST", "/inbox", Some("q=a+b%21&x=1"), &headers);
    sig.check(Some(body), &req, now).unwrap();
    assert_eq!(sig.base(&req, target).unwrap(), base);
    sig.verify(&base, &public).unwrap();
    // Another value of q gives another base, which the signature does not verify.
    let other = RequestParts {
        query: Some("q=c&x=1"),
        ..req
    };
    let base = sig.base(&other, target).unwrap();
    assert_eq!(sig.verify(&base, &public), Err(SignatureError::Invalid));
}

#[test]
fn query_params_are_encoded_as_rfc_9421_shows() {
    // The request of RFC 9421 §2.2.8's second example, with an empty and a repeated name.
    let headers = HeaderMap::new();
    let query = "var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something&qux=&d=1&%64=2";
    let req = parts("GET", "/parameters", Some(query), &headers);
    let line = |name: &str| {
        let input = format!(r#"s=("@query-param";name="{name}");created=1;keyid="k""#);
        let sig = parse_message_signature(&input, "s=:AA==:").unwrap();
        let base = sig.base(&req, "https://b.example/parameters")?;
        Ok::<_, SignatureError>(base.lines().next().unwrap().to_owned())
    };
    for (name, value) in [
        ("var", "this%20is%20a%20big%0Amultiline%20value"),
        ("bar", "with%20plus%20whitespace"),
        ("fa%C3%A7ade%22%3A%20", "something"),
        ("qux", ""),
    ] {
        let want = format!("\"@query-param\";name=\"{name}\": {value}");
        assert_eq!(line(name).unwrap(), want);
    }
    assert!(matches!(line("d"), Err(SignatureError::Malformed(m)) if m.contains("more than once")));
    assert!(matches!(
        line("nope"),
        Err(SignatureError::HeaderMissing(_))
    ));
}

#[test]
fn other_component_parameters_are_refused_not_misread() {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let req = parts("POST", "/inbox", Some("q=1"), &headers);
    let refused = |component: &str| {
        let input = format!(r#"sig1=({component});created=1;keyid="k""#);
        let sig = parse_message_signature(&input, "sig1=:AA==:").unwrap();
        match sig.base(&req, "https://b.example/inbox?q=1") {
            Err(SignatureError::Malformed(m)) => m,
            other => panic!("{component}: {other:?}"),
        }
    };
    for (component, why) in [
        (r#""content-type";sf"#, "sf on content-type"),
        (r#""content-type";key="a""#, "key on content-type"),
        (r#""content-type";bs"#, "bs on content-type"),
        (r#""@method";req"#, "req on @method"),
        (r#""content-type";tr"#, "tr on content-type"),
        (r#""@query-param";name="q";sf"#, "sf on @query-param"),
    ] {
        let want = format!("unsupported component parameter {why}");
        assert_eq!(refused(component), want);
    }
    let why = refused(r#""@query-param""#);
    assert_eq!(why, "@query-param has no name parameter");
    let why = refused(r#""@query-param";name=q"#);
    assert_eq!(why, "the name of @query-param is not a string");
    let why = refused(r#""@method" "@method""#);
    assert_eq!(why, "a component is covered twice");
    // A component with a parameter does not count as the plain one.
    let sig = parse_message_signature(
        r#"sig1=("@method";req "@target-uri");created=1;keyid="k""#,
        "sig1=:AA==:",
    )
    .unwrap();
    assert_eq!(
        sig.check(None, &req, SystemTime::now()),
        Err(SignatureError::NotCovered("@method"))
    );
}

#[test]
fn quoted_key_ids_may_hold_separators() {
    let input = r#"sig1=("@method" "@target-uri");created=1700000000;keyid="https://a.example/u?x=(1),y;z=\"w\"";alg="ed25519", sig2=("@method");created=1;keyid="b""#;
    let sig = parse_message_signature(input, "sig2=:AQI=:, sig1=:AAEC:").unwrap();
    assert_eq!(sig.key_id, r#"https://a.example/u?x=(1),y;z="w""#);
    assert_eq!(sig.alg.as_deref(), Some("ed25519"));
    assert_eq!((sig.created, sig.expires), (1700000000, None));
    assert_eq!(sig.signature, [0, 1, 2]);
    assert_eq!(
        sig.params,
        r#"("@method" "@target-uri");created=1700000000;keyid="https://a.example/u?x=(1),y;z=\"w\"";alg="ed25519""#
    );
}

#[test]
fn the_first_label_that_signature_carries_is_used() {
    let input = r#"sig1=("@method");created=1;keyid="a", sig2=("@method" "@path");created=2;expires=3;keyid="b""#;
    let sig = parse_message_signature(input, "sig2=:AQI=:").unwrap();
    assert_eq!(
        (sig.key_id.as_str(), sig.created, sig.expires),
        ("b", 2, Some(3))
    );
    assert_eq!(sig.signature, [1, 2]);
    assert_eq!(
        sig.params,
        r#"("@method" "@path");created=2;expires=3;keyid="b""#
    );
    let sig = parse_message_signature(input, "sig2=:AQI=:, sig1=:AAEC:").unwrap();
    assert_eq!(sig.key_id, "a");
}

#[test]
fn malformed_structured_fields_are_refused() {
    let ok = r#"sig1=("@method");created=1;keyid="k""#;
    let inputs = [
        "",
        "((((",
        r#"sig1=("@method""#,
        r#"sig1=("@method");created=1;keyid="k"#,
        r#"sig1="@method";created=1;keyid="k""#,
        r#"sig1=(@method);created=1;keyid="k""#,
        r#"sig1=(method);created=1;keyid="k""#,
        r#"sig1=("@method");created="1";keyid="k""#,
        r#"sig1=("@method");created=1.5;keyid="k""#,
        r#"sig1=("@method");created=1234567890123456;keyid="k""#,
        r#"sig1=("@method");created=1;keyid=k"#,
        r#"sig1=("@method");keyid="k""#,
        r#"sig1=("@method");created=1"#,
        r#"sig1=("@method");created=1;keyid="""#,
        r#"sig1=("@method");created=1;keyid="k";alg=ed25519"#,
        r#"sig1=("@method") ;created=1;keyid="k""#,
        r#"sig1=("@method");created=1;keyid="k","#,
        r#"sig1=("@méthod");created=1;keyid="k""#,
        r#"SIG1=("@method");created=1;keyid="k""#,
    ];
    let signatures = [
        "",
        "))))",
        "sig2=:AA==:",
        r#"sig1="AAEC""#,
        "sig1=:!!:",
        "sig1=(:AA==:)",
        "sig1",
        "sig1=:AA==:;",
    ];
    let cases = inputs
        .map(|i| (i, "sig1=:AA==:"))
        .into_iter()
        .chain(signatures.map(|s| (ok, s)));
    for (input, signature) in cases {
        let got = parse_message_signature(input, signature);
        assert!(
            matches!(got, Err(SignatureError::Malformed(_))),
            "{input} / {signature}: {got:?}"
        );
    }
}

#[test]
fn whitespace_that_structured_fields_allow_is_accepted() {
    let (signer, public) = keys();
    let url = Url::parse("https://b.example/inbox").unwrap();
    let body = br#"{"type":"Create"}"#;
    let now = SystemTime::now();
    let signed = signer.sign_post_rfc9421(&url, body, now).unwrap();
    let canonical = format!(
        r#"("@method" "@target-uri" "content-digest");created={};keyid="https://a.example/actor#main-key";alg="rsa-v1_5-sha256""#,
        epoch(now)
    );
    assert_eq!(signed.signature_input, format!("sig1={canonical}"));
    let spaced = canonical
        .replace('(', "(  ")
        .replace(')', " )")
        .replace(" \"@target-uri\"", "   \"@target-uri\"")
        .replace(";keyid", "; keyid")
        .replace(";alg", ";   alg");
    let headers = digest_headers(&signed.content_digest);
    let req = parts("POST", "/inbox", None, &headers);
    let signature = format!("x=:AA==:,\t {} ", signed.signature);
    for input in [
        format!("sig1={spaced}"),
        format!(r#"  other=("@method");created=1;keyid="o" ,   sig1={spaced}  "#),
    ] {
        let sig = parse_message_signature(&input, &signature).unwrap();
        assert_eq!(sig.params, canonical, "{input}");
        sig.check(Some(body), &req, now).unwrap();
        let base = sig.base(&req, url.as_str()).unwrap();
        sig.verify(&base, &public).unwrap();
    }
}
