//! Typed activities: every activity we send, and what we decode from what arrives.
