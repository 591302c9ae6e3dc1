//! The pages as a visitor sees them (#17), in headless Chromium at a desktop's and a phone's
//! width, on a coalition seeded with the real manifesto where `../shared/coalition/` is
//! present (else the example statement): what matters is at the top, nothing overflows.

use crate::{
    helpers::{Backend, World},
    webdriver::Browser,
};

/// The real manifesto as a statement file: the French and English texts cut from the
/// republished page, titles from their first lines. `None` when the file is not here.
pub fn manifesto_statement() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/coalition/hiatus-manifesto.txt");
    let text = std::fs::read_to_string(path).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let at = |p: &dyn Fn(&str) -> bool| lines.iter().position(|l| p(l));
    let fr_title = at(&|l| l.starts_with("L’IA contre"))?;
    let fr_end = at(&|l| l.starts_with("Premiers signataires"))?;
    let en_start = at(&|l| l.starts_with("English version"))?;
    let en_title = en_start
        + lines[en_start + 1..]
            .iter()
            .position(|l| !l.trim().is_empty())?
        + 1;
    let en_end = at(&|l| l.starts_with("First signatories"))?;
    let body = |from: usize, to: usize| -> String {
        lines[from..to]
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let quote = |s: &str| s.trim().trim_end_matches('”').replace('"', "\\\"");
    Some(format!(
        "+++\nslug = \"hiatus\"\npinned = true\ntags = [\"hiatus\"]\n[title]\nfr = \"{}\"\nen = \"{}\"\n+++\n::: fr\n{}\n\n::: en\n{}\n",
        quote(lines[fr_title]),
        quote(lines[en_title]),
        body(fr_title + 1, fr_end),
        body(en_title + 1, en_end),
    ))
}

/// The manifesto if present, else the example statement; returns the statement's slug.
async fn seed(w: &World) -> &'static str {
    match manifesto_statement() {
        Some(text) => {
            let file = w.file("hiatus.md", &text);
            w.cli.ok(&["statement", "publish", &file]).await;
            "hiatus"
        }
        None => {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hiatus.md");
            w.cli
                .ok(&["statement", "publish", file.to_str().unwrap()])
                .await;
            "appel-hiatus"
        }
    }
}

/// The top of `css`'s first element and its bottom, in page pixels.
async fn span_of(b: &Browser, css: &str) -> (f64, f64) {
    let v = b
        .eval(&format!(
            "const r = document.querySelector('{css}').getBoundingClientRect(); \
             return [r.top + window.scrollY, r.bottom + window.scrollY];"
        ))
        .await;
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statement_page_puts_counts_and_actions_first() {
    // A long profile field, as coalitions write them (it was clipped at 390 px).
    let w = World::start(
        Backend::Sqlite,
        "[[coalition.fields]]\nname = \"Site de la coalition\"\nvalue = \"https://www.une-adresse-vraiment-tres-longue-pour-un-site-associatif.example/manifeste-hiatus-2026\"\n",
        &[],
    )
    .await;
    let Some(desktop) = Browser::start(1280, 900).await else {
        return;
    };
    let slug = seed(&w).await;
    for lang in ["fr", "en"] {
        desktop
            .goto(&w.app.url(&format!("/statements/{slug}?lang={lang}")))
            .await;
        let (_, cosign_bottom) = span_of(&desktop, ".cosign-button").await;
        let (_, counts_bottom) = span_of(&desktop, ".counts").await;
        assert!(
            cosign_bottom <= 900.0 && counts_bottom <= 900.0,
            "{lang}: the co-sign button ends at {cosign_bottom} px, the counts at {counts_bottom} px"
        );
        desktop
            .screenshot(&format!("layout-statement-{lang}-1280"))
            .await;
    }
    // The profile: the pinned manifesto as an excerpt, the list, the members and the follow
    // form within a short scroll.
    for lang in ["fr", "en"] {
        desktop
            .goto(&w.app.url(&format!("/@coalition?lang={lang}")))
            .await;
        let height = desktop
            .eval("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap();
        assert!(height < 2500, "{lang}: the profile is {height} px tall");
        let more = desktop
            .eval("return [...document.querySelectorAll('.card a')].map(a => a.textContent);")
            .await;
        let words = if lang == "fr" {
            "Lire la suite"
        } else {
            "Read more"
        };
        assert!(more.to_string().contains(words), "{lang}: {more}");
        let (_, follow) = span_of(&desktop, "#follow-handle").await;
        assert!(
            follow < 2500.0,
            "{lang}: the follow form ends at {follow} px"
        );
        desktop
            .screenshot(&format!("layout-profile-{lang}-1280"))
            .await;
    }
    desktop.close().await;

    let Some(phone) = Browser::start(390, 844).await else {
        return;
    };
    for path in [
        format!("/statements/{slug}?lang=fr"),
        format!("/statements/{slug}?lang=en"),
        "/@coalition?lang=fr".to_owned(),
        "/members".to_owned(),
        "/tags/hiatus".to_owned(),
    ] {
        phone.goto(&w.app.url(&path)).await;
        let widths = phone
            .eval("return [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth];")
            .await;
        let (scroll, inner, client) = (
            widths[0].as_u64().unwrap(),
            widths[1].as_u64().unwrap(),
            widths[2].as_u64().unwrap(),
        );
        assert_eq!(client, 390, "{path}: the phone's width");
        assert!(
            scroll <= inner,
            "{path}: {scroll} px wide in a {inner} px window"
        );
        // Nothing sticks out (an overflow the page clips would not widen the document).
        let wide = phone
            .eval(
                "const w = document.documentElement.clientWidth; \
                 return [...document.body.querySelectorAll('*')] \
                   .filter(e => e.getBoundingClientRect().right > w + 1) \
                   .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40));",
            )
            .await;
        assert_eq!(wide, serde_json::json!([]), "{path}: wider than the screen");
        let name = path.replace(['/', '?', '=', '@'], "_");
        phone.screenshot(&format!("layout{name}-390")).await;
    }
    phone.close().await;
}
