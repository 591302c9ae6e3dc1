//! One actor, one signature (#16, points 6 to 8): repeated boosts count once, an Undo that
//! arrives before what it undoes is kept, and moderation outlives an un-boost.

use serde_json::{Value, json};

use crate::{
    cosign::{Cosign, hex_sha256},
    helpers::{Backend, eventually, on_both_backends},
};

on_both_backends!(
    five_boosts_by_one_actor_are_one_signature,
    an_undo_that_arrives_first_is_kept,
    hiding_outlives_an_unboost_and_a_new_boost,
    a_signers_class_on_display_follows_the_current_roster,
);

/// The public co-signers' `totalItems` and actor ids.
async fn public_signers(w: &Cosign) -> (u64, Vec<String>) {
    let head = w.app.get_ap(&format!("{}/cosigners", w.note)).await;
    let page = w.cosigners().await;
    let actors = page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["actor"]["id"].as_str().unwrap().to_owned())
        .collect();
    (head["totalItems"].as_u64().unwrap(), actors)
}

fn events(ledger: &[Value]) -> Vec<String> {
    ledger
        .iter()
        .map(|e| e["parsed"]["event"].as_str().unwrap().to_owned())
        .collect()
}

/// Point 6: five Announces of the statement by one actor, five ids: one co-signer, one
/// ledger entry, one count, everywhere.
async fn five_boosts_by_one_actor_are_one_signature(backend: Backend) {
    let w = Cosign::new(backend, "", &["alice", "bob"]).await;
    for n in 1..=5 {
        let res = w
            .send_from(&w.peer, "alice", &w.announce(&w.peer, "alice", n))
            .await;
        assert_eq!(res.status(), 202);
    }
    // Control: another actor's boost is a second signature.
    let res = w
        .send_from(&w.peer, "bob", &w.announce(&w.peer, "bob", 1))
        .await;
    assert_eq!(res.status(), 202);
    let (total, actors) = public_signers(&w).await;
    assert_eq!(total, 2, "{actors:?}");
    assert_eq!(actors.len(), 2, "{actors:?}");
    assert_eq!(events(&w.ledger().await), ["sign", "sign"]);
    assert_eq!(w.export().await["count"], 2);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM cosignatures").await,
        2,
        "one row per actor"
    );
    // Alice's undo of her first boost withdraws her one signature.
    let first = w.announce(&w.peer, "alice", 1);
    let res = w
        .send_from(&w.peer, "alice", &w.undo("alice", &first))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(public_signers(&w).await.0, 1);
    w.verified().await;
}

/// Point 7: `Undo{Announce}`, `Undo{Like}` and `Undo{Follow}` that arrive before the
/// activity they undo are kept, and the late activity is refused; the same activities from
/// another actor, in order, take effect.
async fn an_undo_that_arrives_first_is_kept(backend: Backend) {
    let w = Cosign::new(backend, "", &["alice", "bob"]).await;
    let boost = w.announce(&w.peer, "alice", 7);
    let like = w.like("alice");
    let follow = w.follow(&w.peer, "alice", 3);
    for inner in [&boost, &like, &follow] {
        let res = w.send_from(&w.peer, "alice", &w.undo("alice", inner)).await;
        assert_eq!(res.status(), 202);
    }
    for late in [&boost, &like] {
        let res = w.send_from(&w.peer, "alice", late).await;
        assert_eq!(res.status(), 202, "a late activity is answered as received");
    }
    let res = w.post(&w.peer, "alice", &w.inbox(), &follow).await;
    assert_eq!(res.status(), 202);

    // Control: Bob boosts, likes and follows in order.
    let res = w
        .send_from(&w.peer, "bob", &w.announce(&w.peer, "bob", 1))
        .await;
    assert_eq!(res.status(), 202);
    let res = w.send_from(&w.peer, "bob", &w.like("bob")).await;
    assert_eq!(res.status(), 202);
    w.followed_by(&w.peer, "bob").await;

    let (total, actors) = public_signers(&w).await;
    assert_eq!(total, 1, "{actors:?}");
    assert_eq!(actors, [w.peer.actor_id("bob")]);
    assert_eq!(w.shares().await, (1, 1), "Bob's boost and like only");
    assert_eq!(w.follower_count().await, json!(1));
    assert_eq!(events(&w.ledger().await), ["sign"]);

    // A later Follow under a new id is a new follow: the kept Undo names only the old one.
    let res = w
        .post(&w.peer, "alice", &w.inbox(), &w.follow(&w.peer, "alice", 4))
        .await;
    assert_eq!(res.status(), 202);
    eventually("Alice's new follow", crate::helpers::WAIT, async || {
        w.follower_count().await == json!(2)
    })
    .await;
}

/// Point 8: a hidden co-signature stays hidden when its author un-boosts and boosts again;
/// the public ledger shows the reason's hash only; an admin lifts the hiding.
async fn hiding_outlives_an_unboost_and_a_new_boost(backend: Backend) {
    let w = Cosign::new(backend, "", &["alice", "bob"]).await;
    let alice = w.peer.actor_id("alice");
    for name in ["alice", "bob"] {
        let res = w
            .send_from(&w.peer, name, &w.announce(&w.peer, name, 1))
            .await;
        assert_eq!(res.status(), 202);
    }
    let reason = "usurpation d'identité";
    w.cli
        .ok(&[
            "cosigners",
            "hide",
            "manifeste-2026",
            &alice,
            "--reason",
            reason,
        ])
        .await;
    assert_eq!(public_signers(&w).await.0, 1);

    // Un-boost, then boost again under a new id.
    let first = w.announce(&w.peer, "alice", 1);
    let res = w
        .send_from(&w.peer, "alice", &w.undo("alice", &first))
        .await;
    assert_eq!(res.status(), 202);
    let res = w
        .send_from(&w.peer, "alice", &w.announce(&w.peer, "alice", 2))
        .await;
    assert_eq!(res.status(), 202);
    let (total, actors) = public_signers(&w).await;
    assert_eq!(total, 1, "still hidden: {actors:?}");
    assert!(!actors.contains(&alice));
    let export = w.export().await;
    let signers = export["signers"].as_array().unwrap();
    let hers: Vec<&Value> = signers.iter().filter(|s| s["actor"] == alice).collect();
    assert_eq!(hers.len(), 1, "{export}");
    assert_eq!(hers[0]["hidden"], true);
    assert_eq!(hers[0]["hidden_reason"], reason, "the admins keep the text");

    let ledger = w.ledger().await;
    assert_eq!(
        events(&ledger),
        ["sign", "sign", "hide", "withdraw", "sign", "hide"]
    );
    for hide in ledger.iter().filter(|e| e["parsed"]["event"] == "hide") {
        assert_eq!(hide["parsed"]["reason_sha256"], hex_sha256(reason));
        assert!(!hide.to_string().contains("usurpation"), "{hide}");
    }

    // Lifting: the current signature shows again, with an entry in the ledger.
    let out = w
        .cli
        .ok(&["cosigners", "unhide", "manifeste-2026", &alice])
        .await;
    assert!(out.contains("shown"), "{out}");
    let (total, actors) = public_signers(&w).await;
    assert_eq!(total, 2);
    assert!(actors.contains(&alice), "{actors:?}");
    assert_eq!(events(&w.ledger().await).last().unwrap(), "unhide");
    // Nothing left to lift: a clear error.
    let out = w
        .cli
        .run(&["cosigners", "unhide", "manifeste-2026", &alice])
        .await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("not hidden"), "{}", out.stderr);
    w.verified().await;
}

/// Point 2: an organisation that signs and then joins the roster is shown among the member
/// organisations, and again among the others once it leaves; the ledger keeps what was true
/// when it signed.
async fn a_signers_class_on_display_follows_the_current_roster(backend: Backend) {
    let w = Cosign::new(backend, "", &["asso"]).await;
    w.peer.set_actor_field("asso", "type", json!("Group"));
    let res = w
        .send_from(&w.peer, "asso", &w.announce(&w.peer, "asso", 1))
        .await;
    assert_eq!(res.status(), 202);
    let class = async || w.cosigners().await["orderedItems"][0]["class"].clone();
    assert_eq!(class().await, "organisation");
    let asso = w.peer.actor_id("asso");
    w.cli.ok(&["members", "add", &asso]).await;
    assert_eq!(class().await, "member");
    assert_eq!(w.export().await["signers"][0]["class"], "member");
    let page = w
        .app
        .get("/statements/manifeste-2026?lang=en", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Member organisations (1)"), "{page}");
    w.cli.ok(&["members", "remove", &asso]).await;
    assert_eq!(class().await, "organisation");
    assert_eq!(w.ledger().await[0]["parsed"]["class"], "organisation");
}
