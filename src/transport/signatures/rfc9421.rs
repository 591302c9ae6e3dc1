//! RFC 9421 HTTP Message Signatures: parse and verify what peers send, sign what we send.
//! `Signature-Input` and `Signature` are structured-field Dictionaries (RFC 9421 §4.1, §4.2),
//! read and written with the `sfv` crate (RFC 8941 and its successor RFC 9651).

use super::*;
use sfv::{
    BareItem, Dictionary, Integer, Item, ItemSerializer, KeyRef, ListEntry, ListSerializer,
    Parameters, Parser, StringRef, key_ref, string_ref,
};

/// A covered component (RFC 9421 §2.1): its name, lowercased, and its parameters as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub params: Parameters,
}

impl Component {
    /// The component identifier that starts its line of the signature base (RFC 9421 §2.5):
    /// the name serialized as a String with its parameters, e.g. `"@query-param";name="q"`.
    pub fn identifier(&self) -> Result<String, SignatureError> {
        let name = StringRef::from_str(&self.name)
            .map_err(|e| SignatureError::Malformed(format!("a component name: {e}")))?;
        Ok(ItemSerializer::new()
            .bare_item(name)
            .parameters(&self.params)
            .finish())
    }

    /// The component is `name`, without parameters.
    fn is(&self, name: &str) -> bool {
        self.params.is_empty() && self.name == name
    }
}

/// An RFC 9421 HTTP Message Signature, as Fedify sends them and Mastodon 4.7+ on a retry
/// (docs/interop.md §2): `Signature-Input: sig1=("@method" "@target-uri"
/// "content-digest");created=…;keyid="…"` and `Signature: sig1=:…:`.
#[derive(Debug, Clone)]
pub struct MessageSignature {
    /// The covered components, in order (`@method`, `@target-uri`, header names…).
    pub components: Vec<Component>,
    /// The inner list and its parameters, serialized (RFC 9421 §2.3): the value of the
    /// `@signature-params` line, which RFC 9421 §3.2 has the verifier serialize anew.
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

const CREATED: &KeyRef = key_ref("created");
const EXPIRES: &KeyRef = key_ref("expires");
const KEYID: &KeyRef = key_ref("keyid");
const ALG: &KeyRef = key_ref("alg");

/// A structured-field Dictionary (RFC 8941 §3.2), or why `field` is not one.
fn dictionary(field: &str, value: &str) -> Result<Dictionary, SignatureError> {
    Parser::new(value).parse().map_err(|e| {
        SignatureError::Malformed(format!("{field} is not a structured-field dictionary: {e}"))
    })
}

/// Parse the first signature of `Signature-Input` that `Signature` carries.
pub fn parse_message_signature(
    input: &str,
    signature: &str,
) -> Result<MessageSignature, SignatureError> {
    let inputs = dictionary("Signature-Input", input)?;
    let signatures = dictionary("Signature", signature)?;
    let (label, entry, signed) = inputs
        .iter()
        .find_map(|(label, entry)| Some((label, entry, signatures.get(label.as_str())?)))
        .ok_or_else(|| malformed("no signature of Signature-Input is in Signature"))?;
    let signature = match signed {
        ListEntry::Item(Item {
            bare_item: BareItem::ByteSequence(bytes),
            ..
        }) => bytes.clone(),
        _ => {
            return Err(SignatureError::Malformed(format!(
                "the signature {label} is not a byte sequence"
            )));
        }
    };
    let ListEntry::InnerList(inner) = entry else {
        return Err(SignatureError::Malformed(format!(
            "Signature-Input {label} is not an inner list"
        )));
    };
    let components = inner
        .items
        .iter()
        .map(|item| match &item.bare_item {
            BareItem::String(name) => Ok(Component {
                name: name.as_str().to_ascii_lowercase(),
                params: item.params.clone(),
            }),
            _ => Err(malformed("a covered component is not a string")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut serializer = ListSerializer::new();
    serializer.members([entry]);
    let params = serializer
        .finish()
        .ok_or_else(|| malformed("the signature parameters cannot be serialized"))?;
    let integer = |key: &KeyRef| match inner.params.get(key) {
        None => Ok(None),
        Some(BareItem::Integer(i)) => Ok(Some(i64::from(*i))),
        Some(_) => Err(SignatureError::Malformed(format!(
            "{key} is not an integer"
        ))),
    };
    let string = |key: &KeyRef| match inner.params.get(key) {
        None => Ok(None),
        Some(BareItem::String(s)) => Ok(Some(s.as_str().to_owned())),
        Some(_) => Err(SignatureError::Malformed(format!("{key} is not a string"))),
    };
    Ok(MessageSignature {
        components,
        params,
        created: integer(CREATED)?.ok_or_else(|| malformed("created is required"))?,
        expires: integer(EXPIRES)?,
        key_id: string(KEYID)?
            .filter(|k| !k.is_empty())
            .ok_or_else(|| malformed("keyid is required"))?,
        alg: string(ALG)?,
        signature,
    })
}

/// The value of `@query-param` (RFC 9421 §2.2.8): the one query parameter whose name, decoded
/// as `application/x-www-form-urlencoded` and percent-encoded again, is `name`; its value
/// decoded and percent-encoded the same way.
fn query_param(query: Option<&str>, name: &str) -> Result<String, SignatureError> {
    // Everything but ASCII alphanumerics and `*-._` is percent-encoded, a space as `%20`
    // (RFC 9421 §2.2.8's example), where form serialization alone would give `+`.
    let encode = |s: &str| {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    let mut values = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(n, _)| encode(n) == name)
        .map(|(_, v)| encode(&v));
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(SignatureError::HeaderMissing(format!(
            "\"@query-param\";name=\"{name}\""
        ))),
        // RFC 9421 §2.2.8: a parameter that occurs more than once cannot be signed by name.
        (Some(_), Some(_)) => Err(SignatureError::Malformed(format!(
            "the signed query parameter {name} occurs more than once"
        ))),
    }
}

impl MessageSignature {
    /// The signature base of RFC 9421 §2.5. `target_uri` is the full URI as the sender used
    /// it (scheme and host from our public URL).
    pub fn base(&self, req: &RequestParts<'_>, target_uri: &str) -> Result<String, SignatureError> {
        let mut lines = Vec::with_capacity(self.components.len() + 1);
        let mut seen = std::collections::HashSet::new();
        for c in &self.components {
            let identifier = c.identifier()?;
            // RFC 9421 §2.5: a component identifier listed twice is an error.
            if !seen.insert(identifier.clone()) {
                return Err(malformed("a component is covered twice"));
            }
            let value = component_value(c, req, target_uri)?;
            lines.push(format!("{identifier}: {value}"));
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
        let covers = |c: &str| self.components.iter().any(|x| x.is(c));
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

/// What our signatures cover, and their algorithm (docs/interop.md §2).
const COVERED: [&StringRef; 3] = [
    string_ref("@method"),
    string_ref("@target-uri"),
    string_ref("content-digest"),
];
const RSA_V1_5_SHA256: &StringRef = string_ref("rsa-v1_5-sha256");

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
        let created = Integer::try_from(created).map_err(|_| SignatureError::BadDate)?;
        let key_id = StringRef::from_str(&self.key_id)
            .map_err(|e| SignatureError::BadKey(format!("the key id: {e}")))?;
        let mut serializer = ListSerializer::new();
        let mut inner = serializer.inner_list();
        for c in COVERED {
            inner.bare_item(c);
        }
        let _ = inner
            .finish()
            .parameter(CREATED, created)
            .parameter(KEYID, key_id)
            .parameter(ALG, RSA_V1_5_SHA256);
        let params = serializer
            .finish()
            .ok_or_else(|| malformed("the signature parameters cannot be serialized"))?;
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

/// The value of one covered component in `req` (RFC 9421 §2.1, §2.2).
fn component_value(
    c: &Component,
    req: &RequestParts<'_>,
    target_uri: &str,
) -> Result<String, SignatureError> {
    let name = c.name.as_str();
    // `sf`, `key`, `bs` (RFC 9421 §2.1.1 to §2.1.3), `req` (§2.4) and `tr` (§2.1.4) change
    // the value; one that is not computed would give a wrong base, so it is refused.
    let unsupported = |key: &sfv::Key| {
        SignatureError::Malformed(format!("unsupported component parameter {key} on {name}"))
    };
    if name == "@query-param" {
        let mut wanted = None;
        for (key, value) in &c.params {
            match (key.as_str(), value) {
                ("name", BareItem::String(s)) => wanted = Some(s.as_str()),
                ("name", _) => return Err(malformed("the name of @query-param is not a string")),
                _ => return Err(unsupported(key)),
            }
        }
        let wanted = wanted.ok_or_else(|| malformed("@query-param has no name parameter"))?;
        return query_param(req.query, wanted);
    }
    if let Some(key) = c.params.keys().next() {
        return Err(unsupported(key));
    }
    Ok(match name {
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
    })
}
