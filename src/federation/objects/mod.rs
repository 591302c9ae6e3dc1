//! Our objects and their wire form.

pub mod coalition;
pub mod collections;
