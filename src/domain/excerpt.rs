//! The opening of a long statement, for a Note that federates an excerpt
//! (`federate = "excerpt"`, docs/interop.md §10): each language's first paragraphs up to a
//! bound, cut between paragraphs where it can, else after a sentence or a word, then a link to
//! the statement's page in that language's words. The page itself always has the whole text.

use pulldown_cmark::{CowStr, Event, Tag};

use super::markdown;
use crate::util::escape_html;

/// Characters of text (markup aside) kept of each language. Two languages' excerpts with
/// their titles and links stay under the height at which Mastodon folds a post in timelines,
/// and far under the 8,192 characters Misskey keeps of a remote post (docs/interop.md §10).
pub const EXCERPT_CHARACTERS: usize = 500;

/// What marks a paragraph cut short.
const ELLIPSIS: &str = "[…]";

/// An excerpt's HTML, and whether anything of the text was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub html: String,
    pub cut: bool,
}

/// The first top-level blocks of `source` whose text fits in `max_chars`. When those would
/// hold less than half of it, the next block is shortened to fill the rest.
pub fn excerpt(source: &str, max_chars: usize) -> Excerpt {
    let mut kept: Vec<Event> = Vec::new();
    let mut used = 0;
    let mut block: Vec<Event> = Vec::new();
    let mut block_chars = 0;
    let mut depth = 0usize;
    let mut cut = false;
    for event in markdown::events(source) {
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        block_chars += text_chars(&event);
        block.push(event);
        if depth > 0 {
            continue;
        }
        if used + block_chars <= max_chars {
            used += block_chars;
            kept.append(&mut block);
            block_chars = 0;
        } else {
            if used < max_chars / 2 {
                kept.extend(shorten(block, max_chars - used));
            }
            cut = true;
            break;
        }
    }
    Excerpt {
        html: markdown::render(kept.into_iter()),
        cut,
    }
}

/// A language's part of a Note: its title in bold, the excerpt, and when text was left out a
/// link to `page` ("Lire la suite", "Read more", … in the language `lang`).
pub fn language_excerpt_html(title: &str, source: &str, lang: &str, page: &str) -> String {
    let e = excerpt(source, EXCERPT_CHARACTERS);
    let mut html = format!("<p><strong>{}</strong></p>{}", escape_html(title), e.html);
    if e.cut {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(page),
            read_more(lang)
        ));
    }
    html
}

/// "Read more" in the language `lang` (a BCP 47 tag); English for languages not listed.
pub fn read_more(lang: &str) -> &'static str {
    match lang
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "fr" => "Lire la suite",
        "de" => "Weiterlesen",
        "es" => "Seguir leyendo",
        "it" => "Continua a leggere",
        "pt" => "Continuar a ler",
        "nl" => "Lees verder",
        "ca" => "Continua llegint",
        _ => "Read more",
    }
}

/// Characters an event adds to the text a reader sees.
fn text_chars(event: &Event) -> usize {
    match event {
        Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
            t.chars().count()
        }
        Event::SoftBreak | Event::HardBreak | Event::Rule => 1,
        _ => 0,
    }
}

/// The events of one block, cut after `room` characters of text at the last sentence or word
/// that fits, the ellipsis added and every open element closed.
fn shorten(block: Vec<Event>, room: usize) -> Vec<Event> {
    let mut out = Vec::new();
    let mut open: Vec<Tag> = Vec::new();
    let mut left = room;
    for event in block {
        let chars = text_chars(&event);
        match event {
            Event::Start(tag) => {
                open.push(tag.clone());
                out.push(Event::Start(tag));
            }
            Event::End(end) => {
                open.pop();
                out.push(Event::End(end));
            }
            event if chars <= left => {
                left -= chars;
                out.push(event);
            }
            Event::Text(text) => {
                let kept = cut_text(&text, left);
                out.push(Event::Text(CowStr::from(format!("{kept} {ELLIPSIS}"))));
                break;
            }
            _ => {
                out.push(Event::Text(CowStr::from(format!(" {ELLIPSIS}"))));
                break;
            }
        }
    }
    while let Some(tag) = open.pop() {
        out.push(Event::End(tag.to_end()));
    }
    out
}

/// At most `room` characters of `text`: up to the last sentence end in its second half, else
/// up to the last space, else cut in the word.
fn cut_text(text: &str, room: usize) -> &str {
    let end = text
        .char_indices()
        .nth(room)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let prefix = &text[..end];
    let half = prefix.len() / 2;
    let sentence = prefix
        .char_indices()
        .filter(|(i, c)| *i >= half && matches!(c, '.' | '!' | '?' | '…'))
        .map(|(i, c)| i + c.len_utf8())
        .rfind(|&after| text[after..].starts_with(char::is_whitespace) || after == text.len());
    if let Some(after) = sentence {
        return &prefix[..after];
    }
    match prefix.rfind(char::is_whitespace) {
        Some(i) if i > 0 => prefix[..i].trim_end(),
        _ => prefix,
    }
}

#[cfg(test)]
mod tests;
