//! draft-cavage HTTP signatures with `Digest`: parse, check the window and coverage, verify.

use super::*;

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub key_id: String,
    pub algorithm: Option<String>,
    /// Lower-cased, in the order they were signed; `["date"]` when the header says nothing.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

/// Parse `keyId="…",algorithm="…",headers="…",signature="…"`, quoted or not, in any order.
pub fn parse_signature_header(value: &str) -> Result<SignatureHeader, SignatureError> {
    let malformed = |s: &str| SignatureError::Malformed(s.to_owned());
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| malformed("a parameter has no value"))?;
        let name = name
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (param, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| malformed("an unterminated quoted value"))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        let remainder = remainder.trim_start();
        rest = remainder
            .strip_prefix(',')
            .unwrap_or(remainder)
            .trim_start();
        if !remainder.is_empty() && !remainder.starts_with(',') {
            return Err(malformed("parameters must be separated by commas"));
        }
        match name.as_str() {
            "keyid" => key_id = Some(param.to_owned()),
            "algorithm" => algorithm = Some(param.to_ascii_lowercase()),
            "headers" => {
                headers = Some(
                    param
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect::<Vec<_>>(),
                )
            }
            "signature" => {
                signature = Some(
                    BASE64
                        .decode(param.trim())
                        .map_err(|_| malformed("the signature is not base64"))?,
                )
            }
            "created" => created = Some(param.parse().map_err(|_| malformed("bad created"))?),
            "expires" => {
                expires = Some(
                    param
                        .split('.')
                        .next()
                        .unwrap_or_default()
                        .parse()
                        .map_err(|_| malformed("bad expires"))?,
                )
            }
            _ => {}
        }
    }
    let key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or_else(|| malformed("no keyId"))?;
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("no signature"))?;
    let headers = headers
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| vec!["date".to_owned()]);
    Ok(SignatureHeader {
        key_id,
        algorithm,
        headers,
        signature,
        created,
        expires,
    })
}

/// The signing string for `sig` over `req`, with or without the query in
/// `(request-target)`.
fn signing_string(
    sig: &SignatureHeader,
    req: &RequestParts<'_>,
    with_query: bool,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(sig.headers.len());
    for name in &sig.headers {
        let line = match name.as_str() {
            "(request-target)" => {
                let target = match (with_query, req.query) {
                    (true, Some(q)) => format!("{}?{q}", req.path),
                    _ => req.path.to_owned(),
                };
                format!(
                    "(request-target): {} {target}",
                    req.method.to_ascii_lowercase()
                )
            }
            "(created)" => format!(
                "(created): {}",
                sig.created
                    .ok_or(SignatureError::HeaderMissing("(created)".into()))?
            ),
            "(expires)" => format!(
                "(expires): {}",
                sig.expires
                    .ok_or(SignatureError::HeaderMissing("(expires)".into()))?
            ),
            header => {
                let values: Vec<&str> = req
                    .headers
                    .get_all(header)
                    .iter()
                    .map(|v| v.to_str().map(str::trim))
                    .collect::<Result<_, _>>()
                    .map_err(|_| SignatureError::HeaderMissing(header.to_owned()))?;
                if values.is_empty() {
                    return Err(SignatureError::HeaderMissing(header.to_owned()));
                }
                format!("{header}: {}", values.join(", "))
            }
        };
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// How long a signature stays good: Mastodon takes `created` + 5 minutes, with an hour of
/// leeway either way, so about 65 minutes in the past and an hour in the future.
pub const MAX_AGE: Duration = Duration::from_secs(65 * 60);
pub const MAX_FUTURE: Duration = Duration::from_secs(60 * 60);

/// Check everything that does not need the key: the algorithm, what is covered, the date
/// window and, for requests with a body, the digest.
pub fn check_request(
    sig: &SignatureHeader,
    req: &RequestParts<'_>,
    body: Option<&[u8]>,
    now: SystemTime,
) -> Result<(), SignatureError> {
    match sig.algorithm.as_deref() {
        None | Some("rsa-sha256") | Some("hs2019") => {}
        Some(other) => return Err(SignatureError::Algorithm(other.to_owned())),
    }
    let covers = |h: &str| sig.headers.iter().any(|x| x == h);
    if !covers("(request-target)") {
        return Err(SignatureError::NotCovered("(request-target)"));
    }
    // Without `host`, a request signed for another server would verify here too; Mastodon,
    // GoToSocial, Misskey and Pleroma all sign it (docs/interop.md §2).
    if !covers("host") {
        return Err(SignatureError::NotCovered("host"));
    }
    let signed_at = if covers("(created)") {
        let created = sig.created.ok_or(SignatureError::BadDate)?;
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(created).map_err(|_| SignatureError::BadDate)?)
    } else if covers("date") {
        let date = req
            .headers
            .get(axum::http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .ok_or(SignatureError::BadDate)?;
        httpdate::parse_http_date(date).map_err(|_| SignatureError::BadDate)?
    } else {
        return Err(SignatureError::NotCovered("date"));
    };
    if signed_at + MAX_AGE < now || signed_at > now + MAX_FUTURE {
        return Err(SignatureError::Expired);
    }
    if let Some(body) = body {
        // Mastodon requires `digest` to be signed on every POST (since 3.2.1).
        if !covers("digest") {
            return Err(SignatureError::NotCovered("digest"));
        }
        let header = req
            .headers
            .get_all("digest")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(|d| {
                let (alg, value) = d.trim().split_once('=')?;
                alg.eq_ignore_ascii_case("sha-256")
                    .then(|| value.trim().to_owned())
            })
            .ok_or(SignatureError::DigestMissing)?;
        if header != digest_value(body) {
            return Err(SignatureError::DigestMismatch);
        }
    }
    Ok(())
}

/// The base64 SHA-256 of a body, as it goes after `SHA-256=`.
pub fn digest_value(body: &[u8]) -> String {
    BASE64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body))
}

/// Verify the signature itself. `(request-target)` is tried with the query, then without, as
/// Mastodon does.
pub fn verify_signature(
    sig: &SignatureHeader,
    req: &RequestParts<'_>,
    key: &PublicKey,
) -> Result<(), SignatureError> {
    let with_query = signing_string(sig, req, true)?;
    if key.verify(with_query.as_bytes(), &sig.signature) {
        return Ok(());
    }
    if req.query.is_some() {
        let without = signing_string(sig, req, false)?;
        if key.verify(without.as_bytes(), &sig.signature) {
            return Ok(());
        }
    }
    Err(SignatureError::Invalid)
}
