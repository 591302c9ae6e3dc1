//! Follows from a peer that signs as Mastodon does (docs/interop.md §2, §3, §7).

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::{
    helpers::{
        AP_ACCEPT, Backend, WAIT, World, assert_json_error, embedded_follow, eventually,
        on_both_backends,
    },
    peer::{Sign, verify_as_mastodon},
};

on_both_backends!(
    follow_is_accepted_and_undo_removes_the_follower,
    repeated_follows_are_accepted_again_and_repeated_ids_count_once,
    bad_input_is_refused_and_leaves_no_trace,
    actor_delete_and_update_are_applied,
    accept_survives_a_peer_outage_and_a_restart,
    blocked_domains_get_403,
    a_rotated_key_is_refetched_once,
    manual_approval_keeps_follows_pending,
    inbox_limits_answer_429,
    private_addresses_are_refused_when_not_allowed,
    keys_rotate_without_losing_followers,
    authorized_fetch_requires_signed_gets,
    rfc9421_message_signatures_are_verified,
    a_401_is_answered_with_a_second_knock_in_rfc9421,
    rfc9421_with_an_ed25519_key,
);

/// A server, and a peer where alice and bob have their accounts.
async fn world(backend: Backend, extra: &str) -> World {
    World::start(backend, extra, &["alice", "bob"]).await
}

/// A Follow of the coalition by `name` of the world's peer.
fn a_follow(w: &World, name: &str, n: u32) -> Value {
    w.follow(&w.peer, name, n)
}

async fn follow_is_accepted_and_undo_removes_the_follower(backend: Backend) {
    let w = world(backend, "").await;
    let follow = a_follow(&w, "alice", 1);
    let res = w.send("alice", &follow).await;
    assert_eq!(res.status(), 202, "{:?}", res.text().await);

    // The Accept reaches alice's personal inbox, signed by the coalition, embedding the
    // Follow exactly as sent.
    let got = w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    let accept = got[0].json();
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["actor"], w.coalition.as_str());
    assert_eq!(accept["object"], embedded_follow(&follow));
    assert_eq!(accept["to"], json!([w.peer.actor_id("alice")]));
    assert!(accept["id"].as_str().unwrap().starts_with(&w.coalition));
    let key_id = verify_as_mastodon(&got[0], &w.pem().await).expect("Mastodon verifies it");
    assert_eq!(key_id, format!("{}#main-key", w.coalition));
    assert_eq!(got[0].headers["content-type"], "application/activity+json");

    // Recorded, with the profile as received.
    assert_eq!(w.follower_count().await, 1);
    assert_eq!(w.followers().await, json!([w.peer.actor_id("alice")]));
    let id = w.peer.actor_id("alice");
    assert_eq!(
        w.db.text(&format!("SELECT name FROM remote_actors WHERE id = '{id}'"))
            .await
            .as_deref(),
        Some("alice (peer)")
    );
    assert_eq!(
        w.db.text(&format!(
            "SELECT shared_inbox FROM remote_actors WHERE id = '{id}'"
        ))
        .await,
        Some(format!("{}/inbox", w.peer.base))
    );

    // Undo{Follow} as Mastodon sends it: the Follow embedded.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}#follows/1/undo"),
        "type": "Undo",
        "actor": id,
        "object": {"id": follow["id"], "type": "Follow", "actor": id, "object": w.coalition},
    });
    assert_eq!(w.send("alice", &undo).await.status(), 202);
    assert_eq!(w.follower_count().await, 0);
    assert_eq!(w.followers().await, json!([]));
}

async fn repeated_follows_are_accepted_again_and_repeated_ids_count_once(backend: Backend) {
    let w = world(backend, "").await;
    let first = a_follow(&w, "alice", 1);
    assert_eq!(w.send("alice", &first).await.status(), 202);
    w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;

    // The same activity again: 202, one effect, no second Accept.
    assert_eq!(w.send("alice", &first).await.status(), 202);
    // A new Follow from a follower: accepted again, naming the new Follow.
    let second = a_follow(&w, "alice", 2);
    assert_eq!(w.send("alice", &second).await.status(), 202);
    let got = w.peer.wait_for("/users/alice/inbox", 2, WAIT).await;
    // Once nothing is left to deliver, a third Accept would have arrived.
    w.deliveries_drained().await;
    let got_all = w.peer.received();
    assert_eq!(got_all.len(), 2, "exactly two Accepts");
    assert_eq!(got[1].json()["object"], embedded_follow(&second));
    assert_ne!(
        got[0].json()["id"],
        got[1].json()["id"],
        "each Accept has its own id"
    );
    assert_eq!(w.follower_count().await, 1);

    // Bob follows too: newest first.
    assert_eq!(w.send("bob", &a_follow(&w, "bob", 3)).await.status(), 202);
    w.peer.wait_for("/users/bob/inbox", 1, WAIT).await;
    assert_eq!(
        w.followers().await,
        json!([w.peer.actor_id("bob"), w.peer.actor_id("alice")])
    );

    // An activity type we do not handle: 202, ignored.
    let like = json!({"id": format!("{}/likes/1", w.peer.base), "type": "Flag",
                      "actor": w.peer.actor_id("alice"), "object": w.coalition});
    assert_eq!(w.send("alice", &like).await.status(), 202);
}

async fn bad_input_is_refused_and_leaves_no_trace(backend: Backend) {
    let w = world(backend, "").await;
    let inbox = w.inbox();
    let follow = a_follow(&w, "alice", 1);
    let body = follow.to_string();
    let bytes = body.as_bytes();
    let hour = Duration::from_secs(3600);

    let cases: Vec<(&str, reqwest::Response, u16)> = vec![
        ("unsigned", w.peer.post_with(&w.client, &inbox, bytes, Sign { name: "alice", unsigned: true, ..Sign::default() }).await, 401),
        ("signed with a key that is not the actor's", w.peer.post_with(&w.client, &inbox, bytes, Sign { name: "alice", key_of: Some("bob"), ..Sign::default() }).await, 401),
        ("actor is not the signer", w.peer.post_with(&w.client, &inbox, bytes, Sign { name: "bob", ..Sign::default() }).await, 401),
        ("digest of another body", w.peer.post_with(&w.client, &inbox, bytes, Sign { name: "alice", digest_of: Some(b"{}"), ..Sign::default() }).await, 401),
        ("date two hours old", w.peer.post_with(&w.client, &inbox, bytes, Sign { name: "alice", date: Some(SystemTime::now() - 2 * hour), ..Sign::default() }).await, 401),
        ("date two hours ahead", w.peer.post_with(&w.client, &inbox, bytes, Sign { name: "alice", date: Some(SystemTime::now() + 2 * hour), ..Sign::default() }).await, 401),
        ("malformed JSON", w.peer.post(&w.client, "alice", &inbox, b"{\"type\": \"Follow\",").await, 400),
        ("no actor", w.peer.post(&w.client, "alice", &inbox, br#"{"id":"http://x.example/1","type":"Follow"}"#).await, 400),
        ("a Follow of someone else", w.send("alice", &json!({"id": format!("{}/follows/9", w.peer.base), "type": "Follow", "actor": w.peer.actor_id("alice"), "object": "https://elsewhere.example/users/x"})).await, 422),
    ];
    for (what, res, status) in cases {
        let msg = assert_json_error(res, status).await;
        assert!(!msg.is_empty(), "{what}");
    }
    let big = vec![b' '; 1024 * 1024 + 1];
    let res = w.peer.post(&w.client, "alice", &inbox, &big).await;
    assert_json_error(res, 413).await;
    let res = w
        .peer
        .post(
            &w.client,
            "alice",
            &format!("{}/ap/nobody/inbox", w.app.base),
            bytes,
        )
        .await;
    assert_json_error(res, 404).await;

    // Each was refused before anything was stored or queued.
    assert_eq!(w.db.count("SELECT COUNT(*) FROM followers").await, 0);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM deliveries").await, 0);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM received_activities").await,
        0
    );
    assert!(w.peer.received().is_empty(), "nothing sent");

    // And the same Follow, correctly signed, still works afterwards; its Accept is all that
    // was ever sent.
    assert_eq!(w.send("alice", &follow).await.status(), 202);
    w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    w.deliveries_drained().await;
    assert_eq!(w.peer.received().len(), 1, "only the Accept");
}

async fn actor_delete_and_update_are_applied(backend: Backend) {
    let w = world(backend, "").await;
    for (n, name) in ["alice", "bob"].into_iter().enumerate() {
        assert_eq!(
            w.send(name, &a_follow(&w, name, n as u32)).await.status(),
            202
        );
        w.peer
            .wait_for(&format!("/users/{name}/inbox"), 1, WAIT)
            .await;
    }
    // Update: bob's new display name and avatar reach the stored profile, and his new
    // shared inbox is where deliveries go (the followers' copy kept by migration 0007's
    // triggers, which the fan-out reads).
    let bob = w.peer.actor_id("bob");
    let delivery_inbox = async || {
        w.db.text(&format!(
            "SELECT delivery_inbox FROM followers WHERE actor_id = '{bob}'"
        ))
        .await
    };
    assert_eq!(
        delivery_inbox().await,
        Some(format!("{}/inbox", w.peer.base))
    );
    let mut doc = w.peer.actor_doc("bob");
    doc["name"] = json!("Bob, renamed");
    doc["endpoints"] = json!({"sharedInbox": format!("{}/shared-v2", w.peer.base)});
    doc["icon"] = json!({"type": "Image", "url": format!("{}/avatars/new.png", w.peer.base)});
    let update = json!({"id": format!("{bob}#updates/1"), "type": "Update", "actor": bob,
                        "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": doc});
    assert_eq!(w.send("bob", &update).await.status(), 202);
    assert_eq!(
        w.db.text(&format!(
            "SELECT name FROM remote_actors WHERE id = '{bob}'"
        ))
        .await
        .as_deref(),
        Some("Bob, renamed")
    );
    assert_eq!(
        w.db.text(&format!(
            "SELECT icon_url FROM remote_actors WHERE id = '{bob}'"
        ))
        .await,
        Some(format!("{}/avatars/new.png", w.peer.base))
    );
    assert_eq!(
        delivery_inbox().await,
        Some(format!("{}/shared-v2", w.peer.base))
    );

    // Delete: alice's account is gone (her actor answers 410); her Delete is accepted and
    // she no longer follows.
    let alice = w.peer.actor_id("alice");
    w.peer.set_actor_status("alice", 410);
    let delete = json!({"id": format!("{alice}#delete"), "type": "Delete", "actor": alice,
                        "object": alice, "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(w.send("alice", &delete).await.status(), 202);
    assert_eq!(w.followers().await, json!([bob]));
    assert_eq!(
        w.db.count(&format!(
            "SELECT COUNT(*) FROM remote_actors WHERE id = '{alice}'"
        ))
        .await,
        0
    );

    // A Delete from an unknown actor that answers 410 is accepted and ignored.
    let stranger = format!("{}/users/ghost", w.peer.base);
    let ghost = json!({"id": format!("{stranger}#delete"), "type": "Delete", "actor": stranger, "object": stranger});
    let res = w
        .peer
        .post_with(
            &w.client,
            &format!("{}/inbox", w.app.base),
            ghost.to_string().as_bytes(),
            Sign {
                name: "alice",
                key_id: Some(&format!("{stranger}#main-key")),
                ..Sign::default()
            },
        )
        .await;
    // The peer answers 404 for an unknown user: it cannot be verified, so 401.
    assert_eq!(res.status(), 401);
}

async fn accept_survives_a_peer_outage_and_a_restart(backend: Backend) {
    let mut w = world(backend, "").await;
    // The peer serves alice's actor, so the Follow verifies; then it goes down before the
    // Accept can reach it.
    let follow = a_follow(&w, "alice", 1);
    // Failing before it is down, so that the first attempt cannot win the race.
    w.peer.set_inbox_status(503);
    assert_eq!(w.send("alice", &follow).await.status(), 202);
    w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    w.peer.go_down().await;
    w.peer.set_inbox_status(202);

    // Attempts fail (connection refused) and are retried.
    eventually(
        "the Accept is retried while the peer is down",
        WAIT,
        async || {
            w.db.count("SELECT CAST(COALESCE(MAX(attempts), 0) AS BIGINT) FROM deliveries")
                .await
                >= 2
        },
    )
    .await;
    assert_eq!(
        w.db.text("SELECT state FROM deliveries").await.as_deref(),
        Some("pending")
    );

    // The server stops and starts again on the same database.
    let before_restart = SystemTime::now();
    w.restart("").await;
    w.app.ready().await;

    // The peer comes back: the Accept arrives, signed afresh with a new Date.
    w.peer.come_back().await;
    let got = w
        .peer
        .wait_for("/users/alice/inbox", 2, Duration::from_secs(30))
        .await;
    let accept = got.last().unwrap();
    assert_eq!(accept.json()["object"], embedded_follow(&follow));
    let date = httpdate::parse_http_date(accept.headers["date"].to_str().unwrap()).unwrap();
    assert!(
        date + Duration::from_secs(1) >= before_restart,
        "signed after the restart, not before"
    );
    verify_as_mastodon(accept, &w.pem().await).expect("the re-signed Accept verifies");
    eventually("the delivery is recorded as delivered", WAIT, async || {
        w.db.text("SELECT state FROM deliveries").await.as_deref() == Some("delivered")
    })
    .await;
}

async fn blocked_domains_get_403(backend: Backend) {
    let mut w = world(backend, "").await;
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 1)).await.status(),
        202
    );
    assert_eq!(w.follower_count().await, 1);

    // The peer's port is only known once it runs: block all of `localhost` in the
    // configuration. At start, the domain's followers go.
    w.restart("[federation]\nblocked_domains = [\"localhost\"]\n")
        .await;
    assert_eq!(w.follower_count().await, 0);
    let received = w.db.count("SELECT COUNT(*) FROM received_activities").await;
    let res = w.send("alice", &a_follow(&w, "alice", 2)).await;
    assert_json_error(res, 403).await;
    assert_eq!(w.db.count("SELECT COUNT(*) FROM remote_actors").await, 0);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM received_activities").await,
        received
    );
}

async fn manual_approval_keeps_follows_pending(backend: Backend) {
    let w = world(backend, "[coalition]\nmanually_approves_followers = true\n").await;
    let actor = w.app.get_ap(&w.coalition).await;
    assert_eq!(actor["manuallyApprovesFollowers"], true);
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 1)).await.status(),
        202
    );
    // Once nothing is left to deliver, an Accept would have arrived.
    w.deliveries_drained().await;
    assert!(
        w.peer.received().is_empty(),
        "no Accept before an admin approves"
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM followers WHERE state = 'pending'")
            .await,
        1
    );
    assert_eq!(w.follower_count().await, 0);
}

async fn a_rotated_key_is_refetched_once(backend: Backend) {
    let w = world(backend, "").await;
    let follow = a_follow(&w, "alice", 1);
    assert_eq!(w.send("alice", &follow).await.status(), 202);
    let alice = w.peer.actor_id("alice");
    let sql = format!("SELECT public_key_pem FROM remote_actors WHERE id = '{alice}'");
    let before = w.db.text(&sql).await;

    // Alice's server rotates her key; her next activity is signed with the new one. The
    // stored key fails, tribune refetches her actor once, and the signature verifies.
    w.peer.rotate_key("alice");
    let undo = json!({"id": format!("{alice}#undo/1"), "type": "Undo", "actor": alice,
                      "object": follow["id"]});
    assert_eq!(w.send("alice", &undo).await.status(), 202);
    let after = w.db.text(&sql).await;
    assert_ne!(before, after, "the new key is stored");
    assert_eq!(w.follower_count().await, 0);

    // A signature by a key the actor does not publish still fails after the refetch.
    let bad = json!({"id": format!("{alice}#follow/2"), "type": "Follow", "actor": alice, "object": w.coalition});
    let res = w
        .peer
        .post_with(
            &w.client,
            &w.inbox(),
            bad.to_string().as_bytes(),
            Sign {
                name: "alice",
                key_of: Some("bob"),
                ..Sign::default()
            },
        )
        .await;
    assert_json_error(res, 401).await;
}

async fn inbox_limits_answer_429(backend: Backend) {
    let w = world(
        backend,
        "[inbox]\nmax_per_host_per_minute = 5\nmax_per_ip_per_minute = 8\n",
    )
    .await;
    let mut statuses = Vec::new();
    for n in 0..7 {
        statuses.push(
            w.send("alice", &a_follow(&w, "alice", n))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses,
        [202, 202, 202, 202, 202, 429, 429],
        "per signing host"
    );
    let res = w.send("bob", &a_follow(&w, "bob", 9)).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_json_error(res, 429).await;
    // Per address, whatever is sent (here, unsigned junk).
    let res = w
        .client
        .post(format!("{}/inbox", w.app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_json_error(res, 429).await;
}

async fn private_addresses_are_refused_when_not_allowed(backend: Backend) {
    // The peer's actor is on 127.0.0.1: with the guard on, tribune will not fetch it, so
    // the Follow cannot be verified and nothing is stored.
    let w = world(backend, "[federation]\nallow_private_addresses = false\n").await;
    let res = w.send("alice", &a_follow(&w, "alice", 1)).await;
    assert_json_error(res, 401).await;
    assert_eq!(w.db.count("SELECT COUNT(*) FROM remote_actors").await, 0);
    // The delivery client refuses loopback too, whatever the port.
    let settings = tribune::config::Settings::defaults().unwrap();
    let client =
        tribune::transport::client::delivery_client(&settings.delivery, false, "test").unwrap();
    let err = client
        .get(format!("{}/users/alice", w.peer.base))
        .send()
        .await
        .unwrap_err();
    let chain = format!("{err:?}");
    assert!(
        chain.contains("127.0.0.1")
            || chain.to_lowercase().contains("local")
            || chain.contains("resolve"),
        "{chain}"
    );
    assert!(w.peer.received().is_empty());
}

async fn keys_rotate_without_losing_followers(backend: Backend) {
    let w = world(backend, "").await;
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 1)).await.status(),
        202
    );
    w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    let old = w.pem().await;

    let out = w.cli.ok(&["keys", "rotate"]).await;
    assert!(out.contains("queued for 1 inbox"), "{out}");
    // Followers are told the new key.
    let got = w.peer.wait_for("/inbox", 1, WAIT).await;
    let update = got[0].json();
    assert_eq!(update["type"], "Update");
    assert_eq!(update["object"]["id"], w.coalition.as_str());
    let new = update["object"]["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    // The running server serves and signs with it within seconds.
    eventually("the server takes the new key", WAIT, async || {
        w.pem().await == new
    })
    .await;
    // Mastodon re-Follows after a key change: accepted, signed with the new key.
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 2)).await.status(),
        202
    );
    let got = w.peer.wait_for("/users/alice/inbox", 2, WAIT).await;
    let accept = got.last().unwrap();
    verify_as_mastodon(accept, &new).expect("signed with the new key");
    assert!(verify_as_mastodon(accept, &old).is_err());
    assert_eq!(w.follower_count().await, 1);
}

async fn authorized_fetch_requires_signed_gets(backend: Backend) {
    let w = world(backend, "[federation]\nauthorized_fetch = true\n").await;
    let followers = format!("{}/followers", w.coalition);
    // Unsigned: refused for collections; the actor and the pages stay public.
    assert_json_error(w.app.get(&followers, AP_ACCEPT).await, 401).await;
    assert_eq!(w.app.get(&w.coalition, AP_ACCEPT).await.status(), 200);
    assert_eq!(
        w.app
            .get(&format!("{}/@coalition", w.app.base), "text/html")
            .await
            .status(),
        200
    );
    let jrd = w
        .app
        .webfinger(&format!("acct:coalition@localhost:{}", w.app.addr.port()))
        .await;
    assert_eq!(jrd.status(), 200);
    // Signed by an actor it can fetch: served.
    let res = w.peer.get_signed(&w.client, "alice", &followers).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "OrderedCollection");
    // The inbox still takes signed POSTs.
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 1)).await.status(),
        202
    );
}

async fn rfc9421_message_signatures_are_verified(backend: Backend) {
    use crate::peer::Rfc9421Tweak;
    let w = world(backend, "").await;
    let inbox = w.inbox();
    let body = a_follow(&w, "alice", 1).to_string();
    for (what, tweak) in [
        (
            "a digest of another body",
            Rfc9421Tweak {
                wrong_digest: true,
                ..Default::default()
            },
        ),
        (
            "no content-digest covered",
            Rfc9421Tweak {
                without_digest: true,
                ..Default::default()
            },
        ),
        (
            "created two hours ago",
            Rfc9421Tweak {
                age_seconds: 7200,
                ..Default::default()
            },
        ),
        (
            "signed with bob's key",
            Rfc9421Tweak {
                key_of: Some("bob"),
                ..Default::default()
            },
        ),
    ] {
        let res = w
            .peer
            .post_rfc9421(&w.client, "alice", &inbox, body.as_bytes(), tweak)
            .await;
        assert_eq!(res.status(), 401, "{what}");
    }
    assert_eq!(w.db.count("SELECT COUNT(*) FROM followers").await, 0);
    let res = w
        .peer
        .post_rfc9421(
            &w.client,
            "alice",
            &inbox,
            body.as_bytes(),
            Rfc9421Tweak::default(),
        )
        .await;
    assert_eq!(res.status(), 202, "{:?}", res.text().await);
    let got = w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["type"], "Accept");
}

async fn a_401_is_answered_with_a_second_knock_in_rfc9421(backend: Backend) {
    let w = world(backend, "").await;
    // A server that only takes RFC 9421 (answers 401 to draft-cavage).
    w.peer.require_rfc9421(&w.pem().await);
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 1)).await.status(),
        202
    );
    // First knock (cavage) refused, second (RFC 9421) accepted: recorded as delivered.
    let got = w.peer.wait_for("/users/alice/inbox", 2, WAIT).await;
    assert!(got[0].headers.get("signature-input").is_none());
    assert!(got[1].headers.get("signature-input").is_some());
    eventually("delivered on the second knock", WAIT, async || {
        w.db.text("SELECT state FROM deliveries").await.as_deref() == Some("delivered")
    })
    .await;
    // The host is remembered: the next delivery goes straight to RFC 9421.
    assert_eq!(
        w.send("alice", &a_follow(&w, "alice", 2)).await.status(),
        202
    );
    let got = w.peer.wait_for("/users/alice/inbox", 3, WAIT).await;
    assert!(
        got[2].headers.get("signature-input").is_some(),
        "one knock only"
    );
}

async fn rfc9421_with_an_ed25519_key(backend: Backend) {
    use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let w = world(backend, "").await;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let alice = w.peer.actor_id("alice");
    let key_id = format!("{alice}#ed25519-key");
    let mut multikey = vec![0xed, 0x01];
    multikey.extend_from_slice(pair.public_key().as_ref());
    w.peer.set_actor_field(
        "alice",
        "assertionMethod",
        json!([{
            "id": key_id, "type": "Multikey", "controller": alice,
            "publicKeyMultibase": format!("z{}", bs58::encode(&multikey).into_string()),
        }]),
    );
    let inbox = w.inbox();
    let send = |body: String, sign_with: &Ed25519KeyPair| {
        let digest = format!(
            "sha-256=:{}:",
            BASE64.encode(ring::digest::digest(&ring::digest::SHA256, body.as_bytes()))
        );
        let created = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let params = format!(
            "(\"@method\" \"@target-uri\" \"content-digest\");created={created};keyid=\"{key_id}\";alg=\"ed25519\""
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": {inbox}\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
        );
        let signature = BASE64.encode(sign_with.sign(base.as_bytes()).as_ref());
        w.client
            .post(&inbox)
            .header("content-type", "application/activity+json")
            .header("content-digest", digest)
            .header("signature-input", format!("sig1={params}"))
            .header("signature", format!("sig1=:{signature}:"))
            .body(body)
            .send()
    };
    // Signed by another Ed25519 key: refused.
    let other =
        Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).unwrap().as_ref()).unwrap();
    let res = send(a_follow(&w, "alice", 1).to_string(), &other)
        .await
        .unwrap();
    assert_json_error(res, 401).await;
    // Signed by the key alice publishes: accepted.
    let res = send(a_follow(&w, "alice", 1).to_string(), &pair)
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "{:?}", res.text().await);
    w.peer.wait_for("/users/alice/inbox", 1, WAIT).await;
}
