//! Keys: a remote actor's public key (RSA or Ed25519), and our signing key.

use super::*;

/// A remote public key, parsed once: RSA (from an SPKI PEM) or Ed25519 (from an FEP-521a
/// `publicKeyMultibase`).
#[derive(Debug, Clone)]
pub struct PublicKey {
    /// PKCS#1 `RSAPublicKey` DER, or the 32 bytes of an Ed25519 key.
    der: Arc<[u8]>,
    ed25519: bool,
}

impl PublicKey {
    /// From the SPKI PEM actors publish (`publicKeyPem`); PKCS#1 PEM is accepted too.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let key = RsaPublicKey::from_public_key_pem(pem.trim())
            .or_else(|_| {
                use rsa::pkcs1::DecodeRsaPublicKey;
                RsaPublicKey::from_pkcs1_pem(pem.trim())
            })
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        Ok(PublicKey {
            der: der.as_bytes().into(),
            ed25519: false,
        })
    }

    /// From a multibase (`z`, base58btc) Ed25519 multikey: the 0xed01 prefix, 32 bytes.
    pub fn from_multibase(multibase: &str) -> Result<Self, SignatureError> {
        let bad = || SignatureError::BadKey("not a base58btc Ed25519 multikey".into());
        let encoded = multibase.strip_prefix('z').ok_or_else(bad)?;
        let bytes = bs58::decode(encoded).into_vec().map_err(|_| bad())?;
        match bytes.as_slice() {
            [0xed, 0x01, key @ ..] if key.len() == 32 => Ok(PublicKey {
                der: key.into(),
                ed25519: true,
            }),
            _ => Err(bad()),
        }
    }

    pub fn is_ed25519(&self) -> bool {
        self.ed25519
    }

    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = if self.ed25519 {
            &aws_lc_rs::signature::ED25519
        } else {
            &RSA_PKCS1_2048_8192_SHA256
        };
        UnparsedPublicKey::new(alg, &self.der[..])
            .verify(message, signature)
            .is_ok()
    }
}

/// Our signing key: parsed once at start-up.
pub struct Signer {
    pub(super) key_id: String,
    key_pair: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// The headers of a signed POST, in the order they are sent.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    pub host: String,
    pub date: String,
    pub digest: String,
    pub content_type: &'static str,
    pub signature: String,
}

impl Signer {
    /// From the PKCS#8 PEM stored in the database.
    pub fn from_pkcs8_pem(key_id: String, pem: &str) -> Result<Self, SignatureError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        let key_pair = RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        Ok(Signer {
            key_id,
            key_pair,
            rng: SystemRandom::new(),
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub(super) fn sign(&self, message: &[u8]) -> Result<String, SignatureError> {
        let mut out = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut out)
            .map_err(|_| SignatureError::Invalid)?;
        Ok(BASE64.encode(out))
    }

    /// Sign a POST of `body` to `url` at `now`: `(request-target) host date digest
    /// content-type`, with a base64 `SHA-256=` digest, as Mastodon expects. This costs about a
    /// millisecond of CPU: call it off the async workers.
    pub fn sign_post(
        &self,
        url: &Url,
        body: &[u8],
        now: SystemTime,
    ) -> Result<SignedHeaders, SignatureError> {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(SignatureError::HeaderMissing("host".into())),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let date = httpdate::fmt_http_date(now);
        let digest = format!("SHA-256={}", digest_value(body));
        let content_type = crate::protocol::ACTIVITY_JSON;
        let message = format!(
            "(request-target): post {target}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {content_type}"
        );
        let signature = format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
            self.key_id,
            self.sign(message.as_bytes())?
        );
        Ok(SignedHeaders {
            host,
            date,
            digest,
            content_type,
            signature,
        })
    }
}
