//! Use cases: what the coalition does, one file each. The CLI, the admin API and the inbox
//! dispatcher call these with typed inputs; each has its own error type.

pub mod background;
pub mod cosign;
pub mod export;
pub mod followers;
pub mod following;
pub mod members;
pub mod nodeinfo;
pub mod relay;
pub mod statements;
