//! Likes are support: counted in the Note's `likes`, and the count reaches followers again
//! when a like is undone, whichever form the Undo takes (docs/interop.md §4).

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Cli, TestApp, TestDb, on_both_backends},
    peer::Peer,
};

on_both_backends!(a_bare_id_undo_of_a_like_refreshes_the_count_followers_see);

const WAIT: Duration = Duration::from_secs(20);
const STATEMENT: &str =
    "+++\nslug = \"manifeste-2026\"\n[title]\nfr = \"Manifeste\"\n+++\n::: fr\nTexte.\n";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn send(app: &TestApp, peer: &Peer, name: &str, activity: &Value) -> u16 {
    let client = peer.client(&[("localhost", app.addr)]);
    peer.post(
        &client,
        name,
        &format!("{}/inbox", app.base),
        activity.to_string().as_bytes(),
    )
    .await
    .status()
    .as_u16()
}

/// The `likes.totalItems` of the last count refresh (an `Update` of the Note) that the
/// follower's server received, once it has received `n` of them.
async fn likes_in_refresh(peer: &Peer, n: usize) -> u64 {
    let got = peer.wait_for("/inbox", n, WAIT).await;
    let updates: Vec<Value> = got
        .iter()
        .map(|r| r.json())
        .filter(|a| a["type"] == "Update")
        .collect();
    assert_eq!(updates.len(), n, "count refreshes received: {updates:?}");
    let last = updates.last().unwrap();
    assert!(last["object"].get("updated").is_none(), "no edit mark");
    last["object"]["likes"]["totalItems"].as_u64().unwrap()
}

async fn a_bare_id_undo_of_a_like_refreshes_the_count_followers_see(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, "[cosign]\nrefresh_debounce_seconds = 1\n").await;
    let cli = Cli::for_app(&db, &app);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.md");
    std::fs::write(&file, STATEMENT).unwrap();
    cli.ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    let coalition = format!("{}/ap/coalition", app.base);
    let note = format!("{}/statements/manifeste-2026", app.base);
    let peer = Peer::start(&["alice", "bob"]).await;

    // Bob follows: his server receives the count refreshes.
    let follow = json!({"id": format!("{}/f/bob", peer.base), "type": "Follow",
                        "actor": peer.actor_id("bob"), "object": coalition});
    assert_eq!(send(&app, &peer, "bob", &follow).await, 202);
    peer.wait_for("/users/bob/inbox", 1, WAIT).await;

    // Alice likes, as Pleroma does.
    let alice = peer.actor_id("alice");
    let like_id = format!("{}/activities/like-1", peer.base);
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": like_id,
                      "type": "Like", "actor": alice, "object": note,
                      "to": [coalition, format!("{alice}/followers")], "cc": [PUBLIC]});
    assert_eq!(send(&app, &peer, "alice", &like).await, 202);
    assert_eq!(likes_in_refresh(&peer, 1).await, 1);

    // Pleroma and Akkoma undo with the Like's id alone, not the Like embedded.
    let undo = json!({"@context": "https://www.w3.org/ns/activitystreams",
                      "id": format!("{}/activities/undo-1", peer.base), "type": "Undo",
                      "actor": alice, "object": like_id,
                      "to": [coalition, format!("{alice}/followers")], "cc": [PUBLIC]});
    assert_eq!(send(&app, &peer, "alice", &undo).await, 202);
    // The Note as served, and as followers are told.
    let served = app.get_ap(&note).await;
    assert_eq!(served["likes"]["totalItems"], 0);
    assert_eq!(likes_in_refresh(&peer, 2).await, 0);
}
