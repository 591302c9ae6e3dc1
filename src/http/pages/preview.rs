//! A statement's link-preview image, `/statements/{slug}/preview.png?lang=`: 1200×630, its
//! title in the language asked for, its signature count and the coalition's name. Made from
//! `templates/preview.svg` with the fonts in `assets/fonts/` (never the system's), kept in
//! memory until the count or the text changes.

use std::sync::{Arc, LazyLock};

use axum::body::Bytes;
use resvg::{
    tiny_skia, usvg,
    usvg::fontdb::{Database as FontBook, Source},
};

use super::*;
use crate::transport::preview_cache::PreviewKey;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 630;
/// The family of both faces below.
const FAMILY: &str = "DejaVu Sans";
/// The title's lines at most; what does not fit ends in "…".
const MAX_LINES: usize = 3;

static FONTS: LazyLock<Arc<FontBook>> = LazyLock::new(|| {
    let mut fonts = FontBook::new();
    for face in [
        include_bytes!("../../../assets/fonts/DejaVuSans.ttf").as_slice(),
        include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf").as_slice(),
    ] {
        fonts.load_font_source(Source::Binary(Arc::new(face)));
    }
    Arc::new(fonts)
});

#[derive(Template)]
#[template(path = "preview.svg", escape = "xml")]
struct Preview {
    coalition: String,
    /// (baseline, text) of each line of the title.
    lines: Vec<(u32, String)>,
    title_size: u32,
    signatures: String,
}

/// The title in at most `max` lines of about `width` characters, cut between words (a word
/// longer than a line is cut where the line ends); a title longer than that ends in "…".
pub(super) fn wrap(title: &str, width: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let words = title.split_whitespace();
    let mut cut = false;
    for word in words {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let room = if used == 0 {
                width
            } else {
                width.saturating_sub(used + 1)
            };
            if word.len() <= room {
                if used > 0 {
                    line.push(' ');
                }
                line.extend(&word);
                break;
            }
            if used == 0 {
                // Longer than a whole line: its first part fills this one.
                line.extend(&word[..width]);
                word.drain(..width);
            }
            if lines.len() + 1 == max {
                cut = true;
                break;
            }
            lines.push(std::mem::take(&mut line));
        }
        if cut {
            break;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if cut && let Some(last) = lines.last_mut() {
        while last.chars().count() + 1 > width {
            last.pop();
        }
        let kept = last.trim_end().len();
        last.truncate(kept);
        last.push('…');
    }
    lines
}

/// The SVG of a statement's image.
fn svg(coalition: &str, title: &str, count: u64) -> Result<String> {
    // Longer titles in smaller letters: bold DejaVu Sans is about 0.62 em wide a letter, and
    // a line has 1040 pixels.
    let (title_size, width) = if title.chars().count() <= 60 {
        (64, 26)
    } else {
        (52, 32)
    };
    let lines = wrap(title, width, MAX_LINES);
    let step = title_size * 5 / 4;
    let first = 250 + title_size;
    let word = signatures_word(count);
    render(&Preview {
        coalition: coalition.chars().take(48).collect(),
        lines: lines
            .into_iter()
            .zip(0u32..)
            .map(|(l, i)| (first + i * step, l))
            .collect(),
        title_size,
        signatures: format!("{count} {word}"),
    })
}

/// The SVG as PNG, with the embedded fonts only.
fn rasterise(svg: &str) -> anyhow::Result<Vec<u8>> {
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        font_family: FAMILY.to_owned(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT)
        .ok_or_else(|| anyhow::anyhow!("no pixmap of {WIDTH}×{HEIGHT}"))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    Ok(pixmap.encode_png()?)
}

pub(super) async fn preview(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let row = db::read::statements::get(&state.db, &slug)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or_else(|| HttpError::not_found("no such statement"))?;
    let c = &state.coalition;
    // As the page chooses: `?lang=` if the text has it, else the interface's language.
    let ui = Ui::choose(query.as_deref(), &headers, c.languages.first());
    let text = shown_text(&row.texts, query.as_deref(), ui);
    let (lang, title) = text.map_or((String::new(), row.slug.as_str()), |t| {
        (t.lang.clone(), t.title.as_str())
    });
    let count = db::read::cosign::tally(&state.db, &row.slug).await?.total();
    let key = PreviewKey {
        slug: row.slug.clone(),
        version: row.current_version,
        lang,
        count,
    };
    let png = match state.previews.get(&key) {
        Some(png) => png,
        None => {
            let svg = svg(&c.name, title, count)?;
            let png = tokio::task::spawn_blocking(move || rasterise(&svg))
                .await
                .map_err(|e| HttpError::Internal(e.into()))?
                .map_err(HttpError::Internal)?;
            let png = Bytes::from(png);
            state.previews.insert(key, png.clone());
            png
        }
    };
    Ok(image_response(png, "image/png"))
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn short_titles_stay_on_one_line() {
        assert_eq!(wrap("Pour le vélo", 26, 3), ["Pour le vélo"]);
        assert!(wrap("", 26, 3).is_empty());
    }

    #[test]
    fn long_titles_wrap_between_words() {
        let lines = wrap(
            "Pour des pistes cyclables continues dans toute la métropole",
            26,
            3,
        );
        assert_eq!(
            lines,
            [
                "Pour des pistes cyclables",
                "continues dans toute la",
                "métropole"
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 26));
    }

    #[test]
    fn titles_longer_than_three_lines_end_in_an_ellipsis() {
        let title = "un deux trois quatre cinq six sept huit neuf dix onze douze treize";
        let lines = wrap(title, 12, 3);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "un deux");
        assert!(lines[2].ends_with('…'), "{lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 12), "{lines:?}");
        // Exactly three full lines: nothing is cut.
        assert_eq!(wrap("aaaa bbbb cccc", 4, 3), ["aaaa", "bbbb", "cccc"]);
    }

    #[test]
    fn words_longer_than_a_line_are_cut() {
        assert_eq!(wrap("abcdefghij", 4, 3), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("abcdefghijklmnop", 4, 3), ["abcd", "efgh", "ijk…"]);
    }

    #[test]
    fn the_image_is_a_png_of_1200_by_630_with_the_title_escaped() {
        let svg = super::svg("Coalition <&>", "Vélo & \"ville\" <script>", 3).unwrap();
        assert!(
            svg.contains("Vélo &#38; &#34;ville&#34; &#60;script"),
            "{svg}"
        );
        assert!(!svg.contains("<script>"));
        let png = super::rasterise(&svg).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[16..24], &[0, 0, 4, 176, 0, 0, 2, 118]);
    }
}
