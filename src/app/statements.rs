//! Publishing: each change to a statement commits with the activity that announces it and
//! one delivery row per follower inbox. The caller never waits for federation, and a
//! federation failure never undoes a local change.

use chrono::{SubsecRound, Utc};

use super::outbox::{self, Listed};
use crate::{
    db::{self, Tx, statements::NewVersion},
    domain::statement::{InputError, Slug, StatementDraft, language_html},
    media::sniff_media_type,
    state::AppState,
};
use crate::{
    protocol::activities::{Activity, Kind},
    protocol::note::{self as wire, Counts, StoredText},
};

#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error(transparent)]
    Input(#[from] InputError),
    /// A language's text over `statements.max_bytes_per_language`, or a Note too large to
    /// federate whole (docs/interop.md §10).
    #[error("{0}")]
    TooLong(InputError),
    #[error("{0}")]
    Conflict(String),
    #[error("no statement {0}")]
    NotFound(String),
    #[error("the statement {0} was deleted")]
    Gone(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for StatementError {
    fn from(e: db::DbError) -> Self {
        StatementError::Internal(e.into())
    }
}

impl From<serde_json::Error> for StatementError {
    fn from(e: serde_json::Error) -> Self {
        StatementError::Internal(e.into())
    }
}

/// An image to publish with a statement: its bytes, read by the caller.
#[derive(Debug, Clone)]
pub struct ImageUpload {
    pub bytes: Vec<u8>,
    pub alt: String,
}

/// Images on posts: Mastodon takes up to 16 MB (docs/interop.md §5).
pub const MAX_STATEMENT_IMAGE: usize = 16 * 1024 * 1024;

mod limits;
mod mentions;
use limits::check_wire_size;
pub use limits::{check_size, max_request_bytes};
pub use mentions::{Resolved, resolve_mentions};

/// What a change did.
#[derive(Debug, Clone)]
pub struct Published {
    pub slug: String,
    pub object_id: String,
    /// Activities sent, with the number of inboxes each was queued for.
    pub activities: Vec<Queued>,
    /// The statement's version after the change, and whether the change made it.
    pub version: i32,
    pub new_version: bool,
    /// Pinned before and after the change.
    pub was_pinned: bool,
    pub pinned: bool,
}

/// An activity queued for delivery.
#[derive(Debug, Clone)]
pub struct Queued {
    pub kind: Kind,
    pub id: String,
    pub inboxes: u64,
}

impl Published {
    /// Inboxes queued for, every activity together.
    pub fn inboxes(&self) -> u64 {
        self.activities.iter().map(|q| q.inboxes).sum()
    }
}

struct Prepared {
    texts: String,
    tags: String,
    mentions: String,
    inboxes: Vec<url::Url>,
    hash: String,
    image: Option<(String, &'static str, Vec<u8>, String)>,
}

fn prepare(
    state: &AppState,
    draft: &StatementDraft,
    image: Option<ImageUpload>,
    mentions: &[Resolved],
) -> Result<Prepared, StatementError> {
    check_size(state, draft)?;
    let texts: Vec<StoredText> = draft
        .texts
        .iter()
        .map(|t| StoredText {
            lang: t.lang.to_string(),
            title: t.title.clone(),
            markdown: t.markdown.clone(),
            html: language_html(t),
        })
        .collect();
    let tags: Vec<&str> = draft.tags.iter().map(|t| t.as_str()).collect();
    let image = match image {
        None => None,
        Some(upload) => {
            if upload.bytes.len() > MAX_STATEMENT_IMAGE {
                return Err(InputError {
                    field: "image".into(),
                    problem: format!("larger than {MAX_STATEMENT_IMAGE} bytes"),
                }
                .into());
            }
            let (media_type, _) = sniff_media_type(&upload.bytes).ok_or_else(|| InputError {
                field: "image".into(),
                problem: "not a JPEG, PNG, GIF or WebP image".into(),
            })?;
            let hash = image_hash(&upload.bytes);
            Some((hash, media_type, upload.bytes, upload.alt))
        }
    };
    // The version hash covers what a co-signer signs: every language's title and text, the
    // tags and the image.
    let canonical = serde_json::json!({
        "texts": draft.texts.iter().map(|t| serde_json::json!({
            "lang": t.lang.as_str(), "title": t.title, "markdown": t.markdown,
        })).collect::<Vec<_>>(),
        "tags": tags,
        "image": image.as_ref().map(|(h, _, _, alt)| serde_json::json!({"sha256": h, "alt": alt})),
        "mentions": mentions.iter().map(|m| m.mentioned.id.as_str()).collect::<Vec<_>>(),
    });
    let hash =
        hex(ring::digest::digest(&ring::digest::SHA256, canonical.to_string().as_bytes()).as_ref());
    Ok(Prepared {
        texts: serde_json::to_string(&texts)?,
        tags: serde_json::to_string(&tags)?,
        mentions: serde_json::to_string(
            &mentions.iter().map(|m| &m.mentioned).collect::<Vec<_>>(),
        )?,
        inboxes: mentions.iter().map(|m| m.inbox.clone()).collect(),
        hash,
        image,
    })
}

/// The name an image is stored and served under (`/media/{hash}.{ext}`): its SHA-256.
pub fn image_hash(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn fan_out(tx: &mut Tx<'_>, activity: &Activity) -> Result<Queued, StatementError> {
    fan_out_and(tx, activity, &[]).await
}

/// To every follower, and to the mentioned actors' inboxes.
async fn fan_out_and(
    tx: &mut Tx<'_>,
    activity: &Activity,
    also: &[url::Url],
) -> Result<Queued, StatementError> {
    let inboxes = outbox::to_followers_and(tx, activity, also, Listed::InOutbox).await?;
    Ok(Queued {
        kind: activity.kind,
        id: activity.id.clone(),
        inboxes,
    })
}

async fn counts(state: &AppState, slug: &str) -> Result<Counts, StatementError> {
    Ok(super::cosign::counts(state, slug).await?)
}

pub async fn publish(
    state: &AppState,
    draft: &StatementDraft,
    image: Option<ImageUpload>,
    mentions: &[Resolved],
) -> Result<Published, StatementError> {
    let slug = draft.slug.as_ref().ok_or_else(|| InputError {
        field: "slug".into(),
        problem: "required to publish".into(),
    })?;
    let prepared = prepare(state, draft, image, mentions)?;
    let now = Utc::now().trunc_subsecs(0);
    let mut tx = state.db.begin().await?;
    if db::statements::slug_taken(&mut tx, slug.as_str()).await? {
        return Err(StatementError::Conflict(format!(
            "slug: {slug} is already used (slugs are never reused, even after a deletion)"
        )));
    }
    if let Some((hash, media_type, bytes, _)) = &prepared.image {
        db::statements::insert_media(&mut tx, hash, media_type, bytes).await?;
    }
    db::statements::insert(
        &mut tx,
        &NewVersion {
            slug: slug.as_str(),
            version: 1,
            hash: &prepared.hash,
            texts: &prepared.texts,
            tags: &prepared.tags,
            image_hash: prepared.image.as_ref().map(|i| i.0.as_str()),
            image_alt: prepared.image.as_ref().map(|i| i.3.as_str()),
            mentions: &prepared.mentions,
            federate: draft.federate,
            at: now,
        },
        draft.pinned.unwrap_or(false),
    )
    .await?;
    record_signatories(state, &mut tx, slug, draft).await?;
    let row = db::statements::get_in(&mut tx, slug.as_str())
        .await?
        .ok_or_else(|| StatementError::NotFound(slug.to_string()))?;
    let note = wire::note(&state.coalition, &row, Counts::default())?;
    check_wire_size(&note, draft.federate)?;
    let mut activities = vec![
        fan_out_and(
            &mut tx,
            &wire::wrap(&state.coalition, Kind::Create, note, now),
            &prepared.inboxes,
        )
        .await?,
    ];
    if draft.pinned == Some(true) {
        let add = wire::featured_change(&state.coalition, Kind::Add, slug.as_str());
        activities.push(fan_out(&mut tx, &add).await?);
    }
    tx.commit().await?;
    state.wakeup.notify();
    Ok(Published {
        slug: slug.to_string(),
        object_id: wire::statement_url(&state.coalition, slug.as_str()),
        activities,
        version: 1,
        new_version: true,
        was_pinned: false,
        pinned: row.pinned,
    })
}

/// The file's signatories not recorded yet: removing one is `tribune signatories remove`,
/// never a file edit, so that each withdrawal is a deliberate act.
async fn record_signatories(
    state: &AppState,
    tx: &mut Tx<'_>,
    slug: &Slug,
    draft: &StatementDraft,
) -> Result<(), StatementError> {
    if draft.signatories.is_empty() {
        return Ok(());
    }
    let how = super::signatories::Recording {
        by: "statement file",
        source: draft.signatories_source.as_deref(),
        skip_known: true,
    };
    super::signatories::record_in(state, tx, slug.as_str(), &draft.signatories, how)
        .await
        .map_err(|e| StatementError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(())
}

async fn live(
    tx: &mut Tx<'_>,
    slug: &Slug,
) -> Result<db::statements::StatementRow, StatementError> {
    let row = db::statements::get_in(tx, slug.as_str())
        .await?
        .ok_or_else(|| StatementError::NotFound(slug.to_string()))?;
    if row.deleted_at.is_some() {
        return Err(StatementError::Gone(slug.to_string()));
    }
    Ok(row)
}

/// Replace a statement's text (a new version and an `Update` with a later `updated`) and
/// apply its pin flag when the draft has one.
pub async fn edit(
    state: &AppState,
    slug: &Slug,
    draft: &StatementDraft,
    image: Option<ImageUpload>,
    mentions: &[Resolved],
) -> Result<Published, StatementError> {
    if let Some(other) = draft.slug.as_ref().filter(|s| *s != slug) {
        return Err(InputError {
            field: "slug".into(),
            problem: format!("the file says {other}, the command says {slug}"),
        }
        .into());
    }
    let prepared = prepare(state, draft, image, mentions)?;
    let now = Utc::now().trunc_subsecs(0);
    let mut tx = state.db.begin().await?;
    let row = live(&mut tx, slug).await?;
    let mut activities = Vec::new();
    let new_text = row.version_hash != prepared.hash;
    // A new text, or the same one federated otherwise (whole or excerpt): the Note changes.
    if new_text || draft.federate != row.federate {
        // Mastodon applies an edit only when `updated` is later than the one it has.
        let at = match row.updated_at.or(Some(row.published_at)) {
            Some(prev) if prev >= now => prev + chrono::Duration::seconds(1),
            _ => now,
        };
        if new_text {
            if let Some((hash, media_type, bytes, _)) = &prepared.image {
                db::statements::insert_media(&mut tx, hash, media_type, bytes).await?;
            }
            let version = NewVersion {
                slug: slug.as_str(),
                version: row.current_version + 1,
                hash: &prepared.hash,
                texts: &prepared.texts,
                tags: &prepared.tags,
                image_hash: prepared.image.as_ref().map(|i| i.0.as_str()),
                image_alt: prepared.image.as_ref().map(|i| i.3.as_str()),
                mentions: &prepared.mentions,
                federate: draft.federate,
                at,
            };
            db::statements::add_version(&mut tx, &version).await?;
        } else {
            db::statements::set_federate(&mut tx, slug.as_str(), draft.federate, at).await?;
        }
        let row = live(&mut tx, slug).await?;
        let note = wire::note(&state.coalition, &row, counts(state, slug.as_str()).await?)?;
        check_wire_size(&note, draft.federate)?;
        activities.push(
            fan_out_and(
                &mut tx,
                &wire::wrap(&state.coalition, Kind::Update, note, at),
                &prepared.inboxes,
            )
            .await?,
        );
    }
    // A file that says nothing of the pin keeps it (README.md, Statements).
    let pinned = draft.pinned.unwrap_or(row.pinned);
    if pinned != row.pinned {
        activities.push(set_pin_in(state, &mut tx, slug, pinned).await?);
    }
    record_signatories(state, &mut tx, slug, draft).await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(Published {
        slug: slug.to_string(),
        object_id: wire::statement_url(&state.coalition, slug.as_str()),
        activities,
        version: row.current_version + i32::from(new_text),
        new_version: new_text,
        was_pinned: row.pinned,
        pinned,
    })
}

async fn set_pin_in(
    state: &AppState,
    tx: &mut Tx<'_>,
    slug: &Slug,
    pinned: bool,
) -> Result<Queued, StatementError> {
    db::statements::set_pinned(tx, slug.as_str(), pinned).await?;
    let kind = if pinned { Kind::Add } else { Kind::Remove };
    fan_out(
        tx,
        &wire::featured_change(&state.coalition, kind, slug.as_str()),
    )
    .await
}

/// Pin or unpin: `Add` or `Remove` on `featured`. Nothing is sent when nothing changes.
pub async fn set_pinned(
    state: &AppState,
    slug: &Slug,
    pinned: bool,
) -> Result<Published, StatementError> {
    let mut tx = state.db.begin().await?;
    let row = live(&mut tx, slug).await?;
    let mut activities = Vec::new();
    if row.pinned != pinned {
        activities.push(set_pin_in(state, &mut tx, slug, pinned).await?);
    }
    tx.commit().await?;
    state.wakeup.notify();
    Ok(Published {
        slug: slug.to_string(),
        object_id: wire::statement_url(&state.coalition, slug.as_str()),
        activities,
        version: row.current_version,
        new_version: false,
        was_pinned: row.pinned,
        pinned,
    })
}

/// Delete: a `Delete` with a `Tombstone`; the URL answers 410 from then on, and the slug
/// stays taken.
pub async fn delete(state: &AppState, slug: &Slug) -> Result<Published, StatementError> {
    let mut tx = state.db.begin().await?;
    let row = live(&mut tx, slug).await?;
    db::statements::mark_deleted(&mut tx, slug.as_str(), Utc::now().trunc_subsecs(0)).await?;
    let activities = vec![fan_out(&mut tx, &wire::delete(&state.coalition, slug.as_str())).await?];
    tx.commit().await?;
    state.wakeup.notify();
    Ok(Published {
        slug: slug.to_string(),
        object_id: wire::statement_url(&state.coalition, slug.as_str()),
        activities,
        version: row.current_version,
        new_version: false,
        was_pinned: row.pinned,
        pinned: false,
    })
}
