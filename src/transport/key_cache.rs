//! Remote public keys, parsed once.

use super::signatures::{PublicKey, SignatureError};

/// Parsed public keys by key id, so that a PEM is parsed once, not on every request.
#[derive(Clone)]
pub struct KeyCache(moka::sync::Cache<String, (String, PublicKey)>);

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("entries", &self.0.entry_count())
            .finish()
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache(moka::sync::Cache::new(50_000))
    }
}

impl KeyCache {
    pub fn get_or_parse(&self, key_id: &str, pem: &str) -> Result<PublicKey, SignatureError> {
        if let Some((cached_pem, key)) = self.0.get(key_id)
            && cached_pem == pem
        {
            return Ok(key);
        }
        let key = PublicKey::from_pem(pem)?;
        self.0
            .insert(key_id.to_owned(), (pem.to_owned(), key.clone()));
        Ok(key)
    }
}
