//! The web admin's moderation pages (docs/admin.md, the Moderate duty): follow requests,
//! posts held by the relay, members, blocks; an editor may open none of them.

use reqwest::header;
use serde_json::{Value, json};

use crate::{
    admin_web::{Agent, account},
    helpers::{Backend, WAIT, World, eventually, on_both_backends},
    peer::Peer,
};

on_both_backends!(
    editors_may_not_moderate,
    follow_requests_are_approved_and_rejected,
    a_held_post_is_shown_as_written_and_relayed,
    blocks_say_what_they_removed_and_spare_our_own_domain,
    a_member_is_previewed_then_added,
);

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const MANUAL: &str = "[coalition]\nmanually_approves_followers = true\n";

/// The audit log's rows written through the web for `action`.
async fn audited(w: &World, action: &str) -> i64 {
    w.db.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE via = 'web' AND action = '{action}'"
    ))
    .await
}

/// A moderator's browser.
async fn moderator(w: &World) -> Agent {
    account(w, "mona", "moderator").await;
    Agent::logged_in(w, "mona").await
}

/// A 303 back to `to`, and the notice that page then shows.
async fn notice_after(a: &mut Agent, res: reqwest::Response, to: &str) -> String {
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(res.headers()[header::LOCATION], to);
    let page = a.page(to).await;
    let at = page.find("class=\"notice\"").expect("a notice");
    page[at..].split("</p>").next().unwrap().to_owned()
}

async fn editors_may_not_moderate(backend: Backend) {
    let w = World::start(backend, MANUAL, &["alice"]).await;
    let alice = w.peer.actor_id("alice");
    assert_eq!(
        w.send("alice", &w.follow(&w.peer, "alice", 1))
            .await
            .status(),
        202
    );
    account(&w, "edith", "editor").await;
    let mut a = Agent::logged_in(&w, "edith").await;
    let home = a.page("/admin").await;
    for path in [
        "/admin/follows",
        "/admin/relay",
        "/admin/members",
        "/admin/blocks",
    ] {
        assert!(
            !home.contains(&format!("href=\"{path}\"")),
            "{path} in the menu"
        );
        assert_eq!(a.get(path).await.status(), 403, "GET {path}");
    }
    let audit = w.db.count("SELECT COUNT(*) FROM audit_log").await;
    let posts: [(&str, &[(&str, &str)]); 7] = [
        (
            "/admin/follows",
            &[("action", "approve"), ("actor", &alice)],
        ),
        ("/admin/relay", &[("action", "approve"), ("post", &alice)]),
        ("/admin/members/preview", &[("actor", &alice)]),
        ("/admin/members", &[("actor", &alice)]),
        ("/admin/members/remove", &[("actor", &alice)]),
        (
            "/admin/blocks",
            &[("kind", "domain"), ("value", "spam.example")],
        ),
        (
            "/admin/blocks/remove",
            &[("kind", "domain"), ("value", "spam.example")],
        ),
    ];
    for (path, fields) in posts {
        let res = a.submit("/admin", path, fields).await;
        assert_eq!(res.status(), 403, "POST {path}");
    }
    // Nothing changed, nothing was sent.
    let pending = "SELECT COUNT(*) FROM followers WHERE state = 'pending'";
    assert_eq!(w.db.count(pending).await, 1);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM members").await, 0);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM blocks").await, 0);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM audit_log").await, audit);
    w.deliveries_drained().await;
    assert!(w.peer.received().is_empty());
}

async fn follow_requests_are_approved_and_rejected(backend: Backend) {
    let w = World::start(backend, MANUAL, &["alice", "bob"]).await;
    for name in ["alice", "bob"] {
        let res = w.send(name, &w.follow(&w.peer, name, 1)).await;
        assert_eq!(res.status(), 202);
    }
    let (alice, bob) = (w.peer.actor_id("alice"), w.peer.actor_id("bob"));
    let mut a = moderator(&w).await;
    let page = a.page("/admin/follows").await;
    for name in ["alice", "bob"] {
        assert!(page.contains(&w.peer.actor_id(name)), "{page}");
        assert!(page.contains(&format!("{name} (peer)")));
    }

    let res = a
        .submit(
            "/admin/follows",
            "/admin/follows",
            &[("action", "approve"), ("actor", &alice)],
        )
        .await;
    let notice = notice_after(&mut a, res, "/admin/follows").await;
    assert!(notice.contains("approved"), "{notice}");
    let got = w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["type"], "Accept");

    let res = a
        .submit(
            "/admin/follows",
            "/admin/follows",
            &[("action", "reject"), ("actor", &bob)],
        )
        .await;
    let notice = notice_after(&mut a, res, "/admin/follows").await;
    assert!(notice.contains("rejected"), "{notice}");
    let got = w.peer.wait_for("/users/bob/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["type"], "Reject");

    assert_eq!(w.follower_count().await, 1);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM followers").await, 1);
    assert_eq!(audited(&w, "approve follow").await, 1);
    assert_eq!(audited(&w, "reject follow").await, 1);
    // Deciding again on a request that is gone is a clear refusal, not a 500.
    let res = a
        .submit(
            "/admin/follows",
            "/admin/follows",
            &[("action", "reject"), ("actor", &bob)],
        )
        .await;
    assert_eq!(res.status(), 422);
}

/// A public post by `name` of `peer` mentioning the coalition, as Mastodon sends it.
pub(crate) fn mention(w: &World, name: &str, content: &str) -> Value {
    let actor = w.peer.actor_id(name);
    let id = format!("{actor}/statuses/1");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": actor,
        "to": [PUBLIC], "cc": [w.coalition],
        "object": {
            "id": id, "type": "Note", "attributedTo": actor, "content": content,
            "to": [PUBLIC], "cc": [w.coalition],
            "tag": [{"type": "Mention", "href": w.coalition}],
        },
    })
}

async fn a_held_post_is_shown_as_written_and_relayed(backend: Backend) {
    let w = World::start(backend, "", &["stranger"]).await;
    let followers = Peer::start(&["alice"]).await;
    w.followed_by(&followers, "alice").await;
    // Not a member: held for an admin.
    let content = "<p>Notre <em>communiqué</em><script>alert(1)</script> \
                   <a href=\"javascript:alert(2)\" onclick=\"x()\">lien</a></p>";
    let post = mention(&w, "stranger", content);
    assert_eq!(w.send_shared("stranger", &post).await.status(), 202);
    let held = "SELECT COUNT(*) FROM pending_posts WHERE decided_at IS NULL";
    eventually("the post is held", WAIT, async || {
        w.db.count(held).await == 1
    })
    .await;

    let mut a = moderator(&w).await;
    let page = a.page("/admin/relay").await;
    assert!(page.contains("Notre <em>communiqué</em>"), "{page}");
    assert!(page.contains("the author is not a member"), "{page}");
    assert!(page.contains("stranger (peer)"), "{page}");
    for unsafe_html in ["<script", "alert(1)", "javascript:", "onclick"] {
        assert!(!page.contains(unsafe_html), "{unsafe_html} in {page}");
    }

    let post_id = post["object"]["id"].as_str().unwrap();
    let res = a
        .submit(
            "/admin/relay",
            "/admin/relay",
            &[("action", "approve"), ("post", post_id)],
        )
        .await;
    let notice = notice_after(&mut a, res, "/admin/relay").await;
    assert!(notice.contains("approved"), "{notice}");
    let got = followers.wait_for("/inbox", 1, WAIT).await;
    let announce = got[0].json();
    assert_eq!(announce["type"], "Announce");
    assert_eq!(announce["actor"], w.coalition.as_str());
    assert_eq!(announce["object"], post_id);
    assert_eq!(w.db.count(held).await, 0);
    assert!(a.page("/admin/relay").await.contains("No post is waiting"));
    assert_eq!(audited(&w, "approve relay").await, 1);
}

async fn blocks_say_what_they_removed_and_spare_our_own_domain(backend: Backend) {
    let peer = Peer::start_named("spam.localhost", &["alice"]).await;
    let w = World::with_peer(backend, "", peer).await;
    let res = w.send("alice", &w.follow(&w.peer, "alice", 1)).await;
    assert_eq!(res.status(), 202);
    assert_eq!(w.follower_count().await, 1);
    let mut a = moderator(&w).await;

    // The server lives at localhost: neither it nor its parent may be blocked.
    for own in ["localhost", "LOCALHOST."] {
        let res = a
            .submit(
                "/admin/blocks",
                "/admin/blocks",
                &[("kind", "domain"), ("value", own)],
            )
            .await;
        assert_eq!(res.status(), 422, "{own}");
        assert!(res.text().await.unwrap().contains("own domain"));
    }
    let ours = format!("{}/ap/coalition", w.app.base);
    let res = a
        .submit(
            "/admin/blocks",
            "/admin/blocks",
            &[("kind", "actor"), ("value", &ours)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = a
        .submit(
            "/admin/blocks",
            "/admin/blocks",
            &[("kind", "domain"), ("value", "a/b")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM blocks").await, 0);
    assert_eq!(w.follower_count().await, 1);

    let res = a
        .submit(
            "/admin/blocks",
            "/admin/blocks",
            &[("kind", "domain"), ("value", "Spam.Localhost")],
        )
        .await;
    let notice = notice_after(&mut a, res, "/admin/blocks").await;
    assert!(notice.contains("spam.localhost is blocked"), "{notice}");
    assert!(notice.contains("1 followers"), "{notice}");
    assert_eq!(w.follower_count().await, 0);
    assert_eq!(audited(&w, "block domain").await, 1);
    let detail =
        w.db.text("SELECT detail FROM audit_log WHERE action = 'block domain'")
            .await
            .unwrap();
    assert!(detail.contains("removed 1 followers"), "{detail}");
    let res = w.send("alice", &w.follow(&w.peer, "alice", 2)).await;
    assert_eq!(res.status(), 403, "the domain is refused");

    let res = a
        .submit(
            "/admin/blocks",
            "/admin/blocks/remove",
            &[("kind", "domain"), ("value", "spam.localhost")],
        )
        .await;
    let notice = notice_after(&mut a, res, "/admin/blocks").await;
    assert!(notice.contains("no longer blocked"), "{notice}");
    assert_eq!(w.db.count("SELECT COUNT(*) FROM blocks").await, 0);
    assert_eq!(audited(&w, "unblock domain").await, 1);
}

async fn a_member_is_previewed_then_added(backend: Backend) {
    let w = World::start(backend, "", &["asso", "union"]).await;
    w.peer.set_actor_field(
        "asso",
        "summary",
        json!("<p>Une <strong>association</strong><script>alert(1)</script></p>"),
    );
    let asso = w.peer.actor_id("asso");
    let mut a = moderator(&w).await;

    // Step 1: the address is resolved and the actor shown; nothing is added yet.
    let res = a
        .submit(
            "/admin/members",
            "/admin/members/preview",
            &[("actor", &asso)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("asso (peer)"), "{page}");
    assert!(page.contains(&format!("@asso@localhost:{}", w.peer.addr.port())));
    assert!(page.contains("Person"));
    assert!(page.contains("Une <strong>association</strong>"));
    assert!(!page.contains("<script"));
    assert!(page.contains(&format!("{}/avatars/asso.png", w.peer.base)));
    assert_eq!(w.db.count("SELECT COUNT(*) FROM members").await, 0);
    // An actor never seen before, by its handle: found through WebFinger, then fetched.
    let port = w.peer.addr.port();
    let res = a
        .submit(
            "/admin/members",
            "/admin/members/preview",
            &[("actor", &format!("@union@localhost:{port}"))],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains(&w.peer.actor_id("union")), "{page}");
    assert!(page.contains("union (peer)"), "{page}");
    assert_eq!(
        w.peer.webfinger_lookups("union"),
        1,
        "the handle was looked up once"
    );
    // Unknown handles and unreachable servers are clear refusals.
    for bad in [
        format!("@nobody@localhost:{port}"),
        "@nobody@localhost:1".into(),
        "@x@unreachable.invalid".into(),
        "not a handle".into(),
    ] {
        let res = a
            .submit(
                "/admin/members",
                "/admin/members/preview",
                &[("actor", &bad)],
            )
            .await;
        assert_eq!(res.status(), 422, "{bad}");
        assert!(res.text().await.unwrap().contains("Cannot find"), "{bad}");
    }

    let res = a
        .submit(
            "/admin/members",
            "/admin/members",
            &[("actor", "@x@unreachable.invalid")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM members").await, 0);

    // Step 2: confirmed.
    let res = a
        .submit("/admin/members", "/admin/members", &[("actor", &asso)])
        .await;
    let notice = notice_after(&mut a, res, "/admin/members").await;
    assert!(notice.contains("is now a member"), "{notice}");
    assert_eq!(w.db.count("SELECT COUNT(*) FROM members").await, 1);
    assert!(a.page("/admin/members").await.contains("asso (peer)"));
    assert_eq!(audited(&w, "add member").await, 1);

    let res = a
        .submit(
            "/admin/members",
            "/admin/members/remove",
            &[("actor", &asso)],
        )
        .await;
    let notice = notice_after(&mut a, res, "/admin/members").await;
    assert!(notice.contains("no longer a member"), "{notice}");
    assert_eq!(w.db.count("SELECT COUNT(*) FROM members").await, 0);
    assert_eq!(audited(&w, "remove member").await, 1);
}
