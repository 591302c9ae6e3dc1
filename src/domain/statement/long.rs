//! Long statements: how much text a language may have, and how a statement federates
//! (docs/interop.md §10).

use super::{InputError, StatementDraft, invalid};

/// What a statement's Note carries: `federate = "full"` or `"excerpt"` in the front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Federate {
    /// Every language's whole text.
    Full,
    /// Each language's opening and a link to the page, which has the whole text. The default:
    /// a short text is whole in it anyway, and a long one reaches every server intact
    /// (docs/interop.md §10).
    #[default]
    Excerpt,
}

impl Federate {
    pub fn as_str(self) -> &'static str {
        match self {
            Federate::Full => "full",
            Federate::Excerpt => "excerpt",
        }
    }

    pub fn parse(s: &str) -> Option<Federate> {
        match s {
            "full" => Some(Federate::Full),
            "excerpt" => Some(Federate::Excerpt),
            _ => None,
        }
    }

    /// The front matter's value, or the default when it names none.
    pub(super) fn from_front_matter(value: Option<&str>) -> Result<Federate, InputError> {
        match value.map(str::trim) {
            None => Ok(Federate::default()),
            Some(v) => Federate::parse(v).ok_or_else(|| {
                invalid(
                    "federate",
                    format!("{v:?} is neither \"full\" (the whole text) nor \"excerpt\""),
                )
            }),
        }
    }
}

impl StatementDraft {
    /// Each language's title and text, in bytes as written, against `limit`; the first
    /// language over it is named, with the limit.
    pub fn check_size(&self, limit: usize) -> Result<(), InputError> {
        for t in &self.texts {
            let bytes = t.title.len() + t.markdown.len();
            if bytes > limit {
                return Err(invalid(
                    &format!("::: {}", t.lang),
                    format!(
                        "the {} text has {bytes} bytes (title included), over the limit of \
                         {limit} bytes per language (statements.max_bytes_per_language)",
                        t.lang
                    ),
                ));
            }
        }
        Ok(())
    }
}
