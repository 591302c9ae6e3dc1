//! Rules without I/O: the coalition's words as validated types.

mod language;
mod username;

pub use language::LanguageTag;
pub use username::Username;
