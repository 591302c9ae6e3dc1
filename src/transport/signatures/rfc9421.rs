//! RFC 9421 HTTP Message Signatures: parse and verify what peers send, sign what we send.

use super::*;

/// An RFC 9421 HTTP Message Signature, as Fedify sends them and Mastodon 4.7+ on a retry
/// (docs/interop.md §2): `Signature-Input: sig1=("@method" "@target-uri"
/// "content-digest");created=…;keyid="…"` and `Signature: sig1=:…:`.
#[derive(Debug, Clone)]
pub struct MessageSignature {
    /// The covered components, in order (`@method`, `@target-uri`, header names…).
    pub components: Vec<String>,
    /// The inner list and its parameters exactly as sent: the `@signature-params` value.
    pub params: String,
    pub created: i64,
    pub expires: Option<i64>,
    pub key_id: String,
    pub alg: Option<String>,
    pub signature: Vec<u8>,
}

fn malformed(s: &str) -> SignatureError {
    SignatureError::Malformed(s.to_owned())
}

/// Parse the first signature of `Signature-Input` that `Signature` carries.
pub fn parse_message_signature(
    input: &str,
    signature: &str,
) -> Result<MessageSignature, SignatureError> {
    // Dictionary members are `label=value`, separated by commas outside quotes and parens.
    let members = split_members(input);
    for member in members {
        let Some((label, value)) = member.split_once('=') else {
            continue;
        };
        let label = label.trim();
        let value = value.trim();
        let Some(sig_b64) = split_members(signature).into_iter().find_map(|m| {
            let (l, v) = m.split_once('=')?;
            (l.trim() == label).then(|| v.trim().to_owned())
        }) else {
            continue;
        };
        let sig_b64 = sig_b64
            .strip_prefix(':')
            .and_then(|s| s.strip_suffix(':'))
            .ok_or_else(|| malformed("the signature is not a byte sequence"))?;
        let signature = BASE64
            .decode(sig_b64)
            .map_err(|_| malformed("the signature is not base64"))?;
        let inner = value
            .strip_prefix('(')
            .ok_or_else(|| malformed("Signature-Input must be an inner list"))?;
        let close = inner
            .find(')')
            .ok_or_else(|| malformed("an unterminated inner list"))?;
        let mut components = Vec::new();
        for item in inner[..close].split_whitespace() {
            let name = item
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .ok_or_else(|| {
                    malformed(
                        "a component that is not a plain string (parameters are not supported)",
                    )
                })?;
            components.push(name.to_ascii_lowercase());
        }
        let mut created = None;
        let mut expires = None;
        let mut key_id = None;
        let mut alg = None;
        for param in inner[close + 1..]
            .split(';')
            .filter(|p| !p.trim().is_empty())
        {
            let (k, v) = param
                .split_once('=')
                .ok_or_else(|| malformed("a parameter without a value"))?;
            let unquoted = v.trim().trim_matches('"').to_owned();
            match k.trim() {
                "created" => {
                    created = Some(unquoted.parse().map_err(|_| malformed("bad created"))?)
                }
                "expires" => {
                    expires = Some(unquoted.parse().map_err(|_| malformed("bad expires"))?)
                }
                "keyid" => key_id = Some(unquoted),
                "alg" => alg = Some(unquoted),
                _ => {}
            }
        }
        return Ok(MessageSignature {
            components,
            params: value.to_owned(),
            created: created.ok_or_else(|| malformed("created is required"))?,
            expires,
            key_id: key_id
                .filter(|k| !k.is_empty())
                .ok_or_else(|| malformed("keyid is required"))?,
            alg,
            signature,
        });
    }
    Err(malformed("no signature of Signature-Input is in Signature"))
}

/// Split a structured-field dictionary on top-level commas.
fn split_members(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.into_iter().filter(|m| !m.is_empty()).collect()
}

impl MessageSignature {
    /// The signature base of RFC 9421 §2.5. `target_uri` is the full URI as the sender used
    /// it (scheme and host from our public URL).
    pub fn base(&self, req: &RequestParts<'_>, target_uri: &str) -> Result<String, SignatureError> {
        let mut lines = Vec::with_capacity(self.components.len() + 1);
        for c in &self.components {
            let value = match c.as_str() {
                "@method" => req.method.to_ascii_uppercase(),
                "@target-uri" => target_uri.to_owned(),
                "@authority" => req
                    .headers
                    .get("host")
                    .and_then(|v| v.to_str().ok())
                    .ok_or(SignatureError::HeaderMissing("host".into()))?
                    .to_ascii_lowercase(),
                "@path" => req.path.to_owned(),
                "@query" => format!("?{}", req.query.unwrap_or_default()),
                "@request-target" => match req.query {
                    Some(q) => format!("{}?{q}", req.path),
                    None => req.path.to_owned(),
                },
                name if name.starts_with('@') => {
                    return Err(SignatureError::Malformed(format!(
                        "unsupported component {name}"
                    )));
                }
                name => {
                    let values: Vec<&str> = req
                        .headers
                        .get_all(name)
                        .iter()
                        .map(|v| v.to_str().map(str::trim))
                        .collect::<Result<_, _>>()
                        .map_err(|_| SignatureError::HeaderMissing(name.to_owned()))?;
                    if values.is_empty() {
                        return Err(SignatureError::HeaderMissing(name.to_owned()));
                    }
                    values.join(", ")
                }
            };
            lines.push(format!("\"{c}\": {value}"));
        }
        lines.push(format!("\"@signature-params\": {}", self.params));
        Ok(lines.join("\n"))
    }

    /// Everything but the cryptography: what is covered, the time window, the digest.
    pub fn check(
        &self,
        body: Option<&[u8]>,
        req: &RequestParts<'_>,
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        match self.alg.as_deref() {
            None | Some("rsa-v1_5-sha256") | Some("ed25519") => {}
            Some(other) => return Err(SignatureError::Algorithm(other.to_owned())),
        }
        let covers = |c: &str| self.components.iter().any(|x| x == c);
        if !covers("@method") {
            return Err(SignatureError::NotCovered("@method"));
        }
        if !covers("@target-uri")
            && !(covers("@authority") && (covers("@path") || covers("@request-target")))
        {
            return Err(SignatureError::NotCovered("@target-uri"));
        }
        let created = SystemTime::UNIX_EPOCH
            + Duration::from_secs(
                u64::try_from(self.created).map_err(|_| SignatureError::BadDate)?,
            );
        if created + MAX_AGE < now || created > now + MAX_FUTURE {
            return Err(SignatureError::Expired);
        }
        if let Some(expires) = self.expires {
            let expires =
                SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(expires).unwrap_or(0));
            if expires < now {
                return Err(SignatureError::Expired);
            }
        }
        if let Some(body) = body {
            if !covers("content-digest") {
                return Err(SignatureError::NotCovered("content-digest"));
            }
            let wanted = digest_value(body);
            let matches = req
                .headers
                .get_all("content-digest")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|d| d.trim().split_once('='))
                .any(|(alg, v)| {
                    alg.trim().eq_ignore_ascii_case("sha-256")
                        && v.trim().trim_matches(':') == wanted
                });
            if !matches {
                return Err(SignatureError::DigestMismatch);
            }
        }
        Ok(())
    }

    pub fn verify(&self, base: &str, key: &PublicKey) -> Result<(), SignatureError> {
        // The algorithm named must be the key's.
        let named_ed25519 = self.alg.as_deref() == Some("ed25519");
        if self.alg.is_some() && named_ed25519 != key.is_ed25519() {
            return Err(SignatureError::Algorithm(
                "the algorithm does not match the key".into(),
            ));
        }
        if key.verify(base.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

/// The headers of a POST signed with an RFC 9421 message signature.
#[derive(Debug, Clone)]
pub struct MessageSignedHeaders {
    pub content_digest: String,
    pub signature_input: String,
    pub signature: String,
    pub content_type: &'static str,
}

impl Signer {
    /// Sign a POST as Mastodon 4.7+ does with RFC 9421: `("@method" "@target-uri"
    /// "content-digest")`, `created`, `keyid`, and `alg` rsa-v1_5-sha256.
    pub fn sign_post_rfc9421(
        &self,
        url: &Url,
        body: &[u8],
        now: SystemTime,
    ) -> Result<MessageSignedHeaders, SignatureError> {
        let created = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| SignatureError::BadDate)?
            .as_secs();
        let content_digest = format!("sha-256=:{}:", digest_value(body));
        let params = format!(
            "(\"@method\" \"@target-uri\" \"content-digest\");created={created};keyid=\"{}\";alg=\"rsa-v1_5-sha256\"",
            self.key_id
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": {url}\n\"content-digest\": {content_digest}\n\"@signature-params\": {params}"
        );
        Ok(MessageSignedHeaders {
            content_digest,
            signature_input: format!("sig1={params}"),
            signature: format!("sig1=:{}:", self.sign(base.as_bytes())?),
            content_type: crate::protocol::ACTIVITY_JSON,
        })
    }
}
