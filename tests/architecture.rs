//! The house rules of docs/architecture.md, checked on the source: which room may import
//! which, SQL only in `db/`, outgoing activities only in `protocol/`, no file over 450 lines,
//! comments citing only what is in the repository.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

/// The rooms from the ground up. A room may use the rooms at its level or below, never one
/// above; `startup` and `cli` are the top floor, `main` above them.
const LEVELS: &[(&str, u8)] = &[
    ("domain", 0),
    ("util", 0),
    ("metrics", 0),
    ("config", 1),
    ("media", 2),
    ("db", 2),
    ("protocol", 3),
    ("transport", 4),
    ("state", 5),
    ("app", 6),
    ("federation", 7),
    ("http", 8),
    ("startup", 9),
    ("cli", 9),
    ("lib", 10),
    ("main", 10),
];

fn level(room: &str) -> u8 {
    LEVELS
        .iter()
        .find(|(r, _)| *r == room)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| panic!("{room} is not a room of docs/architecture.md"))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

struct File {
    /// Relative to `src/`.
    name: String,
    room: String,
    text: String,
}

fn files() -> Vec<File> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let first = name.split('/').next().unwrap();
            let room = first.trim_end_matches(".rs").to_owned();
            File {
                text: std::fs::read_to_string(&p).unwrap(),
                name,
                room,
            }
        })
        .collect()
}

/// The code of a file without its comments (`//` to the end of the line), so that a doc
/// comment naming a room is not an import.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rooms a file names through `crate::`: `crate::x::…` and each top-level name of
/// `crate::{x::…, y, …}`.
fn rooms_used(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut name = String::new();
            let mut at_top_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        at_top_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && at_top_start {
                    if c.is_alphanumeric() || c == '_' {
                        name.push(c);
                    } else if !name.is_empty() {
                        used.insert(std::mem::take(&mut name));
                        at_top_start = false;
                    }
                }
            }
            if !name.is_empty() {
                used.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used.remove("self");
    used
}

#[test]
fn imports_point_down_the_house() {
    let mut wrong = Vec::new();
    for f in files() {
        let from = level(&f.room);
        for room in rooms_used(&code(&f.text)) {
            if room == f.room {
                continue;
            }
            // Functions and macros at the crate's root (lib.rs).
            if room.chars().next().is_some_and(|c| !c.is_lowercase())
                || room == "install_crypto_provider"
            {
                continue;
            }
            if level(&room) > from {
                wrong.push(format!("{} ({}) uses {room}", f.name, f.room));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports pointing up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn nothing_imports_startup_but_main_and_cli() {
    for f in files() {
        if matches!(f.room.as_str(), "startup" | "cli" | "main" | "lib") {
            continue;
        }
        assert!(
            !rooms_used(&code(&f.text)).contains("startup"),
            "{} imports startup",
            f.name
        );
    }
}

#[test]
fn sql_lives_in_db_only() {
    for f in files().iter().filter(|f| f.room != "db") {
        assert!(!code(&f.text).contains("sqlx::"), "{} uses sqlx", f.name);
    }
}

#[test]
fn http_and_cli_reach_the_database_through_app_or_read_only_queries() {
    for f in files()
        .iter()
        .filter(|f| f.room == "http" || f.room == "cli")
    {
        let code = code(&f.text);
        let mut rest = code.as_str();
        while let Some(i) = rest.find("db::") {
            rest = &rest[i + 4..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let allowed = ["read", "states", "Db", "DbError", "self"];
            assert!(
                allowed.contains(&module.as_str()) || module.is_empty(),
                "{} reaches db::{module} directly; go through app/ or db::read",
                f.name
            );
        }
    }
}

#[test]
fn outgoing_activities_are_built_in_protocol_only() {
    for f in files().iter().filter(|f| f.room != "protocol") {
        let code = code(&f.text);
        assert!(
            !code.contains("\"@context\""),
            "{} writes an @context: documents we send are built in protocol/",
            f.name
        );
    }
}

#[test]
fn no_file_over_450_lines() {
    let long: Vec<String> = files()
        .iter()
        .filter(|f| f.text.lines().count() > 450)
        .map(|f| format!("{}: {} lines", f.name, f.text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files over 450 lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn comments_cite_only_what_is_in_the_repository() {
    for f in files() {
        assert!(
            !f.text.contains("mastodon-interop"),
            "{} cites a document outside the repository",
            f.name
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut rest = f.text.as_str();
        while let Some(i) = rest.find("docs/") {
            rest = &rest[i..];
            let cited: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
                .collect();
            let cited = cited.trim_end_matches('.');
            if cited.ends_with(".md") {
                assert!(
                    root.join(cited).exists(),
                    "{} cites {cited}, which is missing",
                    f.name
                );
            }
            rest = &rest[5..];
        }
    }
}

/// The benchmark's switch that skips signature cryptography exists only with the `bench`
/// feature, which no default build turns on: `cargo build --release` has no way to skip it.
#[test]
fn release_builds_cannot_skip_signature_checks() {
    for f in files() {
        let lines: Vec<&str> = f.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains("bench_skip_signature_crypto") && !line.trim_start().starts_with("//")
            {
                let gated = lines[i.saturating_sub(3)..i]
                    .iter()
                    .any(|l| l.contains("#[cfg(feature = \"bench\")]"));
                assert!(gated, "{}:{}: not behind the bench feature", f.name, i + 1);
            }
        }
    }
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let features = manifest.split("[features]").nth(1).unwrap_or("");
    let default = features
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find(|l| l.trim_start().starts_with("default"));
    assert!(
        default.is_none_or(|l| !l.contains("bench")),
        "the bench feature is on by default"
    );
}

#[test]
fn the_import_reader_reads_groups() {
    let used = rooms_used("use crate::{app::{a, b}, db::{self, x::Y}, state::AppState};");
    assert_eq!(
        used,
        ["app", "db", "state"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(
        rooms_used("let x = crate::util::now_ms();"),
        ["util".to_string()].into()
    );
}

/// A file's module path: `src/app/cosign.rs` → `["app", "cosign"]`, `src/app/mod.rs` →
/// `["app"]`, `src/lib.rs` → `[]`.
fn module_of(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = name
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Every path a file names from `crate::` or `super::`, with `use` groups expanded.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    fn group(s: &[char], mut i: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
        let mut token = String::new();
        let push = |token: &str, out: &mut Vec<Vec<String>>| {
            let token = token.split(" as ").next().unwrap_or("").trim();
            let parts: Vec<String> = token
                .split("::")
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            if !parts.is_empty() {
                out.push([prefix.to_vec(), parts].concat());
            }
        };
        while i < s.len() {
            match s[i] {
                '{' => {
                    let inner: Vec<String> = token
                        .trim()
                        .split("::")
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect();
                    i = group(s, i + 1, &[prefix.to_vec(), inner].concat(), out);
                    token.clear();
                    continue;
                }
                '}' => {
                    push(&token, out);
                    return i + 1;
                }
                ',' => {
                    push(&token, out);
                    token.clear();
                }
                c => token.push(c),
            }
            i += 1;
        }
        i
    }
    let chars: Vec<char> = code.chars().collect();
    let text: String = chars.iter().collect();
    let mut out = Vec::new();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(root) {
            let start = from + i;
            from = start + root.len();
            let before = text[..start].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let head = root.trim_end_matches(':').to_owned();
            let rest = &text[from..];
            if rest.starts_with('{') {
                let offset = text[..from].chars().count() + 1;
                group(&chars, offset, &[head], &mut out);
            } else {
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut parts = vec![head];
                parts.extend(
                    path.split("::")
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                );
                out.push(parts);
            }
        }
    }
    out
}

#[test]
fn no_two_modules_need_each_other() {
    let files = files();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&f.name)).collect();
    let mut edges: std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>> =
        Default::default();
    for f in &files {
        let here = module_of(&f.name);
        let mut deps = BTreeSet::new();
        for path in named_paths(&code(&f.text)) {
            let mut full: Vec<String> = Vec::new();
            let mut rest = path.as_slice();
            if rest.first().map(String::as_str) == Some("crate") {
                rest = &rest[1..];
            } else {
                full = here.clone();
                while rest.first().map(String::as_str) == Some("super") {
                    full.pop();
                    rest = &rest[1..];
                }
            }
            full.extend(rest.iter().cloned());
            // The longest prefix that is a module of ours.
            while !full.is_empty() && !modules.contains(&full) {
                full.pop();
            }
            if !full.is_empty() && full != here && !here.starts_with(&full) {
                deps.insert(full);
            }
        }
        edges.insert(here, deps);
    }
    // A module and one it uses must not use each other, directly or through others.
    let reaches = |from: &Vec<String>, to: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            if &m == to {
                return true;
            }
            if seen.insert(m.clone()) {
                todo.extend(edges.get(&m).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for (m, deps) in &edges {
        for d in deps {
            if reaches(d, m) {
                cycles.push(format!("{} ⇄ {}", m.join("::"), d.join("::")));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules in a circle:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_path_reader_expands_groups_and_supers() {
    let paths = named_paths("use super::{a::{B, c}, d};\nlet x = crate::e::f();");
    let paths: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        ["crate::e::f", "super::a::B", "super::a::c", "super::d"]
    );
}
