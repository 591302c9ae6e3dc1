//! The CLI's help: every command and argument described, examples for each command group,
//! and `tribune statement new`, whose template publishes as it is.

use clap::CommandFactory;

use crate::helpers::{Backend, World, on_both_backends};

on_both_backends!(a_new_statement_publishes_as_it_is);

/// Every command, subcommand and argument (positional or option) of `tribune` has a
/// description; clap's own `help` and `--help`/`--version` aside.
#[test]
fn every_command_and_argument_is_described() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        if cmd
            .get_about()
            .is_none_or(|a| a.to_string().trim().is_empty())
        {
            missing.push(format!("{path}: no about"));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg
                .get_help()
                .is_none_or(|h| h.to_string().trim().is_empty())
            {
                missing.push(format!("{path} {id}: no help"));
            }
            if arg.is_positional()
                && arg
                    .get_value_names()
                    .is_none_or(|names| names.iter().any(|n| n.as_str() == "VALUE"))
            {
                missing.push(format!("{path} {id}: no value name saying what it is"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() != "help" {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
    }
    let mut missing = Vec::new();
    walk(&tribune::cli::Cli::command(), "tribune", &mut missing);
    assert!(missing.is_empty(), "undescribed:\n{}", missing.join("\n"));
}

/// `tribune help GROUP` ends with examples, for every command group.
#[test]
fn each_command_group_shows_examples() {
    let cli = tribune::cli::Cli::command();
    for group in cli.get_subcommands().filter(|c| c.has_subcommands()) {
        let name = group.get_name();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
            .args(["help", name])
            .output()
            .expect("run tribune");
        assert_eq!(out.status.code(), Some(0), "tribune help {name}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Examples:"), "tribune help {name}:\n{text}");
        assert!(
            text.contains(&format!("tribune {name} ")),
            "tribune help {name}:\n{text}"
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(["help", "statement"])
        .output()
        .expect("run tribune");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples"), "{text}");
    assert!(text.contains("tribune statement new"), "{text}");
}

/// `statement new SLUG --output FILE` writes a template in the coalition's languages that
/// publishes with its placeholders; it never overwrites a file; without --output it writes
/// the same template to standard output.
async fn a_new_statement_publishes_as_it_is(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = w.dir.path().join("f.md").display().to_string();
    let out = w
        .cli
        .run(&["statement", "new", "appel-2026", "--output", &file])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("slug = \"appel-2026\""), "{written}");
    for lang in ["fr", "en"] {
        assert!(written.contains(&format!("\n::: {lang}\n")), "{written}");
        assert!(written.contains(&format!("\n{lang} = \"")), "{written}");
    }
    assert!(written.contains("# image = "), "{written}");
    assert!(written.contains("# image_alt = "), "{written}");

    let stdout = w.cli.run(&["statement", "new", "appel-2026"]).await;
    assert_eq!(stdout.code, Some(0), "{}", stdout.stderr);
    assert_eq!(stdout.stdout, written);

    // Never over an existing file: exit 1, one sentence, the file as it was.
    std::fs::write(&file, "mine").unwrap();
    let again = w
        .cli
        .run(&["statement", "new", "autre", "--output", &file])
        .await;
    assert_eq!(again.code, Some(1), "{}", again.stderr);
    assert_eq!(again.stderr.trim().lines().count(), 1, "{}", again.stderr);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    std::fs::write(&file, &written).unwrap();

    let published = w.cli.run(&["statement", "publish", &file]).await;
    assert_eq!(published.code, Some(0), "{}", published.stderr);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM statements WHERE slug = 'appel-2026'")
            .await,
        1
    );
    let bad = w.cli.run(&["statement", "new", "Not A Slug"]).await;
    assert_eq!(bad.code, Some(1), "{}", bad.stderr);
}
