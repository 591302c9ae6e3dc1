//! Markdown in, sanitised HTML out, limited to what Mastodon keeps.
//!
//! Mastodon's sanitiser (`lib/sanitize_ext/sanitize_config.rb`, docs/interop.md §5) keeps
//! `p br span a del s pre blockquote code b strong u i em ul ol li`, turns headings into
//! `<p><strong>` and strips images, rules and tables. We render to that same subset, so that
//! what the coalition's page shows is what followers see: headings become bold paragraphs,
//! raw HTML in the source is shown as text, and links keep http(s) and mailto only.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The tags Mastodon keeps.
const ALLOWED_TAGS: [&str; 17] = [
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
];

pub fn to_html(markdown: &str) -> String {
    render(events(markdown))
}

/// The source as Markdown events, before they are narrowed to Mastodon's subset.
pub fn events(markdown: &str) -> Parser<'_> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    Parser::new_ext(markdown, options)
}

/// Events (all of a source's, or the opening that an excerpt keeps) as sanitised HTML.
pub fn render<'a>(events: impl Iterator<Item = Event<'a>>) -> String {
    let events = events.map(|event| match event {
        // Headings: a bold paragraph, as Mastodon would make of them anyway.
        Event::Start(Tag::Heading { .. }) => Event::Html("<p><strong>".into()),
        Event::End(TagEnd::Heading(_)) => Event::Html("</strong></p>".into()),
        // Raw HTML in the source is text, not markup.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        // Mastodon strips images: keep their alt text as text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => Event::Text("".into()),
        Event::Rule => Event::Html("<p>—</p>".into()),
        other => other,
    });
    let mut raw = String::new();
    html::push_html(&mut raw, events);
    sanitise(&raw)
}

/// Keep Mastodon's subset of HTML; links open elsewhere and carry no referrer.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .tags(ALLOWED_TAGS.into_iter().collect())
        .tag_attributes(
            [
                ("a", ["href"].into_iter().collect()),
                ("span", ["class"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .generic_attributes(Default::default())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(html)
        .to_string()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn renders_what_mastodon_keeps() {
        assert_eq!(
            to_html("# Titre\n\nUn *texte* avec un [lien](https://example.org/)."),
            "<p><strong>Titre</strong></p>\n<p>Un <em>texte</em> avec un <a href=\"https://example.org/\" rel=\"nofollow noopener noreferrer\">lien</a>.</p>"
        );
        assert_eq!(to_html("- a\n- b"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
    }

    #[test]
    fn raw_html_and_dangerous_links_do_not_survive() {
        let html =
            to_html("<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b onclick=\"x\">b</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<b onclick"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn images_and_tables_are_dropped() {
        let html = to_html("![alt](https://x/y.png)\n\n---");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<hr"), "{html}");
    }
}
