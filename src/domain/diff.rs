//! What changed between two versions of a statement, for an admin reviewing an edit: language
//! by language and field by field, as runs of text kept, removed and added. Texts compare line
//! by line, with unchanged stretches folded down to a few lines of context around each change;
//! one-line fields (a title, the image's description) compare word by word. The comparison
//! itself is the `similar` crate's.

use serde::Serialize;
use similar::{Algorithm, ChangeTag, TextDiff, capture_diff_slices};

use super::statement::StoredText;

/// Unchanged lines kept on each side of a change; a longer unchanged stretch folds into one
/// `Hunk::Skipped`.
pub const CONTEXT_LINES: usize = 2;

/// A version as compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: i32,
    /// Each language's title and Markdown text, the primary language first.
    pub texts: Vec<StoredText>,
    /// What the version holds beside its texts; `None` when it was not recorded.
    pub details: Option<Details>,
}

/// The parts of a version that concern the whole statement rather than one language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    pub tags: Vec<String>,
    /// The image's SHA-256, when there is one.
    pub image: Option<String>,
    /// The image's description.
    pub image_alt: Option<String>,
    /// The mentioned actors, as `@user@host`.
    pub mentions: Vec<String>,
}

/// Everything that differs from version `from` to version `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementDiff {
    pub from: i32,
    pub to: i32,
    /// Every language of either version: those of `to` in its order, then those only `from`
    /// had, in its order. Unchanged languages are listed too, with no fields.
    pub languages: Vec<LanguageDiff>,
    /// The changed statement-wide fields (tags, image, image description, mentions), in that
    /// order.
    pub fields: Vec<FieldDiff>,
    /// Whether both versions recorded their `Details`; when not, `fields` is empty and says
    /// nothing about tags, image or mentions.
    pub details_compared: bool,
}

impl StatementDiff {
    /// Nothing differs that both versions recorded.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.languages.iter().all(|l| !l.is_changed())
    }
}

/// One language's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguageDiff {
    /// The language tag, as stored (`fr`, `en`, …).
    pub lang: String,
    pub presence: Presence,
    /// The changed fields only: the title, then the text. A language added or removed has
    /// both, wholly added or wholly removed.
    pub fields: Vec<FieldDiff>,
}

impl LanguageDiff {
    pub fn is_changed(&self) -> bool {
        self.presence != Presence::Both || !self.fields.is_empty()
    }
}

/// Whether a language is in both versions, or only in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Both,
    /// Only in `to`.
    Added,
    /// Only in `from`.
    Removed,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub field: Field,
    /// For a field compared by lines (`Field::by_words` is false): one hunk per line (or per
    /// tag, per mention), without its line end, and `Skipped` where unchanged lines were
    /// folded. For a field compared by words: runs of words with their spaces, which joined
    /// give the old value (`Same` and `Removed`) and the new one (`Same` and `Added`).
    pub hunks: Vec<Hunk>,
}

impl FieldDiff {
    /// The old and the new value, as far as the hunks hold them: whole for a field compared by
    /// words, lines joined with `\n` (folded ones left out) for the others.
    pub fn old_and_new(&self) -> (String, String) {
        let by_words = self.field.by_words();
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for hunk in &self.hunks {
            match hunk {
                Hunk::Same(s) => {
                    old.push(s.as_str());
                    new.push(s.as_str());
                }
                Hunk::Removed(s) => old.push(s.as_str()),
                Hunk::Added(s) => new.push(s.as_str()),
                Hunk::Skipped(_) => {}
            }
        }
        let glue = if by_words { "" } else { "\n" };
        (old.join(glue), new.join(glue))
    }
}

/// The fields compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A language's title, by words.
    Title,
    /// A language's Markdown text, by lines.
    Text,
    /// The hashtags, one per line.
    Tags,
    /// The image's SHA-256, as one line (none when there is no image).
    Image,
    /// The image's description, by words.
    ImageAlt,
    /// The mentioned actors, one per line.
    Mentions,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Text => "text",
            Field::Tags => "tags",
            Field::Image => "image",
            Field::ImageAlt => "image_alt",
            Field::Mentions => "mentions",
        }
    }

    /// Compared word by word (one-line fields), rather than line by line.
    pub fn by_words(self) -> bool {
        matches!(self, Field::Title | Field::ImageAlt)
    }
}

/// A run of text kept, removed or added, or unchanged lines left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hunk {
    Same(String),
    Removed(String),
    Added(String),
    /// This many unchanged lines, folded.
    Skipped(usize),
}

impl Hunk {
    pub fn is_change(&self) -> bool {
        matches!(self, Hunk::Removed(_) | Hunk::Added(_))
    }
}

/// Compare version `from` with version `to`, keeping `context` unchanged lines around each
/// change (`CONTEXT_LINES` as a page shows them).
pub fn compare(from: &Version, to: &Version, context: usize) -> StatementDiff {
    let mut langs: Vec<&str> = to.texts.iter().map(|t| t.lang.as_str()).collect();
    for t in &from.texts {
        if !langs.contains(&t.lang.as_str()) {
            langs.push(&t.lang);
        }
    }
    let languages = langs
        .into_iter()
        .map(|lang| {
            let old = from.texts.iter().find(|t| t.lang == lang);
            let new = to.texts.iter().find(|t| t.lang == lang);
            language(lang, old, new, context)
        })
        .collect();
    let (fields, details_compared) = match (&from.details, &to.details) {
        (Some(old), Some(new)) => (details(old, new, context), true),
        _ => (Vec::new(), false),
    };
    StatementDiff {
        from: from.number,
        to: to.number,
        languages,
        fields,
        details_compared,
    }
}

fn language(
    lang: &str,
    old: Option<&StoredText>,
    new: Option<&StoredText>,
    context: usize,
) -> LanguageDiff {
    let presence = match (old, new) {
        (Some(_), None) => Presence::Removed,
        (None, Some(_)) => Presence::Added,
        _ => Presence::Both,
    };
    fn title(t: Option<&StoredText>) -> &str {
        t.map_or("", |t| t.title.as_str())
    }
    fn text(t: Option<&StoredText>) -> &str {
        t.map_or("", |t| t.markdown.as_str())
    }
    let fields = [
        changed(Field::Title, words(title(old), title(new))),
        changed(Field::Text, fold(lines(text(old), text(new)), context)),
    ];
    LanguageDiff {
        lang: lang.to_owned(),
        presence,
        fields: fields.into_iter().flatten().collect(),
    }
}

fn details(old: &Details, new: &Details, context: usize) -> Vec<FieldDiff> {
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    fn image(d: &Details) -> Vec<&str> {
        d.image.iter().map(String::as_str).collect()
    }
    fn alt(d: &Details) -> &str {
        d.image_alt.as_deref().unwrap_or_default()
    }
    let fields = [
        changed(
            Field::Tags,
            fold(items(&strs(&old.tags), &strs(&new.tags)), context),
        ),
        changed(Field::Image, items(&image(old), &image(new))),
        changed(Field::ImageAlt, words(alt(old), alt(new))),
        changed(
            Field::Mentions,
            fold(items(&strs(&old.mentions), &strs(&new.mentions)), context),
        ),
    ];
    fields.into_iter().flatten().collect()
}

/// The field's diff, when something in it changed.
fn changed(field: Field, hunks: Vec<Hunk>) -> Option<FieldDiff> {
    hunks
        .iter()
        .any(Hunk::is_change)
        .then_some(FieldDiff { field, hunks })
}

fn hunk(tag: ChangeTag, text: &str) -> Hunk {
    match tag {
        ChangeTag::Equal => Hunk::Same(text.to_owned()),
        ChangeTag::Delete => Hunk::Removed(text.to_owned()),
        ChangeTag::Insert => Hunk::Added(text.to_owned()),
    }
}

/// Line by line, one hunk per line. Lines are compared without their ends, so that a last
/// line with no line end matches the same line followed by more.
fn lines(old: &str, new: &str) -> Vec<Hunk> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    items(&old, &new)
}

/// Item by item, one hunk per item.
fn items(old: &[&str], new: &[&str]) -> Vec<Hunk> {
    capture_diff_slices(Algorithm::Myers, old, new)
        .iter()
        .flat_map(|op| op.iter_changes(old, new))
        .map(|c| hunk(c.tag(), c.value()))
        .collect()
}

/// Word by word, as runs: within a change, the removed words come first, then the added
/// ones; spaces alone between two changes join them, so that "A B" → "C D" reads as one
/// replacement rather than two.
fn words(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_words(old, new);
    let pieces: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .collect();
    let mut out = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    let flush = |out: &mut Vec<Hunk>, removed: &mut String, added: &mut String| {
        if !removed.is_empty() {
            out.push(Hunk::Removed(std::mem::take(removed)));
        }
        if !added.is_empty() {
            out.push(Hunk::Added(std::mem::take(added)));
        }
    };
    for (i, &(tag, text)) in pieces.iter().enumerate() {
        let between_changes = || {
            text.trim().is_empty()
                && i > 0
                && pieces[i - 1].0 != ChangeTag::Equal
                && pieces.get(i + 1).is_some_and(|p| p.0 != ChangeTag::Equal)
        };
        match tag {
            ChangeTag::Delete => removed.push_str(text),
            ChangeTag::Insert => added.push_str(text),
            ChangeTag::Equal if between_changes() => {
                removed.push_str(text);
                added.push_str(text);
            }
            ChangeTag::Equal => {
                flush(&mut out, &mut removed, &mut added);
                match out.last_mut() {
                    Some(Hunk::Same(same)) => same.push_str(text),
                    _ => out.push(Hunk::Same(text.to_owned())),
                }
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

/// Unchanged runs longer than the context around them fold into `Skipped`: `context` lines
/// are kept after a change and before the next one; a run at the start or the end keeps only
/// the side that touches a change. Folding a single line would save nothing, so it stays.
fn fold(lines: Vec<Hunk>, context: usize) -> Vec<Hunk> {
    let mut out = Vec::with_capacity(lines.len());
    let mut run: Vec<Hunk> = Vec::new();
    let mut after_change = false;
    let flush = |run: &mut Vec<Hunk>, out: &mut Vec<Hunk>, after: bool, before: bool| {
        let head = if after { context } else { 0 };
        let tail = if before { context } else { 0 };
        if run.len() > head + tail + 1 {
            let skipped = run.len() - head - tail;
            let rest = run.split_off(head);
            out.append(run);
            out.push(Hunk::Skipped(skipped));
            out.extend(rest.into_iter().skip(skipped));
        } else {
            out.append(run);
        }
    };
    for hunk in lines {
        if let Hunk::Same(_) = hunk {
            run.push(hunk);
        } else {
            flush(&mut run, &mut out, after_change, true);
            after_change = true;
            out.push(hunk);
        }
    }
    flush(&mut run, &mut out, after_change, false);
    out
}

#[cfg(test)]
mod tests;
