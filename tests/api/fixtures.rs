//! Follow, Undo{Follow}, Delete (actor) and Update (actor) as Mastodon, GoToSocial, Misskey,
//! Pleroma/Akkoma and Lemmy send them (tests/fixtures/SERVER/*.json, each naming the source
//! its shape was read from). Each payload is sent as written, but for its URLs: the account
//! becomes an actor of the test peer, which signs it, and the group becomes our coalition.

use serde_json::Value;

use crate::helpers::{Backend, WAIT, World, embedded_follow, on_both_backends};

on_both_backends!(real_servers_payloads_are_accepted);

const SERVERS: [&str; 5] = ["mastodon", "gotosocial", "misskey", "pleroma", "lemmy"];

async fn real_servers_payloads_are_accepted(backend: Backend) {
    let w = World::start(backend, "", &SERVERS).await;
    for server in SERVERS {
        let follow = a_follow_is_accepted_with_the_follow_embedded(&w, server).await;
        a_profile_update_refreshes_the_stored_name(&w, server).await;
        an_undo_follow_removes_the_follower(&w, server).await;
        a_deleted_account_is_forgotten(&w, server, &follow).await;
    }
}

/// Send `activity` as the peer's actor `server` does, to the shared inbox: 202.
async fn send(w: &World, server: &str, activity: &Value) {
    let res = w.send_shared(server, activity).await;
    let status = res.status();
    assert_eq!(
        status,
        202,
        "{server}: {}",
        res.text().await.unwrap_or_default()
    );
}

async fn is_follower(w: &World, server: &str) -> bool {
    w.followers()
        .await
        .as_array()
        .unwrap()
        .contains(&Value::String(w.peer.actor_id(server)))
}

/// Follow → Accept embedding it, as sent. Returns the Follow.
async fn a_follow_is_accepted_with_the_follow_embedded(w: &World, server: &str) -> Value {
    let follow = w
        .fixture(server, "follow")
        .unwrap_or_else(|| panic!("{server} follow"));
    send(w, server, &follow).await;
    let got = w
        .peer
        .wait_for(&format!("/users/{server}/inbox"), 1, WAIT)
        .await;
    assert_eq!(got[0].json()["type"], "Accept", "{server}");
    assert_eq!(
        got[0].json()["object"],
        embedded_follow(&follow),
        "{server}: the Follow is embedded: its id, type, actor and object"
    );
    assert!(is_follower(w, server).await, "{server}");
    follow
}

/// Update of the profile (all but Lemmy, which sends none).
async fn a_profile_update_refreshes_the_stored_name(w: &World, server: &str) {
    let Some(mut update) = w.fixture(server, "update_actor") else {
        return;
    };
    // The peer holds the real key: the updated document carries it.
    update["object"]["publicKey"] = w.peer.actor_doc(server)["publicKey"].clone();
    let name = update["object"]["name"].as_str().map(str::to_owned);
    send(w, server, &update).await;
    let actor = w.peer.actor_id(server);
    let stored =
        w.db.text(&format!(
            "SELECT name FROM remote_actors WHERE id = '{actor}'"
        ))
        .await;
    assert_eq!(stored, name, "{server}: the profile is refreshed");
}

/// Undo{Follow} → no longer a follower.
async fn an_undo_follow_removes_the_follower(w: &World, server: &str) {
    let mut undo = w.fixture(server, "undo_follow").unwrap();
    if server == "lemmy" {
        // Lemmy's Undo carries a new Follow with a fresh id: matched on actor and object.
        if let Some(inner) = undo["object"].as_object_mut() {
            inner.insert(
                "id".into(),
                Value::String(format!(
                    "{}/activities/follow/fresh",
                    w.peer.actor_id(server)
                )),
            );
        }
    }
    send(w, server, &undo).await;
    assert!(!is_follower(w, server).await, "{server}: undone");
}

/// Follow again (a new id), then the account is deleted: its actor answers 410, and it is
/// neither a follower nor a known actor any more.
async fn a_deleted_account_is_forgotten(w: &World, server: &str, follow: &Value) {
    let mut again = follow.clone();
    again["id"] = Value::String(format!("{}-again", follow["id"].as_str().unwrap()));
    send(w, server, &again).await;
    assert!(is_follower(w, server).await, "{server}: following again");
    let delete = w.fixture(server, "delete_actor").unwrap();
    w.peer.set_actor_status(server, 410);
    send(w, server, &delete).await;
    assert!(!is_follower(w, server).await, "{server}: deleted");
    let actor = w.peer.actor_id(server);
    assert_eq!(
        w.db.count(&format!(
            "SELECT COUNT(*) FROM remote_actors WHERE id = '{actor}'"
        ))
        .await,
        0
    );
}
