//! The public pages in a real browser: headless Chromium (Debian's `chromium`, installed by
//! .ci/run) loads each page of a seeded instance; the tests read the DOM it built, check
//! that the console shows no error, save screenshots outside the repository, and make an
//! accessibility pass. Where a visitor must act (type, submit, follow a redirect), the
//! browser is driven over WebDriver (`webdriver.rs`).

use std::{path::PathBuf, process::Command};

use crate::helpers::{Backend, Cli, TestApp, TestDb, on_both_backends};
use crate::webdriver::Browser;

on_both_backends!(the_pages_show_a_seeded_coalition_in_both_languages);

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but Chromium is not installed at {}",
        path.display()
    );
    eprintln!("skipped: Chromium is not installed");
    None
}

struct Loaded {
    dom: String,
    console_errors: Vec<String>,
}

/// Load `url`, dump the DOM after load, and save a screenshot under the temp directory.
async fn load(browser: &std::path::Path, url: &str, shot: &str) -> Loaded {
    let (browser, url, shot) = (browser.to_owned(), url.to_owned(), shot.to_owned());
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let base = |cmd: &mut Command| {
            cmd.args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=3000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()));
        };
        let mut dump = Command::new(&browser);
        base(&mut dump);
        let out = dump
            .arg("--dump-dom")
            .arg(&url)
            .output()
            .expect("run chromium");
        let dir = std::env::temp_dir().join("tribune-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let mut snap = Command::new(&browser);
        base(&mut snap);
        let _ = snap
            .arg(format!(
                "--screenshot={}",
                dir.join(format!("{shot}.png")).display()
            ))
            .arg("--window-size=1280,2200")
            .arg(&url)
            .output();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let console_errors = stderr
            .lines()
            .filter(|l| {
                l.contains("CONSOLE")
                    || l.contains("Refused to")
                    || l.contains("Failed to load resource")
            })
            .filter(|l| !l.contains("favicon.ico"))
            .map(str::to_owned)
            .collect();
        Loaded {
            dom: String::from_utf8_lossy(&out.stdout).into_owned(),
            console_errors,
        }
    })
    .await
    .unwrap()
}

const MANIFESTO: &str = "+++\nslug = \"manifeste-2026\"\npinned = true\ntags = [\"climat\"]\n[title]\nfr = \"Manifeste 2026\"\nen = \"2026 Manifesto\"\n+++\n::: fr\nNous, **associations**, syndicats et ONG, déclarons…\n\n::: en\nWe, **associations**, unions and NGOs, declare…\n";

const HOSTILE: &str =
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";

async fn seed(db: &TestDb, app: &TestApp) {
    use sqlx::Connection;
    let icon = app.get_ap(&format!("{}/ap/coalition", app.base)).await["icon"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let note = format!("{}/statements/manifeste-2026", app.base);
    let mut sql = Vec::new();
    // Three member organisations.
    for i in 0..3 {
        let id = format!("https://member{i}.example/users/asso{i}");
        sql.push(format!(
            "INSERT INTO remote_actors (id, kind, preferred_username, name, host, inbox, shared_inbox, icon_url, public_key_id, public_key_pem, document, fetched_at) \
             VALUES ('{id}', 'Group', 'asso{i}', 'Association {i}', 'member{i}.example', '{id}/inbox', NULL, '{icon}', '{id}#main-key', 'none', '{{}}', '2026-01-01T00:00:00Z')"
        ));
        sql.push(format!(
            "INSERT INTO members (actor_id, added_at) VALUES ('{id}', '2026-01-01T00:00:00Z')"
        ));
    }
    // Twenty co-signatures: the three members, seven other organisations, ten persons (one
    // with a hostile name), and two withdrawn.
    let mut n = 0;
    let mut sign = |id: String, kind: &str, name: &str, class: &str, withdrawn: bool| {
        n += 1;
        let name = name.replace('\'', "''");
        sql.push(format!(
            "INSERT INTO cosignatures (announce_id, slug, actor_id, actor_kind, actor_name, actor_handle, actor_icon, actor_host, class, counts, visibility, version, version_hash, signed_at, withdrawn_at) \
             VALUES ('{id}/activity/{n}', 'manifeste-2026', '{id}', '{kind}', '{name}', 'h{n}@example.net', '{icon}', 'example.net', '{class}', TRUE, 'public', 1, 'h', '2026-11-{:02}T10:00:00Z', {})",
            1 + n % 20,
            if withdrawn { "'2026-11-25T10:00:00Z'" } else { "NULL" }
        ));
    };
    for i in 0..3 {
        sign(
            format!("https://member{i}.example/users/asso{i}"),
            "Group",
            &format!("Association {i}"),
            "member",
            false,
        );
    }
    for i in 0..7 {
        sign(
            format!("https://org{i}.example/users/org{i}"),
            "Organization",
            &format!("Organisation {i}"),
            "organisation",
            false,
        );
    }
    for i in 0..9 {
        sign(
            format!("https://people.example/users/p{i}"),
            "Person",
            &format!("Personne {i}"),
            "person",
            false,
        );
    }
    sign(
        "https://people.example/users/mallory".into(),
        "Person",
        HOSTILE,
        "person",
        false,
    );
    for i in 0..2 {
        sign(
            format!("https://people.example/users/gone{i}"),
            "Person",
            &format!("Ancien {i}"),
            "person",
            true,
        );
    }
    let _ = note;
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        for s in &sql {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        for s in &sql {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
    }
}

/// Headings go h1, then never skip a level.
fn heading_levels(dom: &str) -> Vec<u8> {
    let mut levels = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find("<h") {
        rest = &rest[i + 2..];
        if let Some(d) = rest.chars().next().and_then(|c| c.to_digit(10))
            && (1..=6).contains(&d)
        {
            levels.push(d as u8);
        }
    }
    levels
}

pub(crate) fn accessibility(dom: &str, page: &str) {
    // Every image has alt text (empty for decorative ones next to a name).
    for img in dom.split("<img").skip(1) {
        let tag = &img[..img.find('>').unwrap_or(img.len())];
        assert!(
            tag.contains("alt="),
            "{page}: an image without alt: <img{tag}>"
        );
    }
    // Every text input has a label.
    for input in dom.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag
            .split("id=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("an input with an id");
        assert!(
            dom.contains(&format!("<label for=\"{id}\"")),
            "{page}: input {id} has no label"
        );
    }
    let levels = heading_levels(dom);
    assert_eq!(
        levels.first(),
        Some(&1),
        "{page}: starts with h1: {levels:?}"
    );
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{page}: a heading level is skipped: {levels:?}"
        );
    }
}

fn luminance(hex: &str) -> f64 {
    let c = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
}

pub(crate) fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn the_default_theme_has_enough_contrast() {
    let css = include_str!("../../src/http/tribune.css");
    let var = |name: &str| {
        let start = css.find(&format!("--{name}: ")).unwrap() + name.len() + 4;
        css[start..start + 7].to_owned()
    };
    let (ink, accent, paper) = (var("ink"), var("accent"), var("paper"));
    for (what, fg, bg) in [
        ("text", &ink, &paper),
        ("links", &accent, &paper),
        ("buttons", &"#ffffff".to_owned(), &accent),
        ("header", &"#ffffff".to_owned(), &accent),
    ] {
        let ratio = contrast(fg, bg);
        assert!(
            ratio >= 4.5,
            "{what}: {fg} on {bg} is {ratio:.2}:1, below WCAG AA"
        );
    }
}

async fn the_pages_show_a_seeded_coalition_in_both_languages(backend: Backend) {
    let Some(browser) = chromium() else { return };
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, "").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.md");
    std::fs::write(&file, MANIFESTO).unwrap();
    Cli::for_app(&db, &app)
        .ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    seed(&db, &app).await;
    let b = backend_name(backend);

    let profile_fr = load(
        &browser,
        &format!("{}/@coalition?lang=fr", app.base),
        &format!("{b}-profile-fr"),
    )
    .await;
    assert!(
        profile_fr.console_errors.is_empty(),
        "{:?}",
        profile_fr.console_errors
    );
    let dom = &profile_fr.dom;
    assert!(dom.contains("<html lang=\"fr\""), "{dom}");
    assert!(dom.contains("Manifeste 2026") && dom.contains("À la une"));
    assert!(
        dom.contains("<strong>20</strong> cosignatures"),
        "20 current signatures"
    );
    for i in 0..3 {
        assert!(dom.contains(&format!("Association {i}")));
    }
    accessibility(dom, "profile");
    assert!(dom.len() < 100_000);

    let profile_en = load(
        &browser,
        &format!("{}/@coalition?lang=en", app.base),
        &format!("{b}-profile-en"),
    )
    .await;
    assert!(profile_en.dom.contains("2026 Manifesto") && profile_en.dom.contains("Pinned"));
    assert!(profile_en.dom.contains("<strong>20</strong> co-signatures"));

    for (ui, words) in [
        (
            "fr",
            [
                "Organisations membres (3)",
                "Autres organisations (7)",
                "Personnes (10)",
                "Signatures retirées (2)",
            ],
        ),
        (
            "en",
            [
                "Member organisations (3)",
                "Other organisations (7)",
                "People (10)",
                "Withdrawn signatures (2)",
            ],
        ),
    ] {
        let page = load(
            &browser,
            &format!("{}/statements/manifeste-2026?lang={ui}", app.base),
            &format!("{b}-statement-{ui}"),
        )
        .await;
        assert!(page.console_errors.is_empty(), "{:?}", page.console_errors);
        for w in words {
            assert!(page.dom.contains(w), "{ui}: {w}");
        }
        // One language at a time, the interface's, and one switch to the other.
        let (title, other) = if ui == "fr" {
            ("Manifeste 2026</h1>", "2026 Manifesto</h1>")
        } else {
            ("2026 Manifesto</h1>", "Manifeste 2026</h1>")
        };
        assert!(page.dom.contains(title), "{ui}");
        assert!(!page.dom.contains(other), "{ui}: one language at a time");
        assert_eq!(page.dom.matches("<nav").count(), 1, "one language switch");
        let switch = if ui == "fr" { "?lang=en" } else { "?lang=fr" };
        assert!(page.dom.contains(&format!("href=\"{switch}\"")), "{ui}");
        assert!(page.dom.contains("<svg"), "the chart");
        // The hostile name is text; nothing ran.
        assert!(!page.dom.contains("<title>pwned</title>"), "a script ran");
        assert!(!page.dom.contains("<img src=\"x\""), "an injected element");
        assert!(
            page.dom.contains("&lt;script&gt;document.title="),
            "shown as text"
        );
        accessibility(&page.dom, "statement");
        assert!(page.dom.len() < 100_000);
    }

    let members = load(
        &browser,
        &format!("{}/members?lang=en", app.base),
        &format!("{b}-members"),
    )
    .await;
    assert!(
        members.console_errors.is_empty(),
        "{:?}",
        members.console_errors
    );
    assert_eq!(members.dom.matches("Association ").count(), 3);
    accessibility(&members.dom, "members");

    // The Atom feed parses.
    let feed = app.get("/statements.atom", "application/atom+xml").await;
    assert_eq!(
        feed.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let feed = atom_syndication::Feed::read_from(feed.text().await.unwrap().as_bytes()).unwrap();
    assert_eq!(feed.entries().len(), 1);
    assert_eq!(
        feed.entries()[0].title().as_str(),
        "Manifeste 2026 / 2026 Manifesto"
    );
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// The co-sign form as a visitor uses it (#15, attack 14): typed and submitted in Chromium,
/// the server's 303 followed by the browser itself, so that the page's CSP `form-action`
/// (which also governs where a form's redirect may go) is put to the test, not only reqwest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cosign_form_sends_the_browser_on_to_the_visitors_server() {
    let w = crate::helpers::World::start(Backend::Sqlite, "", &["alice"]).await;
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let file = w.file("m.md", MANIFESTO);
    w.cli.ok(&["statement", "publish", &file]).await;
    let page = format!("{}/statements/manifeste-2026?lang=fr", w.app.base);
    browser.goto(&page).await;
    let csp = w
        .app
        .get("/statements/manifeste-2026", "text/html")
        .await
        .headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action"), "{csp}");

    // A bad handle: the form again, in the page's language, the error next to the field.
    browser.fill("#cosign-handle", "moi").await;
    browser.click(".cosign-button").await;
    browser
        .wait_for_url("the form again", |u| u.contains("/interact?"))
        .await;
    let shown = browser
        .eval("return [document.documentElement.lang, document.querySelector('#interact-error').textContent, document.querySelector('#interact-handle').value];")
        .await;
    assert_eq!(shown[0], "fr");
    assert!(
        shown[1]
            .as_str()
            .unwrap()
            .contains("n'est pas une adresse du fédivers"),
        "{shown}"
    );
    assert_eq!(shown[2], "moi");
    browser.screenshot("cosign-form-error").await;
    browser.goto(&page).await;
    browser
        .fill(
            "#cosign-handle",
            &format!("@alice@localhost:{}", w.peer.addr.port()),
        )
        .await;
    browser.click(".cosign-button").await;
    let statement = format!("{}/statements/manifeste-2026", w.app.base);
    let landed = browser
        .wait_for_url("the visitor's server", |u| {
            u.starts_with(&format!("{}/authorize_interaction?", w.peer.base))
        })
        .await;
    let landed = url::Url::parse(&landed).unwrap();
    let uri = landed
        .query_pairs()
        .find(|(k, _)| k == "uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(uri.as_deref(), Some(statement.as_str()), "{landed}");
    browser.screenshot("cosign-form-landed").await;
    browser.close().await;
}
