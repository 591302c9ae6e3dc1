//! The public pages a visitor follows links to (#17): tags.

use crate::helpers::{Backend, World, on_both_backends};

on_both_backends!(
    every_hashtag_link_of_a_note_leads_to_its_tag_page,
    the_badge_is_svg_with_the_count,
    the_link_preview_is_a_png_made_again_when_the_count_changes,
    every_link_of_the_public_pages_answers
);

const STATEMENT: &str = "+++\nslug = \"appel\"\ntags = [\"climat\", \"Solidarite\"]\n[title]\nfr = \"Appel\"\nen = \"Call\"\n+++\n::: fr\nTexte des pouvoirs.\n\nCe texte est le nôtre.\n::: en\nText.\n";
const OTHER: &str = "+++\nslug = \"autre\"\ntags = [\"climat\"]\n[title]\nfr = \"Autre\"\n+++\n::: fr\nAutre texte.\n";

async fn every_hashtag_link_of_a_note_leads_to_its_tag_page(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    for (name, text) in [("a.md", STATEMENT), ("b.md", OTHER)] {
        let file = w.file(name, text);
        w.cli.ok(&["statement", "publish", &file]).await;
    }
    let note = w.app.get_ap(&w.app.url("/statements/appel")).await;
    let hrefs: Vec<String> = note["tag"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "Hashtag")
        .map(|t| t["href"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hrefs.len(), 2, "{note}");
    for href in &hrefs {
        let res = w
            .app
            .client
            .get(href)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{href}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Appel"), "{href}: {html}");
        // The content's own links say the same.
        assert!(note["content"].as_str().unwrap().contains(href.as_str()));
    }
    let climat = w
        .app
        .get("/tags/climat?lang=fr", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(climat.contains("<h1>#climat</h1>"), "{climat}");
    assert!(
        climat.contains("Appel") && climat.contains("Autre"),
        "{climat}"
    );
    assert!(climat.contains("/tags/climat/feed.atom"));
    let solidarite = w
        .app
        .get("/tags/solidarite", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(!solidarite.contains("Autre"), "only what carries the tag");

    let feed = w
        .app
        .get("/tags/climat/feed.atom", "application/atom+xml")
        .await;
    assert_eq!(feed.status(), 200);
    let feed = atom_syndication::Feed::read_from(feed.text().await.unwrap().as_bytes()).unwrap();
    assert_eq!(feed.entries().len(), 2);
    assert!(feed.id().ends_with("/tags/climat/feed.atom"));

    // The statement page shows its tags, linked.
    let page = w
        .app
        .get("/statements/appel", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<a href=\"/tags/solidarite\" rel=\"tag\">#Solidarite</a>"),
        "{page}"
    );

    // The link preview's description keeps the paragraphs apart.
    assert!(
        page.contains("content=\"Texte des pouvoirs. Ce texte est le nôtre.\""),
        "{page}"
    );

    // No statement, or not a tag: 404, as a page.
    for path in ["/tags/inconnu", "/tags/a-b", "/tags/123"] {
        let res = w.app.get(path, "text/html").await;
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = w.app.get("/tags/inconnu", "text/html").await;
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

/// Well-formed XML whose root is an `svg` element; returns its text content.
fn svg_text(body: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut root = None;
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) if root.is_none() => {
                root = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            quick_xml::events::Event::Text(t) => text.push_str(&t.decode().unwrap()),
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("svg"));
    text
}

async fn the_badge_is_svg_with_the_count(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = w.file("a.md", STATEMENT);
    w.cli.ok(&["statement", "publish", &file]).await;
    let get = async || {
        let res = w.app.get("/statements/appel/badge.svg", "image/*").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"],
            "image/svg+xml; charset=utf-8"
        );
        assert_eq!(
            res.headers()["cross-origin-resource-policy"],
            "cross-origin"
        );
        res.text().await.unwrap()
    };
    let body = get().await;
    assert!(body.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg_text(&body).contains("0 signatures"), "{body}");
    w.cli
        .ok(&["signatories", "add", "appel", "--name", "Ada"])
        .await;
    let body = get().await;
    assert!(svg_text(&body).contains("1 signature"), "{body}");
    assert!(body.contains(">1</text>"), "{body}");
    let res = w.app.get("/statements/nope/badge.svg", "image/*").await;
    assert_eq!(res.status(), 404);
}

/// The width and height an image's PNG header (its IHDR chunk) gives.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "{} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

async fn the_link_preview_is_a_png_made_again_when_the_count_changes(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = w.file("a.md", STATEMENT);
    w.cli.ok(&["statement", "publish", &file]).await;
    let get = async |lang: &str| {
        let res = w
            .app
            .get(
                &format!("/statements/appel/preview.png?lang={lang}"),
                "image/*",
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.headers()["cache-control"], "public, max-age=300");
        res.bytes().await.unwrap().to_vec()
    };
    let before = get("fr").await;
    assert_eq!(png_size(&before), (1200, 630));
    assert_eq!(
        get("fr").await,
        before,
        "the same image while nothing changed"
    );
    assert_ne!(get("en").await, before, "the English title");
    w.cli
        .ok(&["signatories", "add", "appel", "--name", "Ada"])
        .await;
    let after = get("fr").await;
    assert_eq!(png_size(&after), (1200, 630));
    // Kept as a test artefact, beside the pages' screenshots.
    let dir = std::env::temp_dir().join("tribune-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("preview-fr.png"), &after).unwrap();
    assert_ne!(after, before, "a new image for the new count");

    // The page's og:image is this image, in the page's language.
    let page = w
        .app
        .get("/statements/appel?lang=en", "text/html")
        .await
        .text()
        .await
        .unwrap();
    let og = format!(
        "<meta property=\"og:image\" content=\"{}\">",
        w.app.url("/statements/appel/preview.png?lang=en")
    );
    assert!(page.contains(&og), "{page}");
    assert!(page.contains("<meta property=\"og:image:width\" content=\"1200\">"));
    assert!(page.contains("<meta property=\"og:image:height\" content=\"630\">"));

    let res = w.app.get("/statements/nope/preview.png", "image/*").await;
    assert_eq!(res.status(), 404);
    w.cli.ok(&["statement", "delete", "appel"]).await;
    let res = w.app.get("/statements/appel/preview.png", "image/*").await;
    assert_eq!(res.status(), 404, "a deleted statement has no image");
}

/// Every `href` of a page, made absolute against `base` (same-site links only).
fn links(html: &str, page: &url::Url) -> Vec<url::Url> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter_map(|h| page.join(&h).ok())
        .filter(|u| u.host_str() == page.host_str() && u.port() == page.port())
        .collect()
}

/// #17's acceptance: every link on the profile, statement and tag pages answers 200, in
/// both languages (the stylesheet, feeds, tags, versions, language switches, members).
async fn every_link_of_the_public_pages_answers(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let statement = match crate::layout::manifesto_statement() {
        Some(text) => text,
        None => std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hiatus.md"),
        )
        .unwrap(),
    };
    let file = w.file("s.md", &statement);
    let out = w.cli.ok(&["statement", "publish", &file]).await;
    let note = out.lines().last().unwrap().to_owned();
    let mut pages = vec![
        w.app.url("/@coalition?lang=fr"),
        w.app.url("/@coalition?lang=en"),
        format!("{note}?lang=fr"),
        format!("{note}?lang=en"),
        w.app.url("/tags/hiatus"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(page) = pages.pop() {
        let url = url::Url::parse(&page).unwrap();
        let res = w
            .app
            .client
            .get(url.clone())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        let html = res.text().await.unwrap();
        for link in links(&html, &url) {
            if seen.insert(link.to_string()) {
                let res = w
                    .app
                    .client
                    .get(link.clone())
                    .header("accept", "text/html")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "{link}, linked from {url}");
            }
        }
    }
    assert!(seen.len() >= 8, "{seen:?}");
}
