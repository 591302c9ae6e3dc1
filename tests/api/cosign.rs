//! Boosts become co-signatures (docs/interop.md §4): the ledger, counts, exports, bad input.

use std::ops::Deref;

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestDb, WAIT, World, assert_json_error, on_both_backends},
    peer::{Peer, Sign},
};

on_both_backends!(
    a_boost_signs_an_unboost_withdraws_and_the_ledger_proves_it,
    who_counts_classes_hiding_and_versions,
    bad_input_and_floods,
    a_hundred_actors_boosting_at_once_make_a_hundred_signatures,
    real_servers_boosts_and_likes_are_accepted,
    a_deleted_account_withdraws_and_the_admin_api_exports,
);

pub(crate) const STATEMENT: &str = "+++\nslug = \"manifeste-2026\"\n[title]\nfr = \"Manifeste\"\nen = \"Manifesto\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A server with the statement manifeste-2026 published, and a peer whose actors boost it.
pub(crate) struct Cosign {
    pub world: World,
    /// The statement's Note.
    pub note: String,
}

impl Deref for Cosign {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl Cosign {
    pub(crate) async fn new(backend: Backend, extra: &str, names: &[&str]) -> Cosign {
        Cosign::publish(World::start(backend, extra, names).await).await
    }

    pub(crate) async fn publish(world: World) -> Cosign {
        let file = world.file("s.md", STATEMENT);
        world.cli.ok(&["statement", "publish", &file]).await;
        let note = format!("{}/statements/manifeste-2026", world.app.base);
        Cosign { world, note }
    }

    /// POST `activity` to the shared inbox, signed by `name` of `peer`.
    pub(crate) async fn send_from(
        &self,
        peer: &Peer,
        name: &str,
        activity: &Value,
    ) -> reqwest::Response {
        self.post(peer, name, &self.shared_inbox(), activity).await
    }

    /// A boost of the statement by `name` of `peer`, as Mastodon sends it.
    pub(crate) fn announce(&self, peer: &Peer, name: &str, n: u32) -> Value {
        let actor = peer.actor_id(name);
        json!({"@context": "https://www.w3.org/ns/activitystreams",
               "id": format!("{actor}/statuses/{n}/activity"), "type": "Announce", "actor": actor,
               "published": "2026-11-29T08:00:00Z", "to": [PUBLIC],
               "cc": [self.coalition, format!("{actor}/followers")], "object": self.note})
    }

    /// A like of the statement by `name` of the world's peer.
    pub(crate) fn like(&self, name: &str) -> Value {
        let actor = self.peer.actor_id(name);
        json!({"id": format!("{actor}#likes/1"), "type": "Like", "actor": actor, "object": self.note})
    }

    /// Undo of `inner` by `name` of the world's peer, `inner` embedded as Mastodon does.
    pub(crate) fn undo(&self, name: &str, inner: &Value) -> Value {
        let actor = self.peer.actor_id(name);
        let mut inner = inner.clone();
        inner.as_object_mut().unwrap().shift_remove("@context");
        json!({"id": format!("{}/undo", inner["id"].as_str().unwrap()), "type": "Undo",
               "actor": actor, "to": [PUBLIC], "object": inner})
    }

    /// The Note's (shares, likes) counts.
    pub(crate) async fn shares(&self) -> (u64, u64) {
        let note = self.app.get_ap(&self.note).await;
        (
            note["shares"]["totalItems"].as_u64().unwrap(),
            note["likes"]["totalItems"].as_u64().unwrap(),
        )
    }

    /// The first page of the public co-signers.
    pub(crate) async fn cosigners(&self) -> Value {
        self.app
            .get_ap(&format!("{}/cosigners?page=1", self.note))
            .await
    }

    /// The first page of the ledger's entries.
    pub(crate) async fn ledger(&self) -> Vec<Value> {
        self.app
            .get_ap(&format!("{}/ledger?page=1", self.note))
            .await["orderedItems"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// `cosigners list --format json`, as an operator exports it.
    pub(crate) async fn export(&self) -> Value {
        serde_json::from_str(
            &self
                .cli
                .ok(&["cosigners", "list", "manifeste-2026", "--format", "json"])
                .await,
        )
        .unwrap()
    }

    /// `cosigners verify` finds the ledger intact; returns what it said.
    pub(crate) async fn verified(&self) -> String {
        self.cli
            .ok(&["cosigners", "verify", "manifeste-2026"])
            .await
    }
}

async fn a_boost_signs_an_unboost_withdraws_and_the_ledger_proves_it(backend: Backend) {
    let w = Cosign::new(
        backend,
        "[cosign]\nrefresh_debounce_seconds = 1\n",
        &["alice", "bob"],
    )
    .await;
    // Bob follows: he will receive the count refreshes.
    w.followed_by(&w.peer, "bob").await;
    let announce = a_boost_is_a_public_signature_counted_once(&w).await;
    let like = a_like_is_support_not_a_signature(&w).await;
    the_counts_reach_followers_as_an_update_that_is_no_edit(&w).await;
    an_unboost_withdraws_and_an_unlike_unlikes(&w, &announce, &like).await;
    the_ledger_chains_the_sign_and_the_withdrawal_and_keeps_the_request(&w, &announce).await;
    a_changed_entry_fails_verification_at_that_entry(&w).await;
}

async fn a_boost_is_a_public_signature_counted_once(w: &Cosign) -> Value {
    assert_eq!(w.shares().await, (0, 0));
    let announce = w.announce(&w.peer, "alice", 1);
    assert_eq!(w.send_shared("alice", &announce).await.status(), 202);
    assert_eq!(w.shares().await, (1, 0));
    assert_eq!(w.export().await["count"], 1);
    let signers = w.cosigners().await;
    assert_eq!(
        signers["orderedItems"][0]["actor"]["id"],
        w.peer.actor_id("alice")
    );
    assert_eq!(signers["orderedItems"][0]["class"], "person");
    assert_eq!(signers["orderedItems"][0]["visibility"], "public");
    assert_eq!(signers["orderedItems"][0]["version"], 1);

    // The same Announce again: one effect.
    assert_eq!(w.send_shared("alice", &announce).await.status(), 202);
    assert_eq!(w.export().await["count"], 1);
    announce
}

async fn a_like_is_support_not_a_signature(w: &Cosign) -> Value {
    let like = w.like("alice");
    assert_eq!(w.send_shared("alice", &like).await.status(), 202);
    assert_eq!(w.shares().await, (1, 1));
    like
}

/// The counts reach followers as an Update that keeps `updated` unchanged.
async fn the_counts_reach_followers_as_an_update_that_is_no_edit(w: &Cosign) {
    // The boost's refresh may leave before the like arrives (a slow machine takes more than
    // the 1 s debounce between them): then a second Update follows with both counts.
    let mut update = Value::Null;
    crate::helpers::eventually("an Update with both counts", WAIT, async || {
        let got = w.peer.wait_for("/inbox", 1, WAIT).await;
        update = got.last().unwrap().json();
        update["object"]["likes"]["totalItems"] == 1
    })
    .await;
    assert_eq!(update["type"], "Update");
    assert_eq!(update["object"]["id"], w.note.as_str());
    assert!(update["object"].get("updated").is_none(), "no edit mark");
    assert_eq!(update["object"]["shares"]["totalItems"], 1);
    assert_eq!(update["object"]["likes"]["totalItems"], 1);
}

/// Un-boost (the Announce embedded), un-like.
async fn an_unboost_withdraws_and_an_unlike_unlikes(w: &Cosign, announce: &Value, like: &Value) {
    assert_eq!(
        w.send_shared("alice", &w.undo("alice", announce))
            .await
            .status(),
        202
    );
    assert_eq!(
        w.send_shared("alice", &w.undo("alice", like))
            .await
            .status(),
        202
    );
    assert_eq!(w.shares().await, (0, 0));
    assert_eq!(w.cosigners().await["orderedItems"], json!([]));
}

/// The ledger: a sign and a withdrawal, chained; verify passes; the signed request is kept
/// for audit.
async fn the_ledger_chains_the_sign_and_the_withdrawal_and_keeps_the_request(
    w: &Cosign,
    announce: &Value,
) {
    let entries = w.ledger().await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["parsed"]["event"], "sign");
    assert_eq!(entries[0]["parsed"]["prev"], "0".repeat(64));
    assert_eq!(entries[1]["parsed"]["event"], "withdraw");
    assert_eq!(entries[1]["parsed"]["prev"], entries[0]["hash"]);
    assert!(entries[0]["parsed"]["request_sha256"].as_str().is_some());
    let out = w.verified().await;
    assert!(out.contains("intact: 2 entries"), "{out}");
    let request =
        w.db.text("SELECT request FROM ledger WHERE seq = 1")
            .await
            .unwrap();
    let request: Value = serde_json::from_str(&request).unwrap();
    assert!(
        request["headers"]["signature"]
            .as_str()
            .unwrap()
            .contains("keyId=")
    );
    assert_eq!(
        serde_json::from_str::<Value>(request["body"].as_str().unwrap()).unwrap(),
        *announce
    );
}

async fn a_changed_entry_fails_verification_at_that_entry(w: &Cosign) {
    let entry =
        w.db.text("SELECT entry FROM ledger WHERE seq = 1")
            .await
            .unwrap();
    let forged = entry.replace("\"public\"", "\"followers\"");
    assert_ne!(entry, forged);
    update_ledger(&w.db, 1, &forged).await;
    let out = w.cli.run(&["cosigners", "verify", "manifeste-2026"]).await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("entry 1"), "{}", out.stderr);
}

async fn update_ledger(db: &TestDb, seq: i64, entry: &str) {
    use sqlx::Connection;
    let sql = "UPDATE ledger SET entry = $1 WHERE seq = $2";
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(entry)
            .bind(seq)
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(entry)
            .bind(seq)
            .execute(&mut c)
            .await
            .unwrap();
    }
}

async fn who_counts_classes_hiding_and_versions(backend: Backend) {
    let w = Cosign::new(
        backend,
        "[cosign]\naccept = \"organisations\"\n",
        &["asso", "union", "person"],
    )
    .await;
    w.peer
        .set_actor_field("asso", "type", json!("Organization"));
    w.peer.set_actor_field("union", "type", json!("Group"));
    // The union is a member of the coalition.
    insert_member(&w.db, &w.peer.actor_id("union")).await;
    for (n, name) in ["person", "asso", "union"].into_iter().enumerate() {
        let announce = w.announce(&w.peer, name, n as u32);
        assert_eq!(w.send_shared(name, &announce).await.status(), 202);
    }
    organisations_sign_members_first_and_a_persons_boost_is_a_share(&w).await;
    the_csv_export_has_a_header_and_a_line_a_boost(&w).await;
    a_hidden_signature_leaves_the_public_list_and_stays_in_the_ledger(&w).await;
    a_new_version_takes_new_signatures_and_keeps_earlier_ones(&w).await;
}

async fn organisations_sign_members_first_and_a_persons_boost_is_a_share(w: &Cosign) {
    let export = w.export().await;
    assert_eq!(export["count"], 2);
    assert_eq!(export["shares"], 3);
    let classes: Vec<(&str, bool)> = export["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["class"].as_str().unwrap(),
                s["signature"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        classes,
        [("member", true), ("organisation", true), ("person", false)]
    );
    let public: Vec<Value> = w.cosigners().await["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["actor"]["id"].clone())
        .collect();
    assert_eq!(
        public,
        [
            json!(w.peer.actor_id("union")),
            json!(w.peer.actor_id("asso"))
        ]
    );
}

async fn the_csv_export_has_a_header_and_a_line_a_boost(w: &Cosign) {
    let csv = w
        .cli
        .ok(&["cosigners", "list", "manifeste-2026", "--format", "csv"])
        .await;
    assert!(csv.starts_with("class,actor,handle,name,type,signature,visibility,version,signed_at,hidden,hidden_reason,origin,role,organisation\n"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
}

/// Hiding: gone from the public list, kept in the ledger, which still verifies.
async fn a_hidden_signature_leaves_the_public_list_and_stays_in_the_ledger(w: &Cosign) {
    let out = w
        .cli
        .ok(&[
            "cosigners",
            "hide",
            "manifeste-2026",
            &w.peer.actor_id("asso"),
            "--reason",
            "impersonation",
        ])
        .await;
    assert!(out.contains("hidden"), "{out}");
    let public = w.cosigners().await["orderedItems"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(public, 1);
    let export = w.export().await;
    assert_eq!(export["count"], 1);
    let asso = export["signers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["class"] == "organisation")
        .unwrap()
        .clone();
    assert_eq!(
        (asso["hidden"].clone(), asso["hidden_reason"].clone()),
        (json!(true), json!("impersonation"))
    );
    let ledger = w.ledger().await;
    assert_eq!(ledger[3]["parsed"]["event"], "hide");
    // The public ledger binds the reason by its hash; the text is for the admins.
    assert_eq!(ledger[3]["parsed"]["reason"], Value::Null);
    assert_eq!(
        ledger[3]["parsed"]["reason_sha256"],
        hex_sha256("impersonation")
    );
    assert!(!ledger[3].to_string().contains("impersonation"));
    w.verified().await;
}

/// A new version: earlier signatures stay on version 1, new ones take version 2.
async fn a_new_version_takes_new_signatures_and_keeps_earlier_ones(w: &Cosign) {
    let file = w.file("v2.md", &STATEMENT.replace("Texte.", "Texte revu."));
    w.cli
        .ok(&["statement", "edit", "manifeste-2026", &file])
        .await;
    let late = Peer::start(&["late"]).await;
    late.set_actor_field("late", "type", json!("Service"));
    assert_eq!(
        w.send_from(&late, "late", &w.announce(&late, "late", 9))
            .await
            .status(),
        202
    );
    let export = w.export().await;
    let version_of = |actor: &str| {
        export["signers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["actor"] == actor)
            .unwrap()["version"]
            .as_i64()
    };
    assert_eq!(version_of(&w.peer.actor_id("union")), Some(1));
    assert_eq!(version_of(&w.peer.actor_id("asso")), Some(1));
    assert_eq!(version_of(&late.actor_id("late")), Some(2));
    let table = w.cli.ok(&["cosigners", "list", "manifeste-2026"]).await;
    assert!(table.starts_with("2 co-signature(s) of "), "{table}");
}

async fn insert_member(db: &TestDb, actor: &str) {
    use sqlx::Connection;
    let sql = "INSERT INTO members (actor_id, added_at) VALUES ($1, $2)";
    let now = chrono::Utc::now();
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(actor)
            .bind(now)
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(actor)
            .bind(now)
            .execute(&mut c)
            .await
            .unwrap();
    }
}

async fn bad_input_and_floods(backend: Backend) {
    let w = Cosign::new(
        backend,
        "[cosign]\nmax_per_actor_per_minute = 10\n",
        &["alice", "bob", "mallory"],
    )
    .await;
    a_boost_signed_by_someone_else_is_refused_and_not_recorded(&w).await;
    boosts_of_what_is_not_ours_or_deleted_sign_nothing(&w).await;
    hostile_names_are_stored_as_received_and_shown_escaped(&w).await;
    a_flood_is_limited_and_what_was_accepted_leaves_the_right_state(&w).await;
}

async fn a_boost_signed_by_someone_else_is_refused_and_not_recorded(w: &Cosign) {
    let announce = w.announce(&w.peer, "alice", 1);
    let res = w
        .peer
        .post_with(
            &w.client,
            &w.shared_inbox(),
            announce.to_string().as_bytes(),
            Sign {
                name: "bob",
                ..Sign::default()
            },
        )
        .await;
    assert_json_error(res, 401).await;
    assert_eq!(w.export().await["shares"], 0);
}

/// Not ours, or deleted: 202, no signature.
async fn boosts_of_what_is_not_ours_or_deleted_sign_nothing(w: &Cosign) {
    let mut elsewhere = w.announce(&w.peer, "alice", 2);
    elsewhere["object"] = json!("https://elsewhere.example/statuses/1");
    assert_eq!(w.send_shared("alice", &elsewhere).await.status(), 202);
    let file = w.file("gone.md", &STATEMENT.replace("manifeste-2026", "retire"));
    w.cli.ok(&["statement", "publish", &file]).await;
    w.cli.ok(&["statement", "delete", "retire"]).await;
    let mut of_deleted = w.announce(&w.peer, "alice", 3);
    of_deleted["object"] = json!(format!("{}/statements/retire", w.app.base));
    assert_eq!(w.send_shared("alice", &of_deleted).await.status(), 202);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM cosignatures").await, 0);
}

async fn hostile_names_are_stored_as_received_and_shown_escaped(w: &Cosign) {
    let hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    w.peer.set_actor_field("mallory", "name", json!(hostile));
    w.peer.set_actor_field("mallory", "summary", json!(hostile));
    let announce = w.announce(&w.peer, "mallory", 1);
    assert_eq!(w.send_shared("mallory", &announce).await.status(), 202);
    let mallory = w.peer.actor_id("mallory");
    assert_eq!(
        w.db.text(&format!(
            "SELECT actor_name FROM cosignatures WHERE actor_id = '{mallory}'"
        ))
        .await
        .as_deref(),
        Some(hostile)
    );
    assert_eq!(
        w.cosigners().await["orderedItems"][0]["actor"]["name"],
        hostile
    );
    let page = w.app.get(&w.note, "text/html").await.text().await.unwrap();
    assert!(
        !page.contains("<script>alert") && !page.contains("<img src=x"),
        "{page}"
    );
}

/// A flood of boosts and un-boosts from one actor: past the limit, 429 with Retry-After;
/// what was accepted leaves the right state.
async fn a_flood_is_limited_and_what_was_accepted_leaves_the_right_state(w: &Cosign) {
    let mut last_accepted = None;
    let mut limited = 0;
    for n in 0..8u32 {
        let a = w.announce(&w.peer, "bob", 100 + n);
        for activity in [a.clone(), w.undo("bob", &a)] {
            let res = w.send_shared("bob", &activity).await;
            match res.status().as_u16() {
                202 => last_accepted = Some(activity["type"].as_str().unwrap().to_owned()),
                429 => {
                    assert!(res.headers().get("retry-after").is_some());
                    limited += 1;
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(limited, 6, "16 activities, 10 a minute");
    let bob_signs =
        w.db.count(&format!(
            "SELECT COUNT(*) FROM cosignatures WHERE actor_id = '{}' AND withdrawn_at IS NULL",
            w.peer.actor_id("bob")
        ))
        .await;
    assert_eq!(last_accepted.as_deref(), Some("Undo"));
    assert_eq!(bob_signs, 0, "every accepted boost was undone");
    w.verified().await;
}

async fn a_hundred_actors_boosting_at_once_make_a_hundred_signatures(backend: Backend) {
    let names: Vec<String> = (0..100).map(|i| format!("signer{i}")).collect();
    let peer = Peer::start_sharing_a_key(&names).await;
    let w = Cosign::publish(World::with_peer(backend, "", peer).await).await;
    let bodies: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                name.clone(),
                w.announce(&w.peer, name, i as u32).to_string(),
            )
        })
        .collect();
    let statuses = post_all_at_once(&w, &bodies).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(w.export().await["count"], 100);
    assert_eq!(w.shares().await.0, 100);
    let out = w.verified().await;
    assert!(out.contains("intact: 100 entries"), "{out}");
}

/// POST every `(actor name, body)` to the shared inbox at once, signed by that actor of the
/// world's peer; the statuses, in order.
pub(crate) async fn post_all_at_once(w: &World, bodies: &[(String, String)]) -> Vec<u16> {
    let inbox = w.shared_inbox();
    let sends = bodies.iter().map(|(name, body)| {
        let inbox = &inbox;
        async move {
            w.peer
                .post(&w.client, name, inbox, body.as_bytes())
                .await
                .status()
                .as_u16()
        }
    });
    futures_join_all(sends).await
}

/// Run futures concurrently (the tests' own small join, to avoid a dependency).
async fn futures_join_all<F: std::future::Future<Output = u16> + Send>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<u16> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out = vec![0; set.len()];
    let mut pending: Vec<usize> = (0..set.len()).collect();
    std::future::poll_fn(|cx| {
        pending.retain(|&i| match set[i].as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[i] = v;
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out
}

async fn real_servers_boosts_and_likes_are_accepted(backend: Backend) {
    const SERVERS: [&str; 4] = ["mastodon", "gotosocial", "misskey", "pleroma"];
    let w = Cosign::new(backend, "", &SERVERS).await;
    for server in SERVERS {
        let actor = w.peer.actor_id(server);
        let signed_sql = format!(
            "SELECT COUNT(*) FROM cosignatures WHERE actor_id = '{actor}' AND withdrawn_at IS NULL"
        );
        for (name, signatures_after, likes_after) in [
            ("announce", 1, 0),
            ("like", 1, 1),
            ("undo_announce", 0, 1),
            ("undo_like", 0, 0),
        ] {
            let activity = w
                .fixture(server, name)
                .unwrap_or_else(|| panic!("{server}/{name}"));
            let res = w.send_shared(server, &activity).await;
            assert_eq!(
                res.status(),
                202,
                "{server}/{name}: {}",
                res.text().await.unwrap_or_default()
            );
            assert_eq!(
                w.db.count(&signed_sql).await,
                signatures_after,
                "{server}/{name}"
            );
            let likes =
                w.db.count(&format!(
                    "SELECT COUNT(*) FROM statement_likes WHERE actor_id = '{actor}'"
                ))
                .await;
            assert_eq!(likes, likes_after, "{server}/{name}");
        }
    }
    w.verified().await;
}

async fn a_deleted_account_withdraws_and_the_admin_api_exports(backend: Backend) {
    let w = Cosign::new(
        backend,
        &format!("[admin]\ntoken = \"{ADMIN_TOKEN}\"\n"),
        &["alice", "bob"],
    )
    .await;
    for (n, name) in ["alice", "bob"].into_iter().enumerate() {
        let announce = w.announce(&w.peer, name, n as u32);
        assert_eq!(w.send_shared(name, &announce).await.status(), 202);
    }
    assert_eq!(w.send_shared("alice", &w.like("alice")).await.status(), 202);
    assert_eq!(w.shares().await, (2, 1));
    a_deleted_account_withdraws_its_signature_and_its_like(&w).await;
    the_admin_api_exports_with_the_count_and_hides(&w).await;
}

const ADMIN_TOKEN: &str = "a-token-for-the-admin-api";

/// Alice deletes her account: her signature is withdrawn (in the ledger), her like gone.
async fn a_deleted_account_withdraws_its_signature_and_its_like(w: &Cosign) {
    let alice = w.peer.actor_id("alice");
    w.peer.set_actor_status("alice", 410);
    let delete = json!({"id": format!("{alice}#delete"), "type": "Delete", "actor": alice, "object": alice, "to": [PUBLIC]});
    assert_eq!(w.send_shared("alice", &delete).await.status(), 202);
    assert_eq!(w.shares().await, (1, 0));
    let last = w.ledger().await.last().unwrap().clone();
    assert_eq!(
        (
            last["parsed"]["event"].clone(),
            last["parsed"]["actor"].clone()
        ),
        (json!("withdraw"), json!(alice))
    );
}

async fn the_admin_api_exports_with_the_count_and_hides(w: &Cosign) {
    let api = |method: reqwest::Method, path: &str| {
        w.app
            .client
            .request(
                method,
                format!("{}/api/admin/statements/manifeste-2026{path}", w.app.base),
            )
            .bearer_auth(ADMIN_TOKEN)
    };
    let export: Value = api(reqwest::Method::GET, "/cosigners")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["count"], 1);
    assert_eq!(export["signers"][0]["actor"], w.peer.actor_id("bob"));
    assert_eq!(export["signers"][0]["version"], 1);
    let res = api(reqwest::Method::POST, "/cosigners/hide")
        .json(&json!({"actor": w.peer.actor_id("bob"), "reason": "spam"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let export: Value = api(reqwest::Method::GET, "/cosigners")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["count"], 0);
    assert_eq!(export["signers"][0]["hidden_reason"], "spam");
    let res = api(reqwest::Method::POST, "/cosigners/hide")
        .json(&json!({"actor": w.peer.actor_id("bob"), "reason": ""}))
        .send()
        .await
        .unwrap();
    assert_json_error(res, 422).await;
    let res = w
        .app
        .client
        .get(format!(
            "{}/api/admin/statements/manifeste-2026/cosigners",
            w.app.base
        ))
        .send()
        .await
        .unwrap();
    assert_json_error(res, 401).await;
    w.verified().await;
}

pub(crate) fn hex_sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
