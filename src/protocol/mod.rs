//! The wire: typed activities, actors, objects and collections, and how our records map to
//! them. No SQL and no other I/O here.

pub mod activities;
pub mod actor;
pub mod coalition;
pub mod collection;
pub mod cosigners;
pub mod incoming;
pub mod ledger_head;
pub mod note;
pub mod remote_actor;

/// The ActivityStreams context URL; Mastodon requires this exact string in `@context`
/// (docs/interop.md §1).
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The media type we serve and send; Mastodon accepts no plain `application/json`
/// (docs/interop.md §1).
pub const ACTIVITY_JSON: &str = activitypub_federation::FEDERATION_CONTENT_TYPE;

/// The public address (`as:Public`), in `to` or `cc` of what everyone may see.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
