//! Our objects and their wire form.

pub mod coalition;
pub mod collections;
pub mod remote_actor;
pub mod statement;
