//! ActivityPub: wire types (`protocol`), our objects and how they map to the wire
//! (`objects`), and the coalition's keys.

pub mod activities;
pub mod cosign;
pub mod delivery;
pub mod export;
pub mod followers;
pub mod following;
pub mod inbox;
pub mod keys;
pub mod members;
pub mod nodeinfo;
pub mod objects;
pub mod protocol;
pub mod relay;
pub mod resolver;
pub mod signatures;
pub mod statements;

/// The ActivityStreams context URL; Mastodon requires this exact string in `@context`
/// (mastodon-interop.md §1).
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The media type we serve and send; Mastodon accepts no plain `application/json`
/// (mastodon-interop.md §1).
pub const ACTIVITY_JSON: &str = activitypub_federation::FEDERATION_CONTENT_TYPE;
