//! Use cases: what the coalition does, one file each. The CLI, the admin API and the inbox
//! dispatcher call these with typed inputs; each has its own error type. The federation
//! crate's object traits live here too (`local_actor`, `remote_actor`), since they read and
//! store records.

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod background;
pub mod blocks;
pub mod boosts;
pub mod cosign;
pub mod database_files;
pub mod deliveries;
pub mod export;
pub mod followers;
pub mod following;
pub mod keys;
pub mod ledger;
pub mod local_actor;
pub mod members;
pub mod moderation;
pub mod nodeinfo;
pub mod outbox;
pub mod relay;
pub mod remote_actor;
pub mod sessions;
pub mod signatories;
pub mod statements;

/// What became of an activity that was accepted (answered 202).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Applied,
    Duplicate,
    Ignored(&'static str),
}
