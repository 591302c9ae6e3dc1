//! The web admin's deliveries and signatories pages: a failing host's last error, "retry
//! now" for moderators only, the page reloading itself while deliveries are pending;
//! signatories recorded by the form or a pasted CSV (all or nothing), co-signatures hidden by
//! moderators only, the ledger's check, and the audit log of each change.

use reqwest::header;

use crate::{
    admin_web::{Agent, account, csrf},
    cosign::Cosign,
    helpers::{Backend, WAIT, World, eventually, on_both_backends},
};

on_both_backends!(
    the_deliveries_page_shows_failures_and_moderators_retry,
    signatories_and_cosigners_through_the_web_admin,
);

const STATEMENT: &str = "+++\nslug = \"s\"\n[title]\nfr = \"Titre\"\n+++\n::: fr\nTexte.\n";
const PAGE: &str = "/admin/deliveries";
const SIGNATORIES: &str = "/admin/statements/manifeste-2026/signatories";

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

async fn audited(w: &World, action: &str) -> i64 {
    w.db.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND via = 'web'"
    ))
    .await
}

async fn the_deliveries_page_shows_failures_and_moderators_retry(backend: Backend) {
    // A failed attempt is tried again only after 16 units of 10 minutes: whatever arrives
    // within the test's wait was sent by a retry.
    let w = World::start(
        backend,
        "[delivery]\nmax_attempts = 2\nbackoff_unit_ms = 600000\n",
        &["bob"],
    )
    .await;
    account(&w, "mo", "moderator").await;
    account(&w, "ed", "editor").await;
    w.followed_by(&w.peer, "bob").await;
    let host = w.peer.base.trim_start_matches("http://").to_owned();
    let state = async || {
        w.db.text(
            "SELECT state FROM deliveries WHERE activity_id IN \
                   (SELECT id FROM outgoing_activities WHERE kind = 'Create')",
        )
        .await
    };

    w.peer.set_inbox_status(503);
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    w.peer.wait_for("/inbox", 1, WAIT).await;
    eventually("the first attempt is recorded", WAIT, async || {
        w.db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND last_status = 503")
            .await
            == 1
    })
    .await;

    // Pending: the page reloads itself, names the host and its last error.
    let mut mo = Agent::logged_in(&w, "mo").await;
    let page = mo.page(PAGE).await;
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    assert!(page.contains(&host) && page.contains("503"), "{page}");
    assert!(page.contains("<progress"), "{page}");
    assert!(page.contains("Retry now"), "{page}");
    // The activity's own page: its host and error.
    let create =
        w.db.text("SELECT id FROM outgoing_activities WHERE kind = 'Create'")
            .await
            .unwrap();
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("activity", &create)
        .finish();
    let one = mo.page(&format!("{PAGE}?{query}")).await;
    assert!(one.contains(&host) && one.contains("503"), "{one}");
    assert_eq!(mo.get(&format!("{PAGE}?activity=nope")).await.status(), 404);

    // An editor may look, not retry: 403, nothing made due.
    let later = now_ms() + 3_600_000;
    let far = format!(
        "SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND next_attempt_at > {later}"
    );
    assert_eq!(w.db.count(&far).await, 1);
    let mut ed = Agent::logged_in(&w, "ed").await;
    let page = ed.page(PAGE).await;
    assert!(!page.contains("Retry now"), "{page}");
    let res = ed
        .post(
            "/admin/deliveries/retry",
            &[("csrf", &csrf(&page)), ("host", &host)],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(w.db.count(&far).await, 1);

    // The moderator retries: attempted at once, refused again, given up.
    let res = mo
        .submit(PAGE, "/admin/deliveries/retry", &[("host", &host)])
        .await;
    assert_eq!(res.status(), 303);
    w.peer.wait_for("/inbox", 2, WAIT).await;
    eventually("the Create is given up", WAIT, async || {
        state().await.as_deref() == Some("given_up")
    })
    .await;

    // The host answers again: "retry now" sends what was given up, and it arrives.
    w.peer.set_inbox_status(202);
    let res = mo
        .submit(PAGE, "/admin/deliveries/retry", &[("host", &host)])
        .await;
    assert_eq!(res.status(), 303);
    let back = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, PAGE);
    let got = w.peer.wait_for("/inbox", 3, WAIT).await;
    assert_eq!(got[2].json()["type"], "Create");
    eventually("the Create is delivered", WAIT, async || {
        state().await.as_deref() == Some("delivered")
    })
    .await;
    let page = mo.page(PAGE).await;
    assert!(page.contains("1 deliveries are due now"), "{page}");
    assert!(!page.contains("http-equiv=\"refresh\""), "{page}");

    // Bad hosts: a clear page, no 500.
    let res = mo
        .submit(
            PAGE,
            "/admin/deliveries/retry",
            &[("host", "nowhere.example")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("nowhere.example"));
    let res = mo
        .submit(PAGE, "/admin/deliveries/retry", &[("host", "a b")])
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(audited(&w, "deliveries retry").await, 2);
}

async fn signatories_and_cosigners_through_the_web_admin(backend: Backend) {
    let w = Cosign::new(backend, "", &["alice"]).await;
    account(&w, "ed", "editor").await;
    account(&w, "mo", "moderator").await;
    let mut ed = Agent::logged_in(&w, "ed").await;
    let index = ed.page("/admin/signatories").await;
    assert!(index.contains(SIGNATORIES), "{index}");
    assert_eq!(
        ed.get("/admin/statements/nope/signatories").await.status(),
        404
    );
    let public = async || {
        w.app
            .get("/statements/manifeste-2026?lang=fr", "text/html")
            .await
            .text()
            .await
            .unwrap()
    };

    // One by the form: on the public page and in the ledger.
    let res = ed
        .submit(
            SIGNATORIES,
            SIGNATORIES,
            &[
                ("name", "Camille Martin"),
                ("role", "Présidente"),
                ("organisation", "Collectif Vélo"),
                ("kind", "person"),
                ("link", ""),
                ("handle", ""),
                ("source", "https://example.org/appel"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(public().await.contains("Camille Martin"));
    let ledger = w.ledger().await;
    assert!(
        ledger.iter().any(|e| e["parsed"]["event"] == "record"),
        "{ledger:?}"
    );
    let page = ed.page(SIGNATORIES).await;
    assert!(page.contains("Camille Martin"), "{page}");
    assert!(page.contains("recorded as signatory 1"), "{page}");

    // A CSV with a bad line records nothing and names the line.
    let count = "SELECT COUNT(*) FROM signatories WHERE slug = 'manifeste-2026'";
    let import = format!("{SIGNATORIES}/import");
    let bad = "name,organisation,kind\nAnne,A,person\nBruno,B,robot\nChloé,C,organisation\n";
    let res = ed.submit(SIGNATORIES, &import, &[("csv", bad)]).await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("Line 3") && text.contains("kind"), "{text}");
    assert_eq!(w.db.count(count).await, 1);
    let good = "name,organisation,kind\nAnne,A,person\nBruno,B,person\nChloé,C,organisation\n";
    let res = ed.submit(SIGNATORIES, &import, &[("csv", good)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(w.db.count(count).await, 4);
    assert!(public().await.contains("Chloé"));
    // The same list again: already recorded, the line named, nothing more.
    let res = ed.submit(SIGNATORIES, &import, &[("csv", good)]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Line 2"));
    assert_eq!(w.db.count(count).await, 4);

    // The CSV as a file, as a spreadsheet exports it (a byte order mark, CRLF lines).
    let file = "\u{feff}name,organisation,kind\r\nDenis,D,person\r\nÉlise,E,person\r\n";
    let csv_file = [("csv_file", "signatures.csv", file.as_bytes())];
    // Without the session's token, or pasted as well: refused, nothing recorded.
    let res = ed
        .post_multipart(&import, &[("csrf", "forged")], &csv_file)
        .await;
    assert_eq!(res.status(), 403);
    let res = ed
        .submit_multipart(SIGNATORIES, &import, &[("csv", good)], &csv_file)
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not both"));
    let latin1: &[u8] = b"name,kind\nJos\xe9,person\n";
    let res = ed
        .submit_multipart(
            SIGNATORIES,
            &import,
            &[("csv", "")],
            &[("csv_file", "latin1.csv", latin1)],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("latin1.csv is not UTF-8")
    );
    assert_eq!(w.db.count(count).await, 4);
    let res = ed
        .submit_multipart(SIGNATORIES, &import, &[("csv", "")], &csv_file)
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(w.db.count(count).await, 6);
    assert!(public().await.contains("Élise"));

    // Withdraw one.
    let res = ed
        .submit(
            SIGNATORIES,
            &format!("{SIGNATORIES}/withdraw"),
            &[("n", "2")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM signatories WHERE n = 2 AND withdrawn_at IS NOT NULL")
            .await,
        1
    );
    // The public page lists it among the withdrawn signatures.
    assert!(public().await.contains("Signatures retirées (1)"));

    // A co-signature: an editor may not hide it, a moderator may, with a reason.
    let announce = w.announce(&w.peer, "alice", 1);
    assert_eq!(w.send_shared("alice", &announce).await.status(), 202);
    let alice = w.peer.actor_id("alice");
    // Alice among the public co-signers (the recorded signatories are there too).
    let listed = async || {
        w.cosigners().await["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["actor"]["id"] == alice.as_str())
            .count()
    };
    assert_eq!(listed().await, 1);
    let hide = "/admin/statements/manifeste-2026/cosigners/hide";
    let res = ed
        .submit(SIGNATORIES, hide, &[("actor", &alice), ("reason", "spam")])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(listed().await, 1);
    let mut mo = Agent::logged_in(&w, "mo").await;
    let page = mo.page(SIGNATORIES).await;
    assert!(page.contains(&alice), "{page}");
    let res = mo
        .submit(SIGNATORIES, hide, &[("actor", &alice), ("reason", "")])
        .await;
    assert_eq!(res.status(), 422);
    let res = mo
        .submit(
            SIGNATORIES,
            hide,
            &[("actor", &alice), ("reason", "impersonation")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(listed().await, 0);
    let page = mo.page(SIGNATORIES).await;
    assert!(page.contains("impersonation"), "{page}");
    // The ledger verifies, head signed.
    assert!(
        page.contains("Verified:") && page.contains("chain intact, head signed"),
        "{page}"
    );

    for (action, times) in [
        ("signatory add", 1),
        ("signatories import", 2),
        ("signatory withdraw", 1),
        ("cosigner hide", 1),
    ] {
        assert_eq!(audited(&w, action).await, times, "{action}");
    }
}
