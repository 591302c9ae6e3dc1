//! Collections on the wire: ordered collections and their pages, and how the coalition's
//! outbox, followers, following and featured are built from them.
//!
//! Large collections are paged (`first` → `?page=1`); `featured` also carries its items inline,
//! because Mastodon reads only its first page and accepts inline items
//! (`fetch_featured_collection_service.rb`, docs/interop.md §5).

use super::AS_CONTEXT;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub total_items: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// Inline items, for small collections read in one request (`featured`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub part_of: String,
    pub total_items: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub ordered_items: Vec<Value>,
}

/// Items per page.
pub const PAGE_SIZE: u64 = 50;

/// The top of a paged collection.
pub fn paged_collection(id: &str, total_items: u64) -> OrderedCollection {
    let last_page = total_items.div_ceil(PAGE_SIZE).max(1);
    OrderedCollection {
        context: Value::String(AS_CONTEXT.into()),
        id: id.to_owned(),
        kind: "OrderedCollection".into(),
        total_items,
        first: Some(format!("{id}?page=1")),
        last: Some(format!("{id}?page={last_page}")),
        ordered_items: None,
    }
}

/// A small collection whose items are all inline.
pub fn inline_collection(id: &str, items: Vec<Value>) -> OrderedCollection {
    OrderedCollection {
        context: Value::String(AS_CONTEXT.into()),
        id: id.to_owned(),
        kind: "OrderedCollection".into(),
        total_items: items.len() as u64,
        first: None,
        last: None,
        ordered_items: Some(items),
    }
}

/// Page `page` (from 1) of a collection of `total_items`; `items` are that page's items.
pub fn collection_page(
    id: &str,
    page: u64,
    total_items: u64,
    items: Vec<Value>,
) -> OrderedCollectionPage {
    let last_page = total_items.div_ceil(PAGE_SIZE).max(1);
    OrderedCollectionPage {
        context: Value::String(AS_CONTEXT.into()),
        id: format!("{id}?page={page}"),
        kind: "OrderedCollectionPage".into(),
        part_of: id.to_owned(),
        total_items,
        prev: (page > 1).then(|| format!("{id}?page={}", page - 1)),
        next: (page < last_page).then(|| format!("{id}?page={}", page + 1)),
        ordered_items: items,
    }
}

/// A collection known by its size only: a statement's `shares` and `likes`.
pub fn counted_collection(id: &str, total_items: u64) -> Value {
    serde_json::json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Collection",
        "totalItems": total_items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_to_each_other() {
        let c = paged_collection("https://x/c", 120);
        assert_eq!(c.last.as_deref(), Some("https://x/c?page=3"));
        let p = collection_page("https://x/c", 2, 120, vec![]);
        assert_eq!(p.prev.as_deref(), Some("https://x/c?page=1"));
        assert_eq!(p.next.as_deref(), Some("https://x/c?page=3"));
        let empty = collection_page("https://x/c", 1, 0, vec![]);
        assert!(empty.prev.is_none() && empty.next.is_none());
    }
}
