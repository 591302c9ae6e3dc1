//! Statement files: the format, and every refusal naming its field.

use super::*;

fn langs() -> Vec<LanguageTag> {
    vec![
        LanguageTag::parse("fr").unwrap(),
        LanguageTag::parse("en").unwrap(),
    ]
}

const GOOD: &str = "+++\nslug = \"manifeste-2026\"\ntags = [\"climat\", \"#Justice\", \"climat\"]\npinned = true\n\n[title]\nen = \"2026 Manifesto\"\nfr = \"Manifeste 2026\"\n+++\n\n::: en\nEnglish *text*.\n\n::: fr\nTexte français.\n";

#[test]
fn parses_a_bilingual_statement_primary_language_first() {
    let d = parse(GOOD, &langs()).unwrap();
    assert_eq!(d.slug.unwrap().as_str(), "manifeste-2026");
    assert_eq!(d.texts[0].lang.as_str(), "fr");
    assert_eq!(d.texts[0].title, "Manifeste 2026");
    assert_eq!(d.texts[1].markdown, "English *text*.");
    let tags: Vec<&str> = d.tags.iter().map(Hashtag::as_str).collect();
    assert_eq!(tags, ["climat", "Justice"]);
    assert_eq!(d.pinned, Some(true));
    assert_eq!(
        language_html(&d.texts[1]),
        "<p><strong>2026 Manifesto</strong></p><p>English <em>text</em>.</p>"
    );
}

#[test]
fn errors_name_the_field() {
    let cases = [
        ("no front matter", "front matter"),
        ("+++\nslug = \"x\"\n", "front matter"),
        (
            "+++\nslug = \"Not A Slug\"\n[title]\nfr = \"t\"\n+++\n::: fr\nx\n",
            "slug",
        ),
        ("+++\nslug = \"x\"\ncolour = 1\n+++\n", "front matter"),
        ("+++\nslug = \"x\"\n[title]\nfr = \"t\"\n+++\n", "::: fr"),
        (
            "+++\nslug = \"x\"\n[title]\nfr = \"t\"\n+++\n::: fr\nx\n::: en\ny\n",
            "title.en",
        ),
        (
            "+++\nslug = \"x\"\n[title]\nde = \"t\"\n+++\n::: de\nx\n",
            "title.de",
        ),
        (
            "+++\nslug = \"x\"\n[title]\nen = \"t\"\n+++\n::: en\nx\n",
            "title.fr",
        ),
        (
            "+++\nslug = \"x\"\ntags = [\"a b\"]\n[title]\nfr = \"t\"\n+++\n::: fr\nx\n",
            "tags[0]",
        ),
        (
            "+++\nslug = \"x\"\nimage_alt = \"a\"\n[title]\nfr = \"t\"\n+++\n::: fr\nx\n",
            "image_alt",
        ),
        (
            "+++\nslug = \"x\"\n[title]\nfr = \"t\"\n+++\nstray\n::: fr\nx\n",
            "text",
        ),
        (
            "+++\nslug = \"x\"\n[title]\nfr = \"t\"\n+++\n::: fr\n\n",
            "::: fr",
        ),
    ];
    for (source, field) in cases {
        let err = parse(source, &langs()).unwrap_err();
        assert_eq!(err.field, field, "{source:?}: {err}");
    }
}

#[test]
fn slugs_and_hashtags() {
    assert!(Slug::parse("a-1-b").is_ok());
    for bad in ["", "A", "a--b", "-a", "a_b", "é"] {
        assert!(Slug::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Hashtag::parse("#Écologie").unwrap().normalised(),
        "écologie"
    );
    assert!(Hashtag::parse("2026").is_err());
}

#[test]
fn federate_defaults_to_an_excerpt_and_names_its_field() {
    assert_eq!(parse(GOOD, &langs()).unwrap().federate, Federate::Excerpt);
    let full = GOOD.replace("pinned = true\n", "pinned = true\nfederate = \"full\"\n");
    assert_eq!(parse(&full, &langs()).unwrap().federate, Federate::Full);
    let bad = GOOD.replace("pinned = true\n", "pinned = true\nfederate = \"all\"\n");
    assert_eq!(parse(&bad, &langs()).unwrap_err().field, "federate");
}

#[test]
fn the_size_limit_counts_bytes_per_language_and_names_the_language() {
    let d = parse(GOOD, &langs()).unwrap();
    // French: "Manifeste 2026" and "Texte français.", 29 characters but 30 bytes (ç takes
    // two); English: "2026 Manifesto" and "English *text*.", 29 bytes.
    assert!(d.check_size(30).is_ok());
    let err = d.check_size(29).unwrap_err();
    assert_eq!(err.field, "::: fr");
    assert!(
        err.problem.contains("30 bytes") && err.problem.contains("limit of 29 bytes"),
        "{err}"
    );
    let english_only = GOOD.replace("Texte français.", "Texte");
    let err = parse(&english_only, &langs())
        .unwrap()
        .check_size(28)
        .unwrap_err();
    assert_eq!(err.field, "::: en", "{err}");
}
