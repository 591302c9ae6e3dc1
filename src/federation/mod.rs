//! Inbound ActivityPub: the inbox's checks (signature, envelope, blocks, limits), the
//! decoding of activities, and their dispatch to the use cases in `app/`.

pub mod applier;
pub mod dispatch;
pub mod envelope;
pub mod inbox;
