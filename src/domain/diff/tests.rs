//! Comparing versions: per language and per field, French and English side by side.

use super::*;

fn text(lang: &str, title: &str, markdown: &str) -> StoredText {
    StoredText {
        lang: lang.to_owned(),
        title: title.to_owned(),
        markdown: markdown.to_owned(),
        html: String::new(),
    }
}

fn version(number: i32, texts: Vec<StoredText>) -> Version {
    Version {
        number,
        texts,
        details: None,
    }
}

fn same(s: &str) -> Hunk {
    Hunk::Same(s.to_owned())
}
fn removed(s: &str) -> Hunk {
    Hunk::Removed(s.to_owned())
}
fn added(s: &str) -> Hunk {
    Hunk::Added(s.to_owned())
}

const FR_V1: &str =
    "Nous, associations, déclarons :\n\n« La forêt n’est pas à vendre. »\n\nSignez avant l’été.";
const FR_V2: &str = "Nous, associations, déclarons :\n\n« La forêt n’est pas une marchandise. »\n\nSignez avant l’été.";

fn manifesto(number: i32, fr: &str, en_title: &str) -> Version {
    version(
        number,
        vec![
            text("fr", "Manifeste pour la forêt", fr),
            text(
                "en",
                en_title,
                "We, associations, declare:\n\nThe forest is not for sale.",
            ),
        ],
    )
}

#[test]
fn a_french_sentence_and_an_english_title_each_show_in_their_language() {
    let d = compare(
        &manifesto(1, FR_V1, "A Manifesto for the Forest"),
        &manifesto(2, FR_V2, "Manifesto for the Forest"),
        CONTEXT_LINES,
    );
    assert_eq!((d.from, d.to), (1, 2));
    assert!(!d.is_empty());
    let langs: Vec<&str> = d.languages.iter().map(|l| l.lang.as_str()).collect();
    assert_eq!(langs, ["fr", "en"], "the newer version's order");

    let fr = &d.languages[0];
    assert_eq!(fr.presence, Presence::Both);
    assert_eq!(fr.fields.len(), 1, "the French title did not change");
    assert_eq!(fr.fields[0].field, Field::Text);
    assert_eq!(
        fr.fields[0].hunks,
        [
            same("Nous, associations, déclarons :"),
            same(""),
            removed("« La forêt n’est pas à vendre. »"),
            added("« La forêt n’est pas une marchandise. »"),
            same(""),
            same("Signez avant l’été."),
        ]
    );

    let en = &d.languages[1];
    assert_eq!(en.fields.len(), 1, "the English text did not change");
    assert_eq!(en.fields[0].field, Field::Title);
    assert!(en.fields[0].field.by_words());
    assert_eq!(
        en.fields[0].hunks,
        [removed("A "), same("Manifesto for the Forest")]
    );
    assert_eq!(
        en.fields[0].old_and_new(),
        (
            "A Manifesto for the Forest".to_owned(),
            "Manifesto for the Forest".to_owned()
        )
    );
    assert!(!d.details_compared && d.fields.is_empty());
}

#[test]
fn titles_compare_word_by_word_with_accents_and_guillemets() {
    // French typography: a no-break space inside the guillemets.
    let hunks = words(
        "Manifeste « Forêt\u{a0}vivante » 2026",
        "Manifeste « Forêt\u{a0}commune » 2027",
    );
    assert_eq!(
        hunks,
        [
            same("Manifeste « Forêt\u{a0}"),
            removed("vivante"),
            added("commune"),
            same(" » "),
            removed("2026"),
            added("2027"),
        ]
    );
    // Neighbouring replaced words read as one replacement, not as two.
    assert_eq!(
        words(
            "Appel des associations",
            "Déclaration commune des associations"
        ),
        [
            removed("Appel"),
            added("Déclaration commune"),
            same(" des associations"),
        ]
    );
    assert_eq!(words("Même titre", "Même titre"), [same("Même titre")]);
}

#[test]
fn long_unchanged_stretches_fold_to_two_lines_of_context() {
    let old: Vec<String> = (1..=20).map(|i| format!("Ligne {i} — inchangée")).collect();
    let mut new = old.clone();
    new[9] = "Ligne 10 — modifiée".to_owned();
    let d = compare(
        &version(1, vec![text("fr", "Titre", &old.join("\n"))]),
        &version(2, vec![text("fr", "Titre", &new.join("\n"))]),
        CONTEXT_LINES,
    );
    assert_eq!(
        d.languages[0].fields[0].hunks,
        [
            Hunk::Skipped(7),
            same("Ligne 8 — inchangée"),
            same("Ligne 9 — inchangée"),
            removed("Ligne 10 — inchangée"),
            added("Ligne 10 — modifiée"),
            same("Ligne 11 — inchangée"),
            same("Ligne 12 — inchangée"),
            Hunk::Skipped(8),
        ]
    );
}

#[test]
fn folding_keeps_context_between_changes_and_never_folds_one_line() {
    let line = |i: usize| same(&format!("l{i}"));
    let change = || removed("x");
    // Five unchanged lines between two changes: 2 + 1 + 2, so nothing to gain by folding.
    let five: Vec<Hunk> = [change()]
        .into_iter()
        .chain((1..=5).map(line))
        .chain([change()])
        .collect();
    assert_eq!(fold(five.clone(), 2), five);
    // Six: two after, two folded, two before.
    let six: Vec<Hunk> = [change()]
        .into_iter()
        .chain((1..=6).map(line))
        .chain([change()])
        .collect();
    assert_eq!(
        fold(six, 2),
        [
            change(),
            line(1),
            line(2),
            Hunk::Skipped(2),
            line(5),
            line(6),
            change()
        ]
    );
    // Context 0: every unchanged run goes, but a single line.
    assert_eq!(
        fold(vec![line(1), line(2), change(), line(3)], 0),
        [Hunk::Skipped(2), change(), line(3)]
    );
}

#[test]
fn a_last_line_without_a_line_end_matches_the_same_line_followed_by_more() {
    assert_eq!(
        lines("Premier.\nDeuxième.", "Premier.\nDeuxième.\nTroisième."),
        [same("Premier."), same("Deuxième."), added("Troisième.")]
    );
    assert_eq!(
        lines("a\r\nb", "a\nb"),
        [same("a"), same("b")],
        "CRLF or LF, the same lines"
    );
}

#[test]
fn languages_added_and_removed_are_whole_and_listed_after_the_new_ones() {
    let old = version(
        1,
        vec![
            text("fr", "Appel", "Texte."),
            text("de", "Aufruf", "Text.\nMehr."),
        ],
    );
    let new = version(
        2,
        vec![text("fr", "Appel", "Texte."), text("en", "Call", "Text.")],
    );
    let d = compare(&old, &new, CONTEXT_LINES);
    let summary: Vec<(&str, Presence, usize)> = d
        .languages
        .iter()
        .map(|l| (l.lang.as_str(), l.presence, l.fields.len()))
        .collect();
    assert_eq!(
        summary,
        [
            ("fr", Presence::Both, 0),
            ("en", Presence::Added, 2),
            ("de", Presence::Removed, 2),
        ]
    );
    assert!(!d.languages[0].is_changed());
    assert_eq!(d.languages[1].fields[0].hunks, [added("Call")]);
    assert_eq!(
        d.languages[2].fields[1].hunks,
        [removed("Text."), removed("Mehr.")]
    );
}

#[test]
fn the_same_version_twice_differs_in_nothing() {
    let v = manifesto(3, FR_V1, "A Manifesto");
    let d = compare(&v, &v, CONTEXT_LINES);
    assert!(d.is_empty());
    assert_eq!(d.languages.len(), 2);
}

#[test]
fn details_compare_when_both_versions_recorded_them() {
    let mut old = manifesto(1, FR_V1, "A Manifesto");
    let mut new = manifesto(2, FR_V1, "A Manifesto");
    old.details = Some(Details {
        tags: vec!["climat".into(), "forêt".into()],
        image: Some("aaa".into()),
        image_alt: Some("Affiche / Poster".into()),
        mentions: vec!["@amis@example.org".into()],
    });
    new.details = Some(Details {
        tags: vec!["climat".into(), "forêts".into(), "justice".into()],
        image: Some("bbb".into()),
        image_alt: Some("Affiche de la marche / Poster".into()),
        mentions: vec!["@amis@example.org".into()],
    });
    let d = compare(&old, &new, CONTEXT_LINES);
    assert!(d.details_compared);
    assert!(d.languages.iter().all(|l| !l.is_changed()));
    let fields: Vec<Field> = d.fields.iter().map(|f| f.field).collect();
    assert_eq!(
        fields,
        [Field::Tags, Field::Image, Field::ImageAlt],
        "mentions did not change"
    );
    assert_eq!(
        d.fields[0].hunks,
        [
            same("climat"),
            removed("forêt"),
            added("forêts"),
            added("justice")
        ]
    );
    assert_eq!(d.fields[1].hunks, [removed("aaa"), added("bbb")]);
    assert_eq!(
        d.fields[2].hunks,
        [same("Affiche "), added("de la marche "), same("/ Poster")]
    );

    // An image removed, its description with it.
    new.details = Some(Details {
        image: None,
        image_alt: None,
        ..old.details.clone().unwrap_or_default()
    });
    let d = compare(&old, &new, CONTEXT_LINES);
    assert_eq!(d.fields[0].hunks, [removed("aaa")]);
    assert_eq!(d.fields[1].hunks, [removed("Affiche / Poster")]);

    // One side unrecorded: nothing said about the details.
    new.details = None;
    let d = compare(&old, &new, CONTEXT_LINES);
    assert!(!d.details_compared && d.fields.is_empty() && d.is_empty());
}

#[test]
fn serialises_for_a_page_or_an_api() {
    let d = compare(
        &manifesto(1, FR_V1, "A Manifesto"),
        &manifesto(2, FR_V1, "The Manifesto"),
        CONTEXT_LINES,
    );
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(json["languages"][1]["lang"], "en");
    assert_eq!(json["languages"][1]["presence"], "both");
    assert_eq!(json["languages"][1]["fields"][0]["field"], "title");
    assert_eq!(
        json["languages"][1]["fields"][0]["hunks"],
        serde_json::json!([{"removed": "A"}, {"added": "The"}, {"same": " Manifesto"}])
    );
}
