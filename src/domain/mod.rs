//! Rules without I/O: the coalition's words as validated types, the ledger's canonical form
//! and its signed head.

pub mod accounts;
pub mod diff;
pub mod excerpt;
mod language;
pub mod ledger;
pub mod ledger_head;
pub mod markdown;
pub mod signatories;
pub mod statement;
mod username;

pub use language::LanguageTag;
pub use username::Username;
