//! A statement on the wire: a public `Note` (docs/interop.md §5), and the activities
//! that carry it.

use chrono::{DateTime, Utc};

use serde_json::{Map, Value, json};

use super::{
    activities::{Activity, Kind, rfc3339},
    coalition::Coalition,
};
use crate::{
    db::statements::StatementRow,
    domain::{excerpt::language_excerpt_html, statement::Federate},
    protocol::AS_CONTEXT,
    util::escape_html,
};

pub use super::PUBLIC;

pub use crate::domain::statement::{Mentioned, StoredText};

pub fn statement_url(coalition: &Coalition, slug: &str) -> String {
    coalition.urls.statement(slug)
}

pub fn tag_url(coalition: &Coalition, tag: &str) -> String {
    coalition
        .urls
        .base
        .join(&format!("/tags/{}", tag.to_lowercase()))
}

/// The `@context` of Notes and of the activities that embed them.
pub fn note_context() -> Value {
    json!([AS_CONTEXT, {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"}])
}

/// The most a Note may weigh as JSON: Misskey refuses an inbox POST over 64 KiB with 413, and
/// the activity that carries the Note adds its own few hundred bytes (docs/interop.md §10).
pub const MAX_NOTE_BYTES: usize = 60 * 1024;

/// Counts shown in the Note's inline `shares` and `likes`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub shares: u64,
    pub likes: u64,
}

/// The Note for a statement's current version.
pub fn note(
    coalition: &Coalition,
    row: &StatementRow,
    counts: Counts,
) -> Result<Value, serde_json::Error> {
    let id = statement_url(coalition, &row.slug);
    let (texts, tags, mentions) = (&row.texts, &row.tags, &row.mentions);
    // Mentions as Mastodon writes them (an h-card link), so the post reads and links right.
    let mentions_html = if mentions.is_empty() {
        String::new()
    } else {
        let links: Vec<String> = mentions
            .iter()
            .map(|m| {
                let user = m.name.trim_start_matches('@').split('@').next().unwrap_or_default();
                format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape_html(&m.url),
                    escape_html(user)
                )
            })
            .collect();
        format!("<p>{}</p>", links.join(" "))
    };
    let tags_html = if tags.is_empty() {
        String::new()
    } else {
        let links: Vec<String> = tags
            .iter()
            .map(|t| {
                format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    escape_html(&tag_url(coalition, t)),
                    escape_html(t)
                )
            })
            .collect();
        format!("<p>{}</p>", links.join(" "))
    };
    let tags_html = mentions_html + &tags_html;
    // Each language whole, or its opening and a link to the page (docs/interop.md §10).
    let parts: Vec<String> = texts
        .iter()
        .map(|t| match row.federate {
            Federate::Full => t.html.clone(),
            Federate::Excerpt => language_excerpt_html(&t.title, &t.markdown, &t.lang, &id),
        })
        .collect();
    // `content` holds every language in order: Mastodon shows `content` and takes the post's
    // language from the first `contentMap` key, so all languages are shown and the primary
    // one is the post's language.
    let content: String = parts.concat() + &tags_html;
    let mut content_map = Map::new();
    for (t, part) in texts.iter().zip(&parts) {
        content_map.insert(t.lang.clone(), Value::String(part.clone() + &tags_html));
    }
    let mut note = json!({
        "@context": note_context(),
        "id": id,
        "type": "Note",
        "attributedTo": coalition.urls.actor.as_str(),
        "published": rfc3339(row.published_at),
        "url": id,
        "to": [PUBLIC],
        "cc": std::iter::once(coalition.urls.followers.to_string())
            .chain(mentions.iter().map(|m| m.id.clone()))
            .collect::<Vec<_>>(),
        "sensitive": false,
        "content": content,
        "contentMap": content_map,
        "tag": mentions.iter().map(|m| json!({
            "type": "Mention",
            "href": m.id,
            "name": m.name,
        })).chain(tags.iter().map(|t| json!({
            "type": "Hashtag",
            "name": format!("#{t}"),
            "href": tag_url(coalition, t),
        }))).collect::<Vec<_>>(),
        "attachment": [],
        "shares": {"id": format!("{id}/shares"), "type": "Collection", "totalItems": counts.shares},
        "likes": {"id": format!("{id}/likes"), "type": "Collection", "totalItems": counts.likes},
    });
    if let Some(updated) = row.updated_at {
        note["updated"] = json!(rfc3339(updated));
    }
    if let (Some(hash), Some(media_type)) = (&row.image_hash, &row.image_type) {
        let ext = media_type.rsplit('/').next().unwrap_or("bin");
        note["attachment"] = json!([{
            "type": "Document",
            "mediaType": media_type,
            "url": coalition.urls.base.join(&format!("/media/{hash}.{ext}")),
            "name": row.image_alt.clone().unwrap_or_default(),
        }]);
    }
    Ok(note)
}

/// What a deleted statement's URL answers, with 410 (ActivityPub §6.4, docs/interop.md §5).
pub fn tombstone(coalition: &Coalition, slug: &str, deleted_at: DateTime<Utc>) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": statement_url(coalition, slug),
        "type": "Tombstone",
        "deleted": rfc3339(deleted_at),
    })
}

/// A fresh activity id. Ids are never reused.
pub fn activity_id(coalition: &Coalition) -> String {
    coalition
        .urls
        .base
        .join(&format!("/ap/activities/{:032x}", rand::random::<u128>()))
}

/// `Create` or `Update` of a Note, addressed as the Note is.
pub fn wrap(coalition: &Coalition, kind: Kind, note: Value, at: DateTime<Utc>) -> Activity {
    let u = &coalition.urls;
    Activity::wrap_note(
        activity_id(coalition),
        kind,
        &u.actor,
        note,
        note_context(),
        at,
    )
}

/// `Delete` of a statement, as a Tombstone.
pub fn delete(coalition: &Coalition, slug: &str) -> Activity {
    let u = &coalition.urls;
    Activity::delete_note(
        activity_id(coalition),
        &u.actor,
        &u.followers,
        &statement_url(coalition, slug),
    )
}

/// `Add` or `Remove` of a statement on `featured` (pin, unpin).
pub fn featured_change(coalition: &Coalition, kind: Kind, slug: &str) -> Activity {
    let u = &coalition.urls;
    Activity::featured_change(
        activity_id(coalition),
        kind,
        &u.actor,
        &u.followers,
        &u.featured,
        &statement_url(coalition, slug),
    )
}
