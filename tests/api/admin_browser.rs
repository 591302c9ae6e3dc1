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
