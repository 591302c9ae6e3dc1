//! The coalition's RSA key pair, and the making of its Ed25519 key.

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair, KeySize},
    signature::KeyPair as _,
};
use rsa::pkcs8::{LineEnding, der::pem};

/// A PEM pair: SPKI public key (as actors publish it) and PKCS#8 private key.
pub struct KeyPairPem {
    pub public_key_pem: String,
    pub private_key_pem: String,
}

/// Why a key pair could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyGenError {
    #[error("the RSA key pair could not be generated or encoded")]
    Generate,
    #[error("the RSA key pair could not be written as PEM: {0}")]
    Pem(String),
}

impl From<pem::Error> for KeyGenError {
    fn from(e: pem::Error) -> Self {
        KeyGenError::Pem(e.to_string())
    }
}

impl From<aws_lc_rs::error::Unspecified> for KeyGenError {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        KeyGenError::Generate
    }
}

/// Generate an RSA-2048 key pair, the size every fediverse server accepts, with the same
/// library that signs (AWS-LC): about a quarter of a second of CPU, varying with the search
/// for primes, so call it off the async workers.
pub fn generate_rsa_2048() -> Result<KeyPairPem, KeyGenError> {
    let pair = KeyPair::generate(KeySize::Rsa2048)?;
    let private = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)?;
    let public = pair.public_key().as_der()?;
    Ok(KeyPairPem {
        public_key_pem: pem::encode_string("PUBLIC KEY", LineEnding::LF, public.as_ref())?,
        private_key_pem: pem::encode_string("PRIVATE KEY", LineEnding::LF, private.as_ref())?,
    })
}

/// A new Ed25519 key pair, PKCS#8 in PEM: the key that signs the ledgers' heads
/// (docs/ledger.md), made at first start beside the RSA pair.
pub fn generate_ed25519_pem() -> Result<String, ring::error::Unspecified> {
    let rng = ring::rand::SystemRandom::new();
    let der = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)?;
    Ok(crate::domain::ledger_head::pkcs8_pem(der.as_ref()))
}

/// The coalition's key pair as the running server uses it: replaced in place when
/// `tribune keys rotate` stores a new one, so that signatures and the actor document change
/// together without a restart.
pub struct Keyring {
    key_id: String,
    inner: std::sync::RwLock<(String, std::sync::Arc<super::signatures::Signer>)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    pub fn new(
        key_id: String,
        public_key_pem: &str,
        private_key_pem: &str,
    ) -> Result<Self, super::signatures::SignatureError> {
        let signer = super::signatures::Signer::from_pkcs8_pem(key_id.clone(), private_key_pem)?;
        Ok(Keyring {
            key_id,
            inner: std::sync::RwLock::new((public_key_pem.to_owned(), std::sync::Arc::new(signer))),
        })
    }

    pub fn public_key_pem(&self) -> String {
        self.inner.read().map(|g| g.0.clone()).unwrap_or_default()
    }

    pub fn signer(&self) -> std::sync::Arc<super::signatures::Signer> {
        match self.inner.read() {
            Ok(g) => g.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// Take the stored pair if it differs from the one in use; true when it changed.
    pub fn replace(
        &self,
        public_key_pem: &str,
        private_key_pem: &str,
    ) -> Result<bool, super::signatures::SignatureError> {
        if self.public_key_pem() == public_key_pem {
            return Ok(false);
        }
        let signer =
            super::signatures::Signer::from_pkcs8_pem(self.key_id.clone(), private_key_pem)?;
        let mut g = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *g = (public_key_pem.to_owned(), std::sync::Arc::new(signer));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use rsa::{
        RsaPrivateKey, RsaPublicKey,
        pkcs8::{DecodePrivateKey, DecodePublicKey},
        traits::PublicKeyParts,
    };

    #[test]
    fn generates_a_2048_bit_pem_pair() {
        let pair = super::generate_rsa_2048().unwrap();
        assert!(
            pair.public_key_pem
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        assert!(
            pair.private_key_pem
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        let public = RsaPublicKey::from_public_key_pem(&pair.public_key_pem).unwrap();
        assert_eq!(public.size() * 8, 2048);
        // The private key, read as the rsa crate reads PKCS#8, is the published key's half.
        let private = RsaPrivateKey::from_pkcs8_pem(&pair.private_key_pem).unwrap();
        assert_eq!(private.to_public_key(), public);
    }
}
