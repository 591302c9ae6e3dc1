//! Rules without I/O: the coalition's words as validated types.

mod language;
pub mod ledger;
pub mod markdown;
pub mod signatories;
pub mod statement;
mod username;

pub use language::LanguageTag;
pub use username::Username;
