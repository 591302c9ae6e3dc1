//! Likes are support: counted in the Note's `likes`, and the count reaches followers again
//! when a like is undone, whichever form the Undo takes (docs/interop.md §4).

use serde_json::{Value, json};

use crate::helpers::{Backend, WAIT, World, on_both_backends};

on_both_backends!(a_bare_id_undo_of_a_like_refreshes_the_count_followers_see);

const STATEMENT: &str =
    "+++\nslug = \"manifeste-2026\"\n[title]\nfr = \"Manifeste\"\n+++\n::: fr\nTexte.\n";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The `likes.totalItems` of the last count refresh (an `Update` of the Note) that the
/// follower's server received, once it has received `n` of them.
async fn likes_in_refresh(w: &World, n: usize) -> u64 {
    let got = w.peer.wait_for("/inbox", n, WAIT).await;
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
    let w = World::start(
        backend,
        "[cosign]\nrefresh_debounce_seconds = 1\n",
        &["alice", "bob"],
    )
    .await;
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    let note = format!("{}/statements/manifeste-2026", w.app.base);
    // Bob follows: his server receives the count refreshes.
    w.followed_by(&w.peer, "bob").await;

    // Alice likes, as Pleroma does.
    let alice = w.peer.actor_id("alice");
    let like_id = format!("{}/activities/like-1", w.peer.base);
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": like_id,
                      "type": "Like", "actor": alice, "object": note,
                      "to": [w.coalition, format!("{alice}/followers")], "cc": [PUBLIC]});
    assert_eq!(w.send_shared("alice", &like).await.status(), 202);
    assert_eq!(likes_in_refresh(&w, 1).await, 1);

    // Pleroma and Akkoma undo with the Like's id alone, not the Like embedded.
    let undo = json!({"@context": "https://www.w3.org/ns/activitystreams",
                      "id": format!("{}/activities/undo-1", w.peer.base), "type": "Undo",
                      "actor": alice, "object": like_id,
                      "to": [w.coalition, format!("{alice}/followers")], "cc": [PUBLIC]});
    assert_eq!(w.send_shared("alice", &undo).await.status(), 202);
    // The Note as served, and as followers are told.
    assert_eq!(w.app.get_ap(&note).await["likes"]["totalItems"], 0);
    assert_eq!(likes_in_refresh(&w, 2).await, 0);
}
