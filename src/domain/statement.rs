//! A statement as the coalition writes it: a Markdown file with TOML front matter between
//! `+++` lines, then one section per language opened by a `::: LANG` line.
//!
//! ```text
//! +++
//! slug = "manifeste-2026"
//! tags = ["climat", "justice"]
//! pinned = true
//! image = "affiche.jpg"
//! image_alt = "Affiche / Poster"
//! mentions = ["@coalition@example.org"]
//! federate = "excerpt"
//!
//! [title]
//! fr = "Manifeste 2026"
//! en = "2026 Manifesto"
//! +++
//!
//! ::: fr
//! Texte français…
//!
//! ::: en
//! English text…
//! ```
//!
//! Every problem is reported with the field it concerns, and nothing is published.

use std::{collections::BTreeMap, fmt, path::PathBuf};

use serde::{Deserialize, Serialize};

use super::{
    LanguageTag, markdown,
    signatories::{RawSignatory, Signatory, check_list},
};
use crate::util::escape_html;

mod long;
pub use long::Federate;

/// What is wrong with a statement file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InputError {
    pub field: String,
    pub problem: String,
}

fn invalid(field: &str, problem: impl Into<String>) -> InputError {
    InputError {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

/// A statement's slug: its URL path, never reused, even after a deletion.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 100;

    pub fn parse(s: &str) -> Result<Slug, String> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if ok {
            Ok(Slug(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a slug: lower-case ASCII letters and digits in words joined by \"-\", at most {} characters",
                Self::MAX_LEN
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A hashtag without its `#`: letters, digits and `_`, as Mastodon's HASHTAG_RE allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashtag(String);

impl Hashtag {
    pub fn parse(s: &str) -> Result<Hashtag, String> {
        let s = s.trim().trim_start_matches('#');
        if s.is_empty()
            || s.chars().count() > 100
            || !s.chars().all(|c| c.is_alphanumeric() || c == '_')
            || s.chars().all(|c| c.is_ascii_digit())
        {
            return Err(format!(
                "{s:?} is not a hashtag: letters, digits and \"_\", not only digits"
            ));
        }
        Ok(Hashtag(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used in tag URLs: lower-cased.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

/// One language's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageText {
    pub lang: LanguageTag,
    pub title: String,
    pub markdown: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub path: PathBuf,
    pub alt: String,
}

/// A valid statement, languages in the coalition's order (primary first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementDraft {
    pub slug: Option<Slug>,
    pub texts: Vec<LanguageText>,
    pub tags: Vec<Hashtag>,
    pub image: Option<ImageRef>,
    /// `pinned = true` or `false` as the file says; unsaid, a new statement is not pinned
    /// and an edited one keeps its pin.
    pub pinned: Option<bool>,
    /// Actors to mention, as written: `@user@host` or an actor URL.
    pub mentions: Vec<String>,
    /// Signatories gathered off the fediverse (`[[signatories]]`), recorded on publication
    /// and, for those not yet recorded, on each edit.
    pub signatories: Vec<Signatory>,
    /// Where those signatures were published (`signatories_source`: an article's URL).
    pub signatories_source: Option<String>,
    /// The whole text on the fediverse, or an excerpt and a link (docs/interop.md §10).
    pub federate: Federate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: Option<String>,
    #[serde(default)]
    title: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<String>,
    image: Option<PathBuf>,
    image_alt: Option<String>,
    pinned: Option<bool>,
    #[serde(default)]
    mentions: Vec<String>,
    #[serde(default)]
    signatories: Vec<RawSignatory>,
    signatories_source: Option<String>,
    federate: Option<String>,
}

/// Parse a statement file against the coalition's languages.
pub fn parse(source: &str, languages: &[LanguageTag]) -> Result<StatementDraft, InputError> {
    let source = source.replace("\r\n", "\n");
    let source = source.trim_start_matches('\u{feff}');
    let rest = source
        .strip_prefix("+++\n")
        .ok_or_else(|| invalid("front matter", "the file must start with a +++ line"))?;
    let end = rest
        .find("\n+++\n")
        .map(|i| (i, i + 5))
        .or_else(|| rest.strip_suffix("\n+++").map(|r| (r.len(), rest.len())))
        .ok_or_else(|| invalid("front matter", "no closing +++ line"))?;
    let (front, body) = (&rest[..end.0], &rest[end.1..]);
    let front: FrontMatter = toml::from_str(front).map_err(|e| {
        invalid(
            "front matter",
            e.message().to_owned() + &span_hint(front, e.span()),
        )
    })?;

    let slug = front
        .slug
        .as_deref()
        .map(|s| Slug::parse(s).map_err(|p| invalid("slug", p)))
        .transpose()?;

    let mut titles: Vec<(LanguageTag, String)> = Vec::new();
    for (lang, title) in &front.title {
        let tag = LanguageTag::parse(lang).map_err(|p| invalid(&format!("title.{lang}"), p))?;
        if !languages.contains(&tag) {
            return Err(invalid(
                &format!("title.{lang}"),
                format!(
                    "{tag} is not one of the coalition's languages ({})",
                    list(languages)
                ),
            ));
        }
        let title = title.trim();
        if title.is_empty() {
            return Err(invalid(&format!("title.{lang}"), "must not be empty"));
        }
        titles.push((tag, title.to_owned()));
    }

    let sections = split_sections(body)?;
    let mut texts = Vec::new();
    for lang in languages {
        let title = titles
            .iter()
            .find(|(l, _)| l == lang)
            .map(|(_, t)| t.clone());
        let section = sections
            .iter()
            .find(|(l, _)| l == lang)
            .map(|(_, s)| s.clone());
        match (title, section) {
            (Some(title), Some(markdown)) => texts.push(LanguageText {
                lang: lang.clone(),
                title,
                markdown,
            }),
            (None, None) => {}
            (Some(_), None) => {
                return Err(invalid(
                    &format!("::: {lang}"),
                    "the title is given but the text is missing",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    &format!("title.{lang}"),
                    "the text is given but the title is missing",
                ));
            }
        }
    }
    for (lang, _) in &sections {
        if !languages.contains(lang) {
            return Err(invalid(
                &format!("::: {lang}"),
                format!(
                    "{lang} is not one of the coalition's languages ({})",
                    list(languages)
                ),
            ));
        }
    }
    let primary = &languages[0];
    if texts.first().map(|t| &t.lang) != Some(primary) {
        return Err(invalid(
            &format!("title.{primary}"),
            format!("the primary language, {primary}, needs a title and a text"),
        ));
    }

    let mut tags: Vec<Hashtag> = Vec::new();
    for (i, t) in front.tags.iter().enumerate() {
        let tag = Hashtag::parse(t).map_err(|p| invalid(&format!("tags[{i}]"), p))?;
        if !tags.iter().any(|x| x.normalised() == tag.normalised()) {
            tags.push(tag);
        }
    }

    let image = match (front.image, front.image_alt) {
        (Some(path), alt) => Some(ImageRef {
            path,
            alt: alt.unwrap_or_default().trim().to_owned(),
        }),
        (None, Some(_)) => return Err(invalid("image_alt", "given without an image")),
        (None, None) => None,
    };

    let mut mentions = Vec::new();
    for (i, m) in front.mentions.iter().enumerate() {
        let m = m.trim();
        let handle = m.trim_start_matches('@');
        let is_url = m.starts_with("https://") || m.starts_with("http://");
        let is_handle = handle
            .split_once('@')
            .is_some_and(|(u, h)| !u.is_empty() && !h.is_empty() && !h.contains('@'));
        if !is_url && !is_handle {
            return Err(invalid(
                &format!("mentions[{i}]"),
                format!("{m:?} is neither @user@host nor an actor URL"),
            ));
        }
        mentions.push(m.to_owned());
    }

    Ok(StatementDraft {
        slug,
        texts,
        tags,
        image,
        pinned: front.pinned,
        mentions,
        signatories: check_list(&front.signatories, 1)
            .map_err(|e| invalid(&format!("signatories[{}].{}", e.line, e.field), e.problem))?,
        signatories_source: front
            .signatories_source
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        federate: Federate::from_front_matter(front.federate.as_deref())?,
    })
}

fn list(languages: &[LanguageTag]) -> String {
    languages
        .iter()
        .map(LanguageTag::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 2;
            format!(" (line {line} of the file)")
        }
        None => String::new(),
    }
}

/// The `::: LANG` sections of the body.
fn split_sections(body: &str) -> Result<Vec<(LanguageTag, String)>, InputError> {
    let mut sections: Vec<(LanguageTag, String)> = Vec::new();
    let mut current: Option<(LanguageTag, Vec<&str>)> = None;
    for line in body.lines() {
        if let Some(marker) = line.trim_end().strip_prefix(":::") {
            let lang = marker.trim();
            if let Some((tag, lines)) = current.take() {
                sections.push((tag, lines.join("\n").trim().to_owned()));
            }
            if lang.is_empty() {
                continue;
            }
            let tag = LanguageTag::parse(lang).map_err(|p| invalid(&format!("::: {lang}"), p))?;
            if sections.iter().any(|(l, _)| *l == tag) {
                return Err(invalid(
                    &format!("::: {lang}"),
                    "this language appears twice",
                ));
            }
            current = Some((tag, Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        } else if !line.trim().is_empty() {
            return Err(invalid(
                "text",
                "text before the first \"::: LANG\" line: open each language's text with one",
            ));
        }
    }
    if let Some((tag, lines)) = current.take() {
        sections.push((tag, lines.join("\n").trim().to_owned()));
    }
    for (lang, text) in &sections {
        if text.is_empty() {
            return Err(invalid(&format!("::: {lang}"), "the text is empty"));
        }
    }
    Ok(sections)
}

/// A language's HTML: its title in bold, then the text.
pub fn language_html(text: &LanguageText) -> String {
    format!(
        "<p><strong>{}</strong></p>{}",
        escape_html(&text.title),
        markdown::to_html(&text.markdown)
    )
}

/// An actor a statement mentions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mentioned {
    pub id: String,
    /// `@user@host`.
    pub name: String,
    /// Its profile page (or its id).
    pub url: String,
}

/// One language of a stored version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredText {
    pub lang: String,
    pub title: String,
    pub markdown: String,
    /// The title in bold, then the text, as sanitised HTML.
    pub html: String,
}

#[cfg(test)]
mod tests;
