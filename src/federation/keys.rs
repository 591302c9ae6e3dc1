//! The coalition's RSA key pair.

use rsa::{
    RsaPrivateKey,
    pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding},
};

/// A PEM pair: SPKI public key (as actors publish it) and PKCS#8 private key.
pub struct KeyPairPem {
    pub public_key_pem: String,
    pub private_key_pem: String,
}

/// Generate an RSA-2048 key pair, the size every fediverse server accepts. This takes
/// tens of milliseconds to seconds of CPU: call it off the async workers.
pub fn generate_rsa_2048() -> Result<KeyPairPem, rsa::Error> {
    let mut rng = rand::rngs::OsRng;
    let private = RsaPrivateKey::new(&mut rng, 2048)?;
    let private_key_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(rsa::Error::Pkcs8)?
        .to_string();
    let public_key_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| rsa::Error::Pkcs8(rsa::pkcs8::Error::PublicKey(e)))?;
    Ok(KeyPairPem {
        public_key_pem,
        private_key_pem,
    })
}

#[cfg(test)]
mod tests {
    use rsa::{RsaPublicKey, pkcs8::DecodePublicKey, traits::PublicKeyParts};

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
    }
}
