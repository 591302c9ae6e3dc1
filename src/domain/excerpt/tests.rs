//! Excerpts: whole paragraphs while they fit, a clean cut otherwise, the link only when cut.

use super::*;

fn words(n: usize, word: &str) -> String {
    vec![word; n].join(" ")
}

#[test]
fn a_short_text_is_whole_and_has_no_link() {
    let e = excerpt("Un paragraphe.\n\nUn autre.", 500);
    assert_eq!(e.html, markdown::to_html("Un paragraphe.\n\nUn autre."));
    assert!(!e.cut);
    let html = language_excerpt_html("Titre", "Un paragraphe.", "fr", "https://x/s/a");
    assert_eq!(html, "<p><strong>Titre</strong></p><p>Un paragraphe.</p>");
}

#[test]
fn whole_paragraphs_are_kept_while_they_fit() {
    let first = words(40, "premier"); // 319 characters, more than half the bound
    let second = words(30, "deuxième"); // 269
    let third = words(10, "troisième");
    let source = format!("{first}\n\n{second}\n\n{third}");
    let e = excerpt(&source, 500);
    assert!(e.cut);
    assert_eq!(
        e.html,
        format!("<p>{first}</p>"),
        "the second would cross 500"
    );
    assert!(
        !e.html.contains(ELLIPSIS),
        "cut between paragraphs: {}",
        e.html
    );
}

#[test]
fn a_long_first_paragraph_is_cut_after_a_sentence_or_a_word() {
    let sentence = "Nous, associations, déclarons ceci. ";
    let source = sentence.repeat(40);
    let e = excerpt(&source, 500);
    assert!(e.cut);
    let text = e.html.trim_start_matches("<p>").trim_end_matches("</p>");
    assert!(text.ends_with("ceci. […]"), "{text}");
    assert!(text.chars().count() <= 500 + 4, "{}", text.chars().count());
    assert!(text.chars().count() > 250, "the cut is in the second half");

    let no_sentence = words(200, "mot");
    let e = excerpt(&no_sentence, 500);
    let text = e.html.trim_start_matches("<p>").trim_end_matches("</p>");
    assert!(text.ends_with("mot […]"), "cut between words: {text}");
    assert!(!text.contains("mo […]"));
}

#[test]
fn open_elements_are_closed_where_the_cut_falls() {
    let source = format!(
        "- *{}*\n- second\n\n## Plus\n\nsuite",
        words(300, "emphase")
    );
    let e = excerpt(&source, 100);
    assert!(e.cut);
    assert!(e.html.starts_with("<ul>\n<li><em>emphase"), "{}", e.html);
    assert!(e.html.ends_with("[…]</em></li>\n</ul>"), "{}", e.html);
    assert!(!e.html.contains("second"));
}

#[test]
fn a_short_heading_does_not_make_the_whole_excerpt() {
    let source = format!("# Titre\n\n{}", words(200, "texte"));
    let e = excerpt(&source, 500);
    assert!(
        e.html.starts_with("<p><strong>Titre</strong></p>"),
        "{}",
        e.html
    );
    assert!(
        e.html.contains("texte texte"),
        "the paragraph is shortened, not dropped"
    );
}

#[test]
fn the_link_is_in_the_language_of_the_text() {
    let long = words(200, "mot");
    let html = language_excerpt_html("T", &long, "fr", "https://x.example/statements/a");
    assert!(html.ends_with("<p><a href=\"https://x.example/statements/a\">Lire la suite</a></p>"));
    assert_eq!(read_more("en-GB"), "Read more");
    assert_eq!(read_more("pt-BR"), "Continuar a ler");
    assert_eq!(read_more("eu"), "Read more");
}

#[test]
fn markup_is_not_counted_as_text() {
    let source = format!("[{}](https://example.org/)", words(40, "lien"));
    let e = excerpt(&source, 500);
    assert!(!e.cut, "199 characters of text, whatever the URL");
}
