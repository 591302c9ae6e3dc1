//! Property tests of everything that parses input from outside: activity JSON, the
//! `Signature` header, statement files with front matter, WebFinger resources and `Accept`.
//! They must never panic, and what they accept must hold together.
//!
//! `FUZZ_SECONDS=600 cargo test --release --test properties -- --ignored --nocapture` runs
//! the same targets on random input for that long and prints how many executions it made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use tribune::{
    domain::{LanguageTag, statement},
    federation::envelope::Envelope,
    http::{negotiate::wants_activitypub, well_known::parse_resource},
    transport::{
        outgoing,
        signatures::{parse_message_signature, parse_signature_header},
    },
};

fn langs() -> Vec<LanguageTag> {
    vec![
        LanguageTag::parse("fr").unwrap(),
        LanguageTag::parse("en").unwrap(),
    ]
}

/// JSON-ish text: often valid activity shapes, often broken.
fn activity_text() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("\"https://a.example/x\"".to_owned()),
        Just("null".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("{\"id\": \"https://a.example/o\"}".to_owned()),
        "\"[^\"\\\\]{0,20}\"",
        "-?[0-9]{1,20}",
    ];
    let key = prop_oneof![
        Just("id"),
        Just("type"),
        Just("actor"),
        Just("object"),
        Just("to"),
        Just("x")
    ];
    prop_oneof![
        proptest::collection::vec((key, value), 0..6).prop_map(|kv| {
            let fields: Vec<String> = kv
                .into_iter()
                .map(|(k, v)| format!("\"{k}\": {v}"))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }),
        ".{0,200}",
    ]
}

fn signature_text() -> impl Strategy<Value = String> {
    let param = prop_oneof![
        "keyId=\"[a-z:/.#-]{0,30}\"",
        "algorithm=\"(rsa-sha256|hs2019|ed25519|[a-z]{0,5})\"",
        "headers=\"[()a-z -]{0,40}\"",
        "signature=\"[A-Za-z0-9+/=]{0,40}\"",
        "created=[0-9]{0,12}",
        "expires=[0-9.]{0,14}",
        "[a-zA-Z]{0,5}=[^,]{0,10}",
        ".{0,10}",
    ];
    proptest::collection::vec(param, 0..7).prop_map(|p| p.join(","))
}

/// `Signature-Input` and `Signature` pairs, RFC 9421.
fn message_signature_text() -> impl Strategy<Value = (String, String)> {
    let component = prop_oneof![
        Just("\"@method\"".to_owned()),
        Just("\"@target-uri\"".to_owned()),
        Just("\"content-digest\"".to_owned()),
        "\"[a-z@-]{0,12}\"(;[a-z]{1,3}=\"[a-z]{0,3}\")?",
        "[^ )]{0,6}",
    ];
    let param = prop_oneof![
        "created=[0-9]{0,12}",
        "expires=[0-9]{0,12}",
        "keyid=\"[a-z:/.#-]{0,20}\"",
        "alg=\"(rsa-v1_5-sha256|ed25519|[a-z]{0,4})\"",
        ".{0,8}",
    ];
    (
        "[a-z0-9]{1,4}",
        proptest::collection::vec(component, 0..5),
        proptest::collection::vec(param, 0..5),
        "(:[A-Za-z0-9+/=]{0,30}:|.{0,10})",
        any::<bool>(),
    )
        .prop_map(|(label, comps, params, sig, same_label)| {
            let input = format!("{label}=({});{}", comps.join(" "), params.join(";"));
            let sig_label = if same_label { label } else { "other".into() };
            (input, format!("{sig_label}={sig}"))
        })
}

fn check_message_signature((input, signature): &(String, String)) {
    if let Ok(s) = parse_message_signature(input, signature) {
        assert!(!s.key_id.is_empty());
        assert!(s.params.starts_with('('));
    }
}

fn statement_text() -> impl Strategy<Value = String> {
    let front = prop_oneof![
        Just("slug = \"a-b\"\n[title]\nfr = \"T\"\nen = \"E\"\n".to_owned()),
        Just(
            "slug = \"x\"\ntags = [\"a\", \"#b\"]\nmentions = [\"@a@b\"]\n[title]\nfr = \"T\"\n"
                .to_owned()
        ),
        "[a-z_]{1,8} = \"[^\"\n]{0,12}\"\n",
        ".{0,60}",
    ];
    let body = prop_oneof![
        Just("::: fr\ntexte\n::: en\ntext\n".to_owned()),
        Just("::: fr\n# Titre\n\n<script>x</script> [l](javascript:x)\n".to_owned()),
        "(::: [a-z]{0,3}\n)?.{0,80}",
    ];
    (front, body, any::<bool>()).prop_map(|(f, b, close)| {
        if close {
            format!("+++\n{f}+++\n{b}")
        } else {
            format!("+++\n{f}{b}")
        }
    })
}

fn check_envelope(text: &str) {
    if let Ok(e) = Envelope::parse(text.as_bytes()) {
        // What is accepted has http(s) ids.
        assert!(matches!(e.id.scheme(), "http" | "https"));
        assert!(matches!(e.actor.scheme(), "http" | "https"));
    }
}

fn check_signature(text: &str) {
    if let Ok(s) = parse_signature_header(text) {
        assert!(!s.key_id.is_empty() && !s.signature.is_empty() && !s.headers.is_empty());
    }
}

fn check_statement(text: &str) {
    if let Ok(d) = statement::parse(text, &langs()) {
        assert_eq!(
            d.texts[0].lang.as_str(),
            "fr",
            "the primary language comes first"
        );
        for t in &d.texts {
            let html = statement::language_html(t);
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("href=\"javascript:"), "{html}");
        }
    }
}

fn check_resource_and_accept(text: &str) {
    let _ = parse_resource(text);
    if let Ok(v) = HeaderValue::from_str(text) {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, v);
        let _ = wants_activitypub(&h);
    }
}

/// An IPv4 address of this machine or its network: loopback, the three private ranges,
/// shared address space, "this network".
fn private_ipv4() -> impl Strategy<Value = std::net::Ipv4Addr> {
    let ip = |a: u8, b: std::ops::RangeInclusive<u8>| {
        (b, any::<u8>(), any::<u8>()).prop_map(move |(b, c, d)| std::net::Ipv4Addr::new(a, b, c, d))
    };
    prop_oneof![
        ip(127, 0..=255),
        ip(10, 0..=255),
        ip(172, 16..=31),
        ip(192, 168..=168),
        ip(100, 64..=127),
        ip(0, 0..=255),
        ip(169, 254..=254),
    ]
}

/// Every way a URL can write an IPv4 address: dotted, one decimal number, hexadecimal,
/// octal parts, IPv4-mapped, NAT64 and 6to4 IPv6.
fn notations(ip: std::net::Ipv4Addr) -> Vec<String> {
    let [a, b, c, d] = ip.octets();
    let n = u32::from(ip);
    vec![
        format!("{ip}"),
        format!("{n}"),
        format!("0x{n:x}"),
        format!("0{a:o}.0{b:o}.0{c:o}.0{d:o}"),
        format!("0x{a:x}.{b}.{}", u16::from(c) << 8 | u16::from(d)),
        format!("[::ffff:{ip}]"),
        format!("[::ffff:{:x}:{:x}]", n >> 16, n & 0xffff),
        format!("[64:ff9b::{:x}:{:x}]", n >> 16, n & 0xffff),
        format!("[2002:{:x}:{:x}::1]", n >> 16, n & 0xffff),
    ]
}

/// The outgoing-URL check refuses a private address in every notation, over https too, and
/// lets a public one through in every notation.
fn check_outgoing(ip: std::net::Ipv4Addr, public: bool) {
    for host in notations(ip) {
        let url = url::Url::parse(&format!("https://{host}:8443/inbox")).unwrap();
        assert_eq!(
            outgoing::check(&url, false).is_ok(),
            public,
            "{host} ({ip}) as {url}"
        );
    }
}

proptest! {
    #[test]
    fn private_addresses_are_refused_in_every_notation(ip in private_ipv4()) {
        check_outgoing(ip, false);
    }

    #[test]
    fn public_addresses_pass_in_every_notation(a in 1u8..=223, b: u8, c: u8, d: u8) {
        let ip = std::net::Ipv4Addr::new(a, b, c, d);
        let special = ip.is_private() || ip.is_loopback() || ip.is_link_local()
            || (a == 100 && (64..128).contains(&b)) || a == 0 || ip.is_documentation()
            || (a == 198 && (18..20).contains(&b)) || (a == 192 && b == 0 && c == 0);
        prop_assume!(!special);
        check_outgoing(ip, true);
    }

    #[test]
    fn activity_json_never_panics(text in activity_text()) { check_envelope(&text); }

    #[test]
    fn signature_headers_never_panic(text in signature_text()) { check_signature(&text); }

    #[test]
    fn message_signatures_never_panic(pair in message_signature_text()) { check_message_signature(&pair); }

    #[test]
    fn statement_files_never_panic(text in statement_text()) { check_statement(&text); }

    #[test]
    fn resources_and_accept_never_panic(text in ".{0,80}") { check_resource_and_accept(&text); }
}

#[test]
fn a_valid_signature_header_round_trips() {
    let s = parse_signature_header(
        "keyId=\"https://a.example/u#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"AQID\"",
    )
    .unwrap();
    assert_eq!(s.headers, ["(request-target)", "host", "date", "digest"]);
    assert_eq!(s.signature, [1, 2, 3]);
}

/// Run every target on random input for FUZZ_SECONDS (default 10) and print the counts.
#[test]
#[ignore]
fn soak() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let per_target = Duration::from_secs(seconds) / 5;
    let mut report = Vec::new();
    macro_rules! run {
        ($name:expr, $strategy:expr, $check:expr) => {{
            let mut runner = TestRunner::default();
            let strategy = $strategy;
            let start = Instant::now();
            let mut n: u64 = 0;
            while start.elapsed() < per_target {
                let value = strategy.new_tree(&mut runner).unwrap().current();
                $check(&value);
                n += 1;
            }
            report.push(($name, n));
        }};
    }
    run!("activity JSON", activity_text(), check_envelope);
    run!("Signature header", signature_text(), check_signature);
    run!(
        "Signature-Input (RFC 9421)",
        message_signature_text(),
        check_message_signature
    );
    run!("statement files", statement_text(), check_statement);
    run!(
        "WebFinger resource and Accept",
        ".{0,80}",
        check_resource_and_accept
    );
    let total: u64 = report.iter().map(|(_, n)| n).sum();
    for (name, n) in &report {
        println!("{name}: {n} executions, no crash");
    }
    println!("total: {total} executions in {seconds} s");
}
