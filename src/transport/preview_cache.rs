//! Link-preview images as rendered (`/statements/{slug}/preview.png`), by statement, version,
//! language and signature count: a new image is made only when one of them changes.

use axum::body::Bytes;

/// Images kept at most (about 50 KB each).
const CAPACITY: u64 = 64;

/// What an image shows, as far as it changes: the text (by version and language) and the
/// count. The coalition's name is the same for every entry of a process.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreviewKey {
    pub slug: String,
    pub version: i32,
    pub lang: String,
    pub count: u64,
}

#[derive(Clone)]
pub struct PreviewCache(moka::sync::Cache<PreviewKey, Bytes>);

impl std::fmt::Debug for PreviewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewCache")
            .field("entries", &self.0.entry_count())
            .finish()
    }
}

impl Default for PreviewCache {
    fn default() -> Self {
        PreviewCache(moka::sync::Cache::new(CAPACITY))
    }
}

impl PreviewCache {
    pub fn get(&self, key: &PreviewKey) -> Option<Bytes> {
        self.0.get(key)
    }

    pub fn insert(&self, key: PreviewKey, png: Bytes) {
        self.0.insert(key, png);
    }
}
