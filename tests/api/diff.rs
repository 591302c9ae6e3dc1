//! `tribune statement diff`: an edit's changes, each in its own language.

use crate::helpers::{Backend, World, on_both_backends};

on_both_backends!(an_edit_shows_its_changes_language_by_language);

fn statement(en_title: &str, fr_sentence: &str, tags: &str) -> String {
    format!(
        r#"+++
slug = "appel-foret"
tags = [{tags}]

[title]
fr = "Appel « Forêt vivante »"
en = "{en_title}"
+++

::: fr
Nous, associations, déclarons :

{fr_sentence}

Les coupes rases détruisent les sols.
Les rivières s’assèchent.
Les oiseaux se taisent.
Nous demandons un moratoire.

Signez avant l’été.

::: en
We, associations, declare:

The forest is not for sale.
"#
    )
}

async fn an_edit_shows_its_changes_language_by_language(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let v1 = statement(
        "Call for a Living Forest",
        "« La forêt n’est pas à vendre. »",
        r#""forêt""#,
    );
    w.cli
        .ok(&["statement", "publish", &w.file("v1.md", &v1)])
        .await;

    // One version only: nothing before it.
    let out = w.cli.run(&["statement", "diff", "appel-foret"]).await;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(out.stderr.contains("first version"), "{}", out.stderr);

    let v2 = statement(
        "Call for a Forest Alive",
        "« La forêt n’est pas une marchandise. »",
        r#""forêt", "climat""#,
    );
    w.cli
        .ok(&["statement", "edit", "appel-foret", &w.file("v2.md", &v2)])
        .await;

    let out = w.cli.ok(&["statement", "diff", "appel-foret"]).await;
    let lines: Vec<&str> = out.lines().collect();
    let at = |line: &str| {
        lines
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("no line {line:?} in:\n{out}"))
    };
    // French: the changed sentence, with unchanged lines around it as context only.
    let fr = at("--- v1 fr text");
    assert_eq!(lines[fr + 1], "+++ v2 fr text");
    let removed = at("-« La forêt n’est pas à vendre. »");
    let added = at("+« La forêt n’est pas une marchandise. »");
    assert!(fr < removed && removed < added, "{out}");
    assert_eq!(
        lines[at(" Nous, associations, déclarons :")],
        " Nous, associations, déclarons :"
    );
    assert!(at(" Les coupes rases détruisent les sols.") > added);
    assert!(
        lines.contains(&"@@ 5 unchanged line(s) @@"),
        "unchanged lines beyond the context are folded:\n{out}"
    );
    // English: the title only.
    let en = at("--- v1 en title");
    assert_eq!(lines[en + 1], "+++ v2 en title");
    assert_eq!(lines[en + 2], "-Call for a Living Forest");
    assert_eq!(lines[en + 3], "+Call for a Forest Alive");
    // What did not change is not shown as a change.
    for unchanged in ["fr title", "en text"] {
        assert!(!out.contains(&format!("--- v1 {unchanged}")), "{out}");
    }
    let changes: Vec<&&str> = lines
        .iter()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    // The tags, recorded with each version: one added.
    let tags = at("--- v1 tags");
    assert_eq!(
        lines[tags + 1..tags + 4],
        ["+++ v2 tags", " forêt", "+climat"]
    );
    assert!(!out.contains("not recorded"), "{out}");
    assert_eq!(changes.len(), 5, "two lines removed, three added:\n{out}");
    assert!(!out.contains("Signez avant"), "beyond the context:\n{out}");
    assert!(!out.contains("The forest is not for sale"), "{out}");

    // The same with the versions named; the other way round swaps the signs.
    assert_eq!(
        w.cli
            .ok(&[
                "statement",
                "diff",
                "appel-foret",
                "--from",
                "1",
                "--to",
                "2"
            ])
            .await,
        out
    );
    let back = w
        .cli
        .ok(&[
            "statement",
            "diff",
            "appel-foret",
            "--from",
            "2",
            "--to",
            "1",
        ])
        .await;
    assert!(back.contains("+« La forêt n’est pas à vendre. »"), "{back}");
    let same = w
        .cli
        .ok(&[
            "statement",
            "diff",
            "appel-foret",
            "--from",
            "2",
            "--to",
            "2",
        ])
        .await;
    assert!(same.contains("no differences between v2 and v2"), "{same}");

    // A version made before versions kept their tags: those are not compared.
    w.db.execute("UPDATE statement_versions SET tags = NULL, mentions = NULL WHERE version = 1")
        .await;
    let old = w.cli.ok(&["statement", "diff", "appel-foret"]).await;
    assert!(!old.contains("--- v1 tags"), "{old}");
    assert!(
        old.contains("# tags, image and mentions were not recorded for v1 or v2: not compared"),
        "{old}"
    );
    assert!(
        old.contains("+« La forêt n’est pas une marchandise. »"),
        "{old}"
    );

    // Unknown versions and statements: a clear error, a non-zero exit, nothing printed.
    for (args, says) in [
        (
            &["--to", "9"][..],
            "--to: appel-foret has no version 9 (its versions are 1 to 2)",
        ),
        (&["--from", "0"][..], "--from: appel-foret has no version 0"),
    ] {
        let out = w
            .cli
            .run(&[&["statement", "diff", "appel-foret"][..], args].concat())
            .await;
        assert_eq!(out.code, Some(1), "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    let out = w.cli.run(&["statement", "diff", "nulle-part"]).await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("no statement nulle-part"),
        "{}",
        out.stderr
    );
}
