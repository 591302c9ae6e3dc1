//! The store behind `http::cache`: rendered responses by variant and `Wakeup` generation,
//! bounded in bytes and in age. A response missing is rendered once however many requests
//! ask for it at the same time: the others wait for that one (BENCHMARKS.md, B5).

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
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone)]
pub struct ResponseCache(moka::future::Cache<String, Arc<Entry>>);

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
            moka::future::Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|k: &String, e: &Arc<Entry>| {
                    u32::try_from(k.len() + e.body.len() + 512).unwrap_or(u32::MAX)
                })
                .time_to_live(TTL)
                .build(),
        )
    }
}

/// What an entry is kept under: the `Wakeup` generation it was made at, and the request's
/// variant (`http::cache` says what that is). An entry made before a change is not found.
#[derive(Debug)]
pub struct Key(String);

impl Key {
    pub fn new(generation: u64, variant: std::fmt::Arguments<'_>) -> Key {
        Key(format!("{generation}\n{variant}"))
    }
}

/// The response was not one to keep (not a 200, too large, or its body unreadable): the
/// caller that rendered it has it.
#[derive(Debug)]
pub struct NotKept;

impl ResponseCache {
    /// The entry for `key`, if one is kept.
    pub async fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        self.0.get(key.0.as_str()).await
    }

    /// The entry for `key`; else the one `render` makes, kept. Of the callers asking for
    /// one missing entry at the same time, one renders and the others wait for its result:
    /// when a hot document expires or a change invalidates it, the requests in flight do not
    /// all render it again (several queries and a template each). If that render keeps
    /// nothing (`NotKept`), every caller that waited on it gets `NotKept` too, without its
    /// own `render` having run. If the caller rendering is dropped midway (its client hung
    /// up), one of those waiting runs its own `render` instead.
    pub async fn get_or_render(
        &self,
        key: Key,
        render: impl std::future::Future<Output = Result<Entry, NotKept>>,
    ) -> Result<Arc<Entry>, NotKept> {
        self.0
            .try_get_with_by_ref(key.0.as_str(), async { render.await.map(Arc::new) })
            .await
            .map_err(|_| NotKept)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn page(text: &'static str) -> Entry {
        Entry {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(text.as_bytes()),
        }
    }

    #[tokio::test]
    async fn a_missing_entry_is_rendered_once_for_callers_at_the_same_time() {
        let cache = ResponseCache::default();
        let renders = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..20)
            .map(|_| {
                let (cache, renders) = (cache.clone(), renders.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_render(Key::new(7, format_args!("/statements/s")), async {
                            renders.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(page("rendered"))
                        })
                        .await
                        .map(|e| e.body.clone())
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap(), "rendered");
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);

        // Kept: a later caller at the same generation does not render; at the next
        // generation (a change), it does.
        let again = cache
            .get_or_render(Key::new(7, format_args!("/statements/s")), async {
                Ok(page("again"))
            })
            .await
            .unwrap();
        assert_eq!(again.body, "rendered");
        let changed = cache
            .get_or_render(Key::new(8, format_args!("/statements/s")), async {
                Ok(page("changed"))
            })
            .await
            .unwrap();
        assert_eq!(changed.body, "changed");
    }

    #[tokio::test]
    async fn what_is_not_kept_is_rendered_again_next_time() {
        let cache = ResponseCache::default();
        let renders = Arc::new(AtomicUsize::new(0));
        let render = |renders: Arc<AtomicUsize>| async move {
            renders.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(NotKept)
        };
        // Callers at the same time: one renders, the others get its `NotKept` (and then
        // answer their requests on their own: `http::cache`).
        let callers: Vec<_> = (0..10)
            .map(|_| {
                let (cache, render) = (cache.clone(), render(renders.clone()));
                tokio::spawn(async move {
                    cache
                        .get_or_render(Key::new(1, format_args!("/statements/missing")), render)
                        .await
                        .is_err()
                })
            })
            .collect();
        for caller in callers {
            assert!(caller.await.unwrap());
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        // Nothing was kept: each later caller renders.
        for _ in 0..3 {
            let got = cache
                .get_or_render(
                    Key::new(1, format_args!("/statements/missing")),
                    render(renders.clone()),
                )
                .await;
            assert!(got.is_err());
        }
        assert_eq!(renders.load(Ordering::SeqCst), 4);
    }
}
