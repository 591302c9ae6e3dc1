//! Inbound ActivityPub: the inbox's checks (signature, envelope, blocks, limits), the
//! decoding of activities, and their dispatch to the use cases in `app/`. Also the federation
//! crate's object traits, where they read or store records.

pub mod dispatch;
pub mod inbox;
pub mod local_actor;
pub mod remote_actor;
