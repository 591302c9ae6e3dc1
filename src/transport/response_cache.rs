//! The store behind `http::cache`: rendered responses by variant, each stamped with the
//! `Wakeup` generation it was made at, bounded in bytes and in age.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
};

const TTL: Duration = Duration::from_secs(2);
/// Bytes of bodies kept at most.
const CAPACITY_BYTES: u64 = 16 * 1024 * 1024;

/// One rendered response.
#[derive(Clone)]
pub struct Entry {
    pub generation: u64,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone)]
pub struct ResponseCache(moka::sync::Cache<String, Arc<Entry>>);

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.0.entry_count())
            .finish()
    }
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache(
            moka::sync::Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|k: &String, e: &Arc<Entry>| {
                    u32::try_from(k.len() + e.body.len() + 512).unwrap_or(u32::MAX)
                })
                .time_to_live(TTL)
                .build(),
        )
    }
}

impl ResponseCache {
    /// The entry for `key`, if it was made at `generation`.
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<Entry>> {
        self.0.get(key).filter(|e| e.generation == generation)
    }

    pub fn insert(&self, key: String, entry: Entry) {
        self.0.insert(key, Arc::new(entry));
    }
}
