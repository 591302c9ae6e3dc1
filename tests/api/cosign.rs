//! Boosts become co-signatures (docs/interop.md §4): the ledger, counts, exports, bad input.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Cli, TestApp, TestDb, assert_json_error, on_both_backends},
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

const WAIT: Duration = Duration::from_secs(20);
const STATEMENT: &str = "+++\nslug = \"manifeste-2026\"\n[title]\nfr = \"Manifeste\"\nen = \"Manifesto\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

struct World {
    app: TestApp,
    db: TestDb,
    cli: Cli,
    coalition: String,
    note: String,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new(backend: Backend, extra: &str) -> World {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, extra).await;
        let cli = Cli::for_app(&db, &app);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.md");
        std::fs::write(&file, STATEMENT).unwrap();
        cli.ok(&["statement", "publish", file.to_str().unwrap()])
            .await;
        let coalition = format!("{}/ap/coalition", app.base);
        let note = format!("{}/statements/manifeste-2026", app.base);
        World {
            app,
            db,
            cli,
            coalition,
            note,
            _dir: dir,
        }
    }

    async fn send(&self, peer: &Peer, name: &str, activity: &Value) -> reqwest::Response {
        let client = peer.client(&[("localhost", self.app.addr)]);
        peer.post(
            &client,
            name,
            &format!("{}/inbox", self.app.base),
            activity.to_string().as_bytes(),
        )
        .await
    }

    fn announce(&self, peer: &Peer, name: &str, n: u32) -> Value {
        let actor = peer.actor_id(name);
        json!({"@context": "https://www.w3.org/ns/activitystreams",
               "id": format!("{actor}/statuses/{n}/activity"), "type": "Announce", "actor": actor,
               "published": "2026-11-29T08:00:00Z", "to": [PUBLIC],
               "cc": [self.coalition, format!("{actor}/followers")], "object": self.note})
    }

    fn undo(&self, peer: &Peer, name: &str, inner: &Value) -> Value {
        let actor = peer.actor_id(name);
        let mut inner = inner.clone();
        inner.as_object_mut().unwrap().shift_remove("@context");
        json!({"id": format!("{}/undo", inner["id"].as_str().unwrap()), "type": "Undo",
               "actor": actor, "to": [PUBLIC], "object": inner})
    }

    async fn shares(&self) -> (u64, u64) {
        let note = self.app.get_ap(&self.note).await;
        (
            note["shares"]["totalItems"].as_u64().unwrap(),
            note["likes"]["totalItems"].as_u64().unwrap(),
        )
    }

    async fn cosigners(&self) -> Value {
        self.app
            .get_ap(&format!("{}/cosigners?page=1", self.note))
            .await
    }

    async fn export(&self) -> Value {
        serde_json::from_str(
            &self
                .cli
                .ok(&["cosigners", "list", "manifeste-2026", "--format", "json"])
                .await,
        )
        .unwrap()
    }
}

async fn a_boost_signs_an_unboost_withdraws_and_the_ledger_proves_it(backend: Backend) {
    let w = World::new(backend, "[cosign]\nrefresh_debounce_seconds = 1\n").await;
    let peer = Peer::start(&["alice", "bob"]).await;
    // Bob follows: he will receive the count refreshes.
    let follow = json!({"id": format!("{}/f/bob", peer.base), "type": "Follow", "actor": peer.actor_id("bob"), "object": w.coalition});
    assert_eq!(w.send(&peer, "bob", &follow).await.status(), 202);
    peer.wait_for("/users/bob/inbox", 1, WAIT).await;

    assert_eq!(w.shares().await, (0, 0));
    let announce = w.announce(&peer, "alice", 1);
    assert_eq!(w.send(&peer, "alice", &announce).await.status(), 202);
    assert_eq!(w.shares().await, (1, 0));
    assert_eq!(w.export().await["count"], 1);
    let signers = w.cosigners().await;
    assert_eq!(
        signers["orderedItems"][0]["actor"]["id"],
        peer.actor_id("alice")
    );
    assert_eq!(signers["orderedItems"][0]["class"], "person");
    assert_eq!(signers["orderedItems"][0]["visibility"], "public");
    assert_eq!(signers["orderedItems"][0]["version"], 1);

    // The same Announce again: one effect.
    assert_eq!(w.send(&peer, "alice", &announce).await.status(), 202);
    assert_eq!(w.export().await["count"], 1);

    // A like is support, not a signature.
    let like = json!({"id": format!("{}#likes/1", peer.actor_id("alice")), "type": "Like", "actor": peer.actor_id("alice"), "object": w.note});
    assert_eq!(w.send(&peer, "alice", &like).await.status(), 202);
    assert_eq!(w.shares().await, (1, 1));

    // The counts reach followers as an Update that keeps `updated` unchanged.
    let got = peer.wait_for("/inbox", 1, WAIT).await;
    let update = got.last().unwrap().json();
    assert_eq!(update["type"], "Update");
    assert_eq!(update["object"]["id"], w.note.as_str());
    assert!(update["object"].get("updated").is_none(), "no edit mark");
    assert_eq!(update["object"]["shares"]["totalItems"], 1);
    assert_eq!(update["object"]["likes"]["totalItems"], 1);

    // Un-boost (the Announce embedded), un-like.
    assert_eq!(
        w.send(&peer, "alice", &w.undo(&peer, "alice", &announce))
            .await
            .status(),
        202
    );
    assert_eq!(
        w.send(&peer, "alice", &w.undo(&peer, "alice", &like))
            .await
            .status(),
        202
    );
    assert_eq!(w.shares().await, (0, 0));
    assert_eq!(w.cosigners().await["orderedItems"], json!([]));

    // The ledger: a sign and a withdrawal, chained; verify passes.
    let ledger = w.app.get_ap(&format!("{}/ledger?page=1", w.note)).await;
    let entries = ledger["orderedItems"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["parsed"]["event"], "sign");
    assert_eq!(entries[0]["parsed"]["prev"], "0".repeat(64));
    assert_eq!(entries[1]["parsed"]["event"], "withdraw");
    assert_eq!(entries[1]["parsed"]["prev"], entries[0]["hash"]);
    assert!(entries[0]["parsed"]["request_sha256"].as_str().is_some());
    let out = w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;
    assert!(out.contains("intact: 2 entries"), "{out}");
    // The signed request is kept for audit.
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
        announce
    );

    // Changing one stored entry makes verify fail at that entry.
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
    let w = World::new(backend, "[cosign]\naccept = \"organisations\"\n").await;
    let peer = Peer::start(&["asso", "union", "person"]).await;
    peer.set_actor_field("asso", "type", json!("Organization"));
    peer.set_actor_field("union", "type", json!("Group"));
    // The union is a member of the coalition.
    insert_member(&w.db, &peer.actor_id("union")).await;

    for (n, name) in ["person", "asso", "union"].into_iter().enumerate() {
        assert_eq!(
            w.send(&peer, name, &w.announce(&peer, name, n as u32))
                .await
                .status(),
            202
        );
    }
    // The person's boost is a share, not a signature; organisations sign, members first.
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
        [json!(peer.actor_id("union")), json!(peer.actor_id("asso"))]
    );

    // CSV export.
    let csv = w
        .cli
        .ok(&["cosigners", "list", "manifeste-2026", "--format", "csv"])
        .await;
    assert!(csv.starts_with("class,actor,handle,name,type,signature,visibility,version,signed_at,hidden,hidden_reason\n"), "{csv}");
    assert_eq!(csv.lines().count(), 4);

    // Hiding: gone from the public list, kept in the ledger, which still verifies.
    let out = w
        .cli
        .ok(&[
            "cosigners",
            "hide",
            "manifeste-2026",
            &peer.actor_id("asso"),
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
    let ledger = w.app.get_ap(&format!("{}/ledger?page=1", w.note)).await;
    assert_eq!(ledger["orderedItems"][3]["parsed"]["event"], "hide");
    assert_eq!(
        ledger["orderedItems"][3]["parsed"]["reason"],
        "impersonation"
    );
    w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;

    // A new version: earlier signatures stay on version 1, new ones take version 2.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v2.md");
    std::fs::write(&file, STATEMENT.replace("Texte.", "Texte revu.")).unwrap();
    w.cli
        .ok(&[
            "statement",
            "edit",
            "manifeste-2026",
            file.to_str().unwrap(),
        ])
        .await;
    let late = Peer::start(&["late"]).await;
    late.set_actor_field("late", "type", json!("Service"));
    assert_eq!(
        w.send(&late, "late", &w.announce(&late, "late", 9))
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
    assert_eq!(version_of(&peer.actor_id("union")), Some(1));
    assert_eq!(version_of(&peer.actor_id("asso")), Some(1));
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
    let w = World::new(backend, "[cosign]\nmax_per_actor_per_minute = 10\n").await;
    let peer = Peer::start(&["alice", "bob", "mallory"]).await;
    let inbox = format!("{}/inbox", w.app.base);
    let client = peer.client(&[("localhost", w.app.addr)]);

    // Signed by someone other than its actor: 401, nothing recorded.
    let announce = w.announce(&peer, "alice", 1);
    let res = peer
        .post_with(
            &client,
            &inbox,
            announce.to_string().as_bytes(),
            Sign {
                name: "bob",
                ..Sign::default()
            },
        )
        .await;
    assert_json_error(res, 401).await;
    assert_eq!(w.export().await["shares"], 0);

    // Not ours, or deleted: 202, no signature.
    let mut elsewhere = w.announce(&peer, "alice", 2);
    elsewhere["object"] = json!("https://elsewhere.example/statuses/1");
    assert_eq!(w.send(&peer, "alice", &elsewhere).await.status(), 202);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gone.md");
    std::fs::write(&file, STATEMENT.replace("manifeste-2026", "retire")).unwrap();
    w.cli
        .ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    w.cli.ok(&["statement", "delete", "retire"]).await;
    let mut of_deleted = w.announce(&peer, "alice", 3);
    of_deleted["object"] = json!(format!("{}/statements/retire", w.app.base));
    assert_eq!(w.send(&peer, "alice", &of_deleted).await.status(), 202);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM cosignatures").await, 0);

    // Hostile names are stored as received and only ever shown escaped.
    let hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    peer.set_actor_field("mallory", "name", json!(hostile));
    peer.set_actor_field("mallory", "summary", json!(hostile));
    assert_eq!(
        w.send(&peer, "mallory", &w.announce(&peer, "mallory", 1))
            .await
            .status(),
        202
    );
    let mallory = peer.actor_id("mallory");
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

    // A flood of boosts and un-boosts from one actor: past the limit, 429 with Retry-After;
    // what was accepted leaves the right state.
    let mut last_accepted = None;
    let mut limited = 0;
    for n in 0..8u32 {
        let a = w.announce(&peer, "bob", 100 + n);
        for activity in [a.clone(), w.undo(&peer, "bob", &a)] {
            let res = w.send(&peer, "bob", &activity).await;
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
            peer.actor_id("bob")
        ))
        .await;
    assert_eq!(last_accepted.as_deref(), Some("Undo"));
    assert_eq!(bob_signs, 0, "every accepted boost was undone");
    w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;
}

async fn a_hundred_actors_boosting_at_once_make_a_hundred_signatures(backend: Backend) {
    let w = World::new(backend, "").await;
    let names: Vec<String> = (0..100).map(|i| format!("signer{i}")).collect();
    let peer = Peer::start_sharing_a_key(&names).await;
    let client = peer.client(&[("localhost", w.app.addr)]);
    let inbox = format!("{}/inbox", w.app.base);
    let sends = names.iter().enumerate().map(|(i, name)| {
        let body = w.announce(&peer, name, i as u32).to_string();
        let (peer, client, inbox) = (&peer, &client, &inbox);
        async move {
            peer.post(client, name, inbox, body.as_bytes())
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(w.export().await["count"], 100);
    assert_eq!(w.shares().await.0, 100);
    let out = w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;
    assert!(out.contains("intact: 100 entries"), "{out}");
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
    let w = World::new(backend, "").await;
    const SERVERS: [&str; 4] = ["mastodon", "gotosocial", "misskey", "pleroma"];
    let peer = Peer::start(&SERVERS).await;
    for server in SERVERS {
        let fixture = |name: &str| -> Option<Value> {
            let path = format!(
                "{}/tests/fixtures/{server}/{name}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).unwrap();
            Some(v["activity"].clone())
        };
        let follow = fixture("follow").unwrap();
        let account = follow["actor"].as_str().unwrap().to_owned();
        let rewrite = |v: Value| -> Value {
            serde_json::from_str(
                &v.to_string()
                    .replace(&account, &peer.actor_id(server))
                    .replace("https://example.org/statements/manifeste-2026", &w.note)
                    .replace("https://example.org/ap/coalition", &w.coalition),
            )
            .unwrap()
        };
        let actor = peer.actor_id(server);
        let signed_sql = format!(
            "SELECT COUNT(*) FROM cosignatures WHERE actor_id = '{actor}' AND withdrawn_at IS NULL"
        );
        for (name, signatures_after, likes_after) in [
            ("announce", 1, 0),
            ("like", 1, 1),
            ("undo_announce", 0, 1),
            ("undo_like", 0, 0),
        ] {
            let activity = rewrite(fixture(name).unwrap_or_else(|| panic!("{server}/{name}")));
            let res = w.send(&peer, server, &activity).await;
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
    w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;
}

async fn a_deleted_account_withdraws_and_the_admin_api_exports(backend: Backend) {
    let token = "a-token-for-the-admin-api";
    let w = World::new(backend, &format!("[admin]\ntoken = \"{token}\"\n")).await;
    let peer = Peer::start(&["alice", "bob"]).await;
    for (n, name) in ["alice", "bob"].into_iter().enumerate() {
        assert_eq!(
            w.send(&peer, name, &w.announce(&peer, name, n as u32))
                .await
                .status(),
            202
        );
    }
    let like = json!({"id": format!("{}#likes/1", peer.actor_id("alice")), "type": "Like", "actor": peer.actor_id("alice"), "object": w.note});
    assert_eq!(w.send(&peer, "alice", &like).await.status(), 202);
    assert_eq!(w.shares().await, (2, 1));

    // Alice deletes her account: her signature is withdrawn (in the ledger), her like gone.
    let alice = peer.actor_id("alice");
    peer.set_actor_status("alice", 410);
    let delete = json!({"id": format!("{alice}#delete"), "type": "Delete", "actor": alice, "object": alice, "to": [PUBLIC]});
    assert_eq!(w.send(&peer, "alice", &delete).await.status(), 202);
    assert_eq!(w.shares().await, (1, 0));
    let ledger = w.app.get_ap(&format!("{}/ledger?page=1", w.note)).await;
    let last = ledger["orderedItems"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            last["parsed"]["event"].clone(),
            last["parsed"]["actor"].clone()
        ),
        (json!("withdraw"), json!(alice))
    );

    // The admin API: the export with the count, and hiding.
    let api = |method: reqwest::Method, path: &str| {
        w.app
            .client
            .request(
                method,
                format!("{}/api/admin/statements/manifeste-2026{path}", w.app.base),
            )
            .bearer_auth(token)
    };
    let export: Value = api(reqwest::Method::GET, "/cosigners")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["count"], 1);
    assert_eq!(export["signers"][0]["actor"], peer.actor_id("bob"));
    assert_eq!(export["signers"][0]["version"], 1);
    let res = api(reqwest::Method::POST, "/cosigners/hide")
        .json(&json!({"actor": peer.actor_id("bob"), "reason": "spam"}))
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
        .json(&json!({"actor": peer.actor_id("bob"), "reason": ""}))
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
    w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;
}
