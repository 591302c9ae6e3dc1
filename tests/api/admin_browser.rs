//! The web admin in headless Chromium, as a volunteer uses it: log in, work, log out, and
//! the back button shows nothing of the admin afterwards.

use crate::{
    admin_web::{PASSWORD, account},
    browser::{accessibility, contrast},
    helpers::{Backend, World},
    webdriver::Browser,
};

/// Log in through the form, as typed.
pub async fn log_in(browser: &Browser, w: &World, name: &str) {
    browser
        .goto(&format!("{}/admin/login?lang=en", w.app.base))
        .await;
    browser.fill("#login-name", name).await;
    browser.fill("#login-password", PASSWORD).await;
    browser.click("form.stacked button[type=submit]").await;
    browser
        .wait_for_url("the dashboard", |u| u.ends_with("/admin"))
        .await;
}

fn text_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_look_around_and_log_out() {
    let w = World::start(Backend::Sqlite, "", &[]).await;
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    account(&w, "camille", "owner").await;

    // The login form: labelled fields, a visible focus ring.
    browser
        .goto(&format!("{}/admin/login?lang=en", w.app.base))
        .await;
    let dom = text_of(
        &browser
            .eval("return document.documentElement.outerHTML;")
            .await,
    );
    accessibility(&dom, "login");
    let outline = browser
        .eval("const i = document.querySelector('#login-name'); i.focus(); const s = getComputedStyle(i); return [s.outlineStyle, s.outlineWidth];")
        .await;
    assert_ne!(outline[0], "none", "focus is visible: {outline}");
    // A wrong password: the form again with the error.
    browser.fill("#login-name", "camille").await;
    browser.fill("#login-password", "not the password").await;
    browser.click("form.stacked button[type=submit]").await;
    browser.wait_for("#login-error").await;
    let error = browser
        .eval("return document.querySelector('#login-error').textContent;")
        .await;
    assert!(
        text_of(&error).contains("Wrong name or password"),
        "{error}"
    );

    log_in(&browser, &w, "camille").await;
    for (path, heading) in [
        ("/admin", "Dashboard"),
        ("/admin/accounts", "Accounts"),
        ("/admin/tokens", "API tokens"),
        ("/admin/audit", "Audit log"),
        ("/admin/statements", "Statements"),
        ("/admin/statements/new", "New statement"),
        ("/admin/deliveries", "Deliveries"),
        ("/admin/signatories", "Signatories"),
        ("/admin/follows", "Follow requests"),
        ("/admin/relay", "Held posts"),
        ("/admin/members", "Members"),
        ("/admin/blocks", "Blocks"),
    ] {
        browser.goto(&format!("{}{path}", w.app.base)).await;
        let dom = text_of(
            &browser
                .eval("return document.documentElement.outerHTML;")
                .await,
        );
        accessibility(&dom, path);
        let h1 = browser
            .eval("return document.querySelector('h1').textContent;")
            .await;
        assert_eq!(h1, heading, "{path}");
    }
    browser.goto(&format!("{}/admin", w.app.base)).await;
    browser.screenshot("admin-dashboard").await;
    // The interface in French, kept for the session.
    browser.goto(&format!("{}/admin?lang=fr", w.app.base)).await;
    browser.goto(&format!("{}/admin/audit", w.app.base)).await;
    let h1 = browser
        .eval("return [document.documentElement.lang, document.querySelector('h1').textContent];")
        .await;
    assert_eq!(h1[0], "fr");
    assert_eq!(h1[1], "Journal des actions");

    // Log out, then the back button: the browser asks the server again (no-store), which
    // sends it to the login form; nothing of the admin is shown.
    browser.goto(&format!("{}/admin", w.app.base)).await;
    browser.click(".whoami button[type=submit]").await;
    browser
        .wait_for_url("the login form", |u| u.contains("/admin/login"))
        .await;
    browser.eval("history.back(); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let after = browser
        .eval("return [location.pathname, document.body.innerText];")
        .await;
    assert_eq!(after[0], "/admin/login", "{after}");
    let shown = text_of(&after[1]);
    assert!(
        !shown.contains("camille") && !shown.contains("Tableau de bord"),
        "admin data after logout: {shown}"
    );
    browser.screenshot("admin-after-logout-back").await;
    browser.close().await;
}

#[test]
fn the_admin_colours_have_enough_contrast() {
    let css = include_str!("../../src/http/tribune.css");
    let accent = {
        let start = css.find("--accent: ").unwrap() + "--accent: ".len();
        css[start..start + 7].to_owned()
    };
    for (what, fg, bg) in [
        ("menu links", accent.as_str(), "#e3ece7"),
        ("danger buttons", "#ffffff", "#a40000"),
        ("errors", "#a40000", "#f7faf8"),
        ("focus ring", "#b35c00", "#f7faf8"),
    ] {
        assert!(
            css.contains(bg) || bg == "#ffffff",
            "{bg} is in the stylesheet"
        );
        let ratio = contrast(fg, bg);
        let needed = if what == "focus ring" { 3.0 } else { 4.5 };
        assert!(ratio >= needed, "{what}: {fg} on {bg} is {ratio:.2}:1");
    }
}

/// The walk: a statement written in the form, previewed, published (the public page
/// has it, a follower gets the Create), edited (the versions page shows the difference); a
/// held post approved; a domain blocked; then logged out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_publishes_moderates_and_logs_out() {
    use crate::helpers::{WAIT, eventually};
    let w = World::start(Backend::Sqlite, "", &["alice", "stranger"]).await;
    let Some(browser) = Browser::start(1280, 1000).await else {
        return;
    };
    w.followed_by(&w.peer, "alice").await;
    account(&w, "camille", "owner").await;
    log_in(&browser, &w, "camille").await;

    // Write it, both languages side by side.
    browser
        .goto(&format!("{}/admin/statements/new", w.app.base))
        .await;
    let dom = text_of(
        &browser
            .eval("return document.documentElement.outerHTML;")
            .await,
    );
    accessibility(&dom, "/admin/statements/new");
    browser.fill("#slug", "appel-hiatus").await;
    browser.fill("#title-fr", "Appel pour une pause").await;
    browser
        .fill(
            "#text-fr",
            "Nous demandons une pause.\n\nLa forêt n'est pas à vendre.",
        )
        .await;
    browser.fill("#title-en", "Call for a pause").await;
    browser
        .fill(
            "#text-en",
            "We ask for a pause.\n\nThe forest is not for sale.",
        )
        .await;
    // An image, described: sent as multipart/form-data, kept by the preview for publishing.
    let poster = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/header.png");
    browser.choose_file("#image", &poster).await;
    browser.fill("#image_alt", "Une forêt / A forest").await;
    browser.screenshot("admin-statement-form").await;
    browser
        .click(".statement-form button[formaction='/admin/statements/preview']")
        .await;
    browser
        .wait_for_url("the preview", |u| u.ends_with("/admin/statements/preview"))
        .await;
    // The Note's JSON sits in a <details>: textContent reads it folded or not.
    let preview = text_of(&browser.eval("return document.body.textContent;").await);
    assert!(
        preview.contains("La forêt n'est pas à vendre.") && preview.contains("\"Note\""),
        "{preview}"
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM statements").await,
        0,
        "a preview publishes nothing"
    );
    let shown = browser
        .eval("return Array.from(document.querySelectorAll('figure img')).map(i => [i.getAttribute('src').slice(0, 22), i.alt, i.naturalWidth > 0]);")
        .await;
    assert_eq!(
        shown[0],
        serde_json::json!(["data:image/png;base64,", "Une forêt / A forest", true]),
        "the chosen image, shown with its description: {shown}"
    );
    browser.screenshot("admin-statement-preview").await;
    browser
        .click(".statement-form button[type=submit]:not([formaction])")
        .await;
    browser
        .wait_for_url("the statements", |u| u.ends_with("/admin/statements"))
        .await;
    let notice = browser
        .eval("return document.querySelector('.notice').textContent;")
        .await;
    assert!(text_of(&notice).contains("appel-hiatus"), "{notice}");
    let creates = w.peer.wait_for("/inbox", 1, WAIT).await;
    let create = creates
        .iter()
        .map(|r| r.json())
        .find(|a| a["type"] == "Create")
        .expect("the follower gets the Create");
    let content = create["object"]["content"].as_str().unwrap().to_owned();
    assert!(content.contains("Nous demandons une pause."), "{content}");
    let attachment = &create["object"]["attachment"][0];
    assert_eq!(attachment["name"], "Une forêt / A forest");
    let image = reqwest::get(attachment["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        image.bytes().await.unwrap().as_ref(),
        std::fs::read(&poster).unwrap().as_slice(),
        "the image published is the file chosen"
    );
    browser
        .goto(&format!("{}/statements/appel-hiatus?lang=fr", w.app.base))
        .await;
    let public = text_of(&browser.eval("return document.body.innerText;").await);
    assert!(public.contains("Appel pour une pause"), "{public}");

    // Edit: a new version, and what changed.
    browser
        .goto(&format!(
            "{}/admin/statements/appel-hiatus/edit",
            w.app.base
        ))
        .await;
    browser
        .fill(
            "#text-fr",
            "Nous demandons une pause.\n\nLa forêt n'est pas une marchandise.",
        )
        .await;
    browser
        .click(".statement-form button[type=submit]:not([formaction])")
        .await;
    browser
        .wait_for_url("the statements", |u| u.ends_with("/admin/statements"))
        .await;
    browser
        .goto(&format!(
            "{}/admin/statements/appel-hiatus/versions",
            w.app.base
        ))
        .await;
    let diff = browser
        .eval("return [Array.from(document.querySelectorAll('del')).map(e => e.textContent).join('|'), Array.from(document.querySelectorAll('ins')).map(e => e.textContent).join('|')];")
        .await;
    assert!(text_of(&diff[0]).contains("pas à vendre"), "{diff}");
    assert!(text_of(&diff[1]).contains("une marchandise"), "{diff}");
    browser.screenshot("admin-statement-versions").await;

    // A post held for review, approved: the coalition Announces it.
    let post = crate::admin_moderation::mention(&w, "stranger", "<p>Notre communiqué</p>");
    assert_eq!(w.send_shared("stranger", &post).await.status(), 202);
    let held = "SELECT COUNT(*) FROM pending_posts WHERE decided_at IS NULL";
    eventually("the post is held", WAIT, async || {
        w.db.count(held).await == 1
    })
    .await;
    browser.goto(&format!("{}/admin/relay", w.app.base)).await;
    browser.click("button[value=approve]").await;
    eventually("the post is relayed", WAIT, async || {
        w.db.count(held).await == 0
    })
    .await;
    // Create, Update, then the Announce.
    let got = w.peer.wait_for("/inbox", 3, WAIT).await;
    assert!(
        got.iter().any(|r| r.json()["type"] == "Announce"),
        "the follower gets the Announce"
    );

    // Block a domain.
    browser.goto(&format!("{}/admin/blocks", w.app.base)).await;
    browser.fill("#block-value", "spam.example").await;
    browser.click("form.stacked button.danger").await;
    eventually("the block", WAIT, async || {
        w.db.count("SELECT COUNT(*) FROM blocks").await == 1
    })
    .await;
    let notice = browser
        .eval("return document.querySelector('.notice') ? document.querySelector('.notice').textContent : '';")
        .await;
    assert!(text_of(&notice).contains("spam.example"), "{notice}");

    // Log out; back shows the login form.
    browser.click(".whoami button[type=submit]").await;
    browser
        .wait_for_url("the login form", |u| u.contains("/admin/login"))
        .await;
    browser.eval("history.back(); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let after = browser
        .eval("return [location.pathname, document.body.innerText];")
        .await;
    assert_eq!(after[0], "/admin/login", "{after}");
    assert!(!text_of(&after[1]).contains("spam.example"), "{after}");
    browser.close().await;
}
