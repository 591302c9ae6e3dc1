//! Wire types: plain serde structs, no behaviour.

pub mod actor;
pub mod collection;
pub mod remote_actor;
