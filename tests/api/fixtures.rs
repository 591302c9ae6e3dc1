//! Follow, Undo{Follow}, Delete (actor) and Update (actor) as Mastodon, GoToSocial, Misskey,
//! Pleroma/Akkoma and Lemmy send them (tests/fixtures/SERVER/*.json, each naming the source
//! its shape was read from). Each payload is sent as written, but for its URLs: the account
//! becomes an actor of the test peer, which signs it, and the group becomes our coalition.

use std::time::Duration;

use serde_json::Value;

use crate::{
    helpers::{Backend, TestApp, TestDb, on_both_backends},
    peer::Peer,
};

on_both_backends!(real_servers_payloads_are_accepted);

const SERVERS: [&str; 5] = ["mastodon", "gotosocial", "misskey", "pleroma", "lemmy"];
const FIXTURE_GROUP: &str = "https://example.org/ap/coalition";

fn fixture(server: &str, name: &str) -> Option<Value> {
    let path = format!(
        "{}/tests/fixtures/{server}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).expect("fixtures are JSON");
    assert!(
        v["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{server}/{name} names its source"
    );
    Some(v["activity"].clone())
}

/// The fixture with its account and group URLs pointed at the peer and at us.
fn rewrite(activity: &Value, account: &str, peer_actor: &str, coalition: &str) -> Value {
    let text = activity
        .to_string()
        .replace(account, peer_actor)
        .replace(FIXTURE_GROUP, coalition);
    serde_json::from_str(&text).unwrap()
}

async fn real_servers_payloads_are_accepted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, "").await;
    let peer = Peer::start(&SERVERS).await;
    let client = peer.client(&[("localhost", app.addr)]);
    let coalition = format!("{}/ap/coalition", app.base);
    let inbox = format!("{}/inbox", app.base);
    let followers_url = format!("{coalition}/followers?page=1");

    for server in SERVERS {
        let follow = fixture(server, "follow").unwrap_or_else(|| panic!("{server} follow"));
        let account = follow["actor"].as_str().unwrap().to_owned();
        let actor = peer.actor_id(server);
        let send = |activity: Value| {
            let (client, peer, inbox) = (&client, &peer, &inbox);
            async move {
                let res = peer
                    .post(client, server, inbox, activity.to_string().as_bytes())
                    .await;
                let status = res.status();
                assert_eq!(
                    status,
                    202,
                    "{server}: {}",
                    res.text().await.unwrap_or_default()
                );
            }
        };

        // Follow → Accept embedding it, as sent.
        let follow = rewrite(&follow, &account, &actor, &coalition);
        send(follow.clone()).await;
        let got = peer
            .wait_for(
                &format!("/users/{server}/inbox"),
                1,
                Duration::from_secs(20),
            )
            .await;
        assert_eq!(got[0].json()["type"], "Accept", "{server}");
        assert_eq!(
            got[0].json()["object"],
            follow,
            "{server}: the Follow is embedded verbatim"
        );
        assert!(
            followers(&app, &followers_url)
                .await
                .as_array()
                .unwrap()
                .contains(&Value::String(actor.clone())),
            "{server}"
        );

        // Update of the profile (all but Lemmy, which sends none).
        if let Some(update) = fixture(server, "update_actor") {
            let mut update = rewrite(&update, &account, &actor, &coalition);
            // The peer holds the real key: the updated document carries it.
            update["object"]["publicKey"] = peer.actor_doc(server)["publicKey"].clone();
            let name = update["object"]["name"].as_str().map(str::to_owned);
            send(update).await;
            let stored = db
                .text(&format!(
                    "SELECT name FROM remote_actors WHERE id = '{actor}'"
                ))
                .await;
            assert_eq!(stored, name, "{server}: the profile is refreshed");
        }

        // Undo{Follow} → no longer a follower.
        let mut undo = rewrite(
            &fixture(server, "undo_follow").unwrap(),
            &account,
            &actor,
            &coalition,
        );
        if server == "lemmy" {
            // Lemmy's Undo carries a new Follow with a fresh id: matched on actor and object.
            if let Some(inner) = undo["object"].as_object_mut() {
                inner.insert(
                    "id".into(),
                    Value::String(format!("{actor}/activities/follow/fresh")),
                );
            }
        }
        send(undo).await;
        assert!(
            !followers(&app, &followers_url)
                .await
                .as_array()
                .unwrap()
                .contains(&Value::String(actor.clone())),
            "{server}: undone"
        );

        // Follow again (a new id), then the account is deleted: its actor answers 410.
        let mut again = follow.clone();
        again["id"] = Value::String(format!("{}-again", follow["id"].as_str().unwrap()));
        send(again).await;
        assert!(
            followers(&app, &followers_url)
                .await
                .as_array()
                .unwrap()
                .contains(&Value::String(actor.clone()))
        );
        let delete = rewrite(
            &fixture(server, "delete_actor").unwrap(),
            &account,
            &actor,
            &coalition,
        );
        peer.set_actor_status(server, 410);
        send(delete).await;
        assert!(
            !followers(&app, &followers_url)
                .await
                .as_array()
                .unwrap()
                .contains(&Value::String(actor.clone())),
            "{server}: deleted"
        );
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM remote_actors WHERE id = '{actor}'"
            ))
            .await,
            0
        );
    }
}

async fn followers(app: &TestApp, url: &str) -> Value {
    app.get_ap(url).await["orderedItems"].clone()
}
