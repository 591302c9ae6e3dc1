//! Hostile peers, round two: each attack a review found to work, replayed against the running
//! server, with a control that shows the setup is valid (SECURITY.md lists them).

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Cli, TestApp, TestDb, World, on_both_backends},
    peer::{Peer, Sign},
};

on_both_backends!(
    an_actor_cannot_squat_the_id_of_another_actors_undo,
    an_activity_id_must_be_on_its_actors_server,
    an_actor_named_by_a_variant_of_its_id_is_refused,
    a_blocked_domain_cannot_come_back_with_a_trailing_dot,
    a_request_signed_for_another_server_is_refused,
    remote_names_cannot_run_in_a_spreadsheet_or_a_terminal,
    key_exports_are_readable_by_their_owner_alone,
    swapped_ledger_evidence_is_found,
    bad_signatures_naming_a_known_actor_refetch_it_once,
    an_actor_whose_inbox_is_not_public_is_not_stored,
    deliveries_never_reach_a_private_address,
    junk_naming_a_server_does_not_throttle_it,
    one_follower_cannot_stop_deliveries_to_a_whole_server,
    slow_unknown_signers_do_not_hold_the_inbox,
    trickled_bodies_do_not_hold_the_inbox,
    one_actor_cannot_grow_the_database_without_bound,
    retention_prunes_what_is_no_longer_needed,
    smaller_points_of_the_review,
);

const STATEMENT: &str =
    "+++\nslug = \"manifeste-2026\"\n[title]\nfr = \"Manifeste\"\n+++\n::: fr\nTexte.\n";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A server with the statement manifeste-2026 published; returns the statement's id.
async fn published(w: &World) -> String {
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    format!("{}/statements/manifeste-2026", w.app.base)
}

fn announce(actor: &str, id: &str, note: &str) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Announce",
           "actor": actor, "to": [PUBLIC], "object": note})
}

/// `shares.totalItems` of the statement.
async fn shares(w: &World, note: &str) -> u64 {
    w.app.get_ap(note).await["shares"]["totalItems"]
        .as_u64()
        .unwrap()
}

/// Attack 2: Mallory, signing as herself, sends an activity under the id Alice's Undo will
/// have (predictable from Alice's Announce). Alice's real Undo must still withdraw.
async fn an_actor_cannot_squat_the_id_of_another_actors_undo(backend: Backend) {
    let w = World::start(backend, "", &["alice", "mallory"]).await;
    let note = published(&w).await;
    let alice = w.peer.actor_id("alice");
    let boost_id = format!("{alice}/statuses/1/activity");
    let boost = announce(&alice, &boost_id, &note);
    assert_eq!(w.send_shared("alice", &boost).await.status(), 202);
    assert_eq!(shares(&w, &note).await, 1);

    // Mallory takes the id of Alice's future Undo (same server, so same origin).
    let undo_id = format!("{boost_id}/undo");
    let mallory = w.peer.actor_id("mallory");
    let squat = json!({"id": undo_id, "type": "Like", "actor": mallory, "object": note});
    assert_eq!(w.send_shared("mallory", &squat).await.status(), 202);

    // Alice's real Undo has that id: it is hers, and it withdraws her signature.
    let mut inner = boost.clone();
    inner.as_object_mut().unwrap().shift_remove("@context");
    let undo = json!({"id": undo_id, "type": "Undo", "actor": alice, "object": inner});
    assert_eq!(w.send_shared("alice", &undo).await.status(), 202);
    assert_eq!(shares(&w, &note).await, 0, "Alice's Undo was applied");
    // And a repeat of it is one effect, as before.
    assert_eq!(w.send_shared("alice", &undo).await.status(), 202);
    assert_eq!(
        w.db.count(&format!(
            "SELECT COUNT(*) FROM received_activities WHERE id = '{undo_id}'"
        ))
        .await,
        2,
        "one record for Mallory's, one for Alice's"
    );
}

/// Attack 2, from another server: an activity whose id is on another origin than its actor
/// is refused, so no server can take ids of another.
async fn an_activity_id_must_be_on_its_actors_server(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    let note = published(&w).await;
    let evil = Peer::start_named("evil.localhost", &["mallory"]).await;
    let mallory = evil.actor_id("mallory");
    let alice_undo_id = format!("{}/statuses/1/activity/undo", w.peer.actor_id("alice"));
    let squat = json!({"id": alice_undo_id, "type": "Like", "actor": mallory, "object": note});
    let res = w.post(&evil, "mallory", &w.shared_inbox(), &squat).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not on the server"),
        "{body}"
    );
    // Control: the same Like under an id of Mallory's own server is taken.
    let own = json!({"id": format!("{mallory}#likes/1"), "type": "Like", "actor": mallory, "object": note});
    let res = w.post(&evil, "mallory", &w.shared_inbox(), &own).await;
    assert_eq!(res.status(), 202);
    assert_eq!(
        w.app.get_ap(&note).await["likes"]["totalItems"],
        1,
        "the control Like counts"
    );
}

/// Attack 17: `actor` names a variant of Alice's id (a query, a fragment); the fetch ends at
/// Alice's document and her key verifies. It is refused, not counted under a second name.
async fn an_actor_named_by_a_variant_of_its_id_is_refused(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    let note = published(&w).await;
    let alice = w.peer.actor_id("alice");
    for (n, variant) in [format!("{alice}?x"), format!("{alice}#x")]
        .iter()
        .enumerate()
    {
        let like = json!({"id": format!("{alice}#likes/{n}"), "type": "Like", "actor": variant, "object": note});
        let res = w.send_shared("alice", &like).await;
        assert_eq!(res.status(), 401, "actor {variant}");
    }
    assert_eq!(w.app.get_ap(&note).await["likes"]["totalItems"], 0);
    // Control: with the canonical id, the same key's Like counts once.
    let like =
        json!({"id": format!("{alice}#likes/9"), "type": "Like", "actor": alice, "object": note});
    assert_eq!(w.send_shared("alice", &like).await.status(), 202);
    assert_eq!(w.app.get_ap(&note).await["likes"]["totalItems"], 1);
}

/// Attack 6: after `block domain add b.localhost`, an actor at `b.localhost.` (the same host,
/// fully qualified) is still blocked.
async fn a_blocked_domain_cannot_come_back_with_a_trailing_dot(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let dotted = Peer::start_named("b.localhost.", &["mallory"]).await;
    let follow = w.follow(&dotted, "mallory", 1);
    // Control: before the block, the dotted host follows, stored under its one form.
    assert_eq!(
        w.post(&dotted, "mallory", &w.inbox(), &follow)
            .await
            .status(),
        202
    );
    let port = dotted.addr.port();
    assert_eq!(
        w.db.text("SELECT host FROM remote_actors").await.as_deref(),
        Some(format!("b.localhost:{port}").as_str())
    );
    w.cli.ok(&["block", "domain", "add", "b.localhost"]).await;
    assert_eq!(
        w.follower_count().await,
        0,
        "the block removed the follower"
    );
    let again = w.follow(&dotted, "mallory", 2);
    assert_eq!(
        w.post(&dotted, "mallory", &w.inbox(), &again)
            .await
            .status(),
        403
    );
    assert_eq!(w.follower_count().await, 0);
}

/// Attack 12: a POST signed for another server (its `Host`) is replayed to this one.
async fn a_request_signed_for_another_server_is_refused(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    let port = w.app.addr.port();
    // Both names reach this server; only `localhost:PORT` is its public host.
    let client = w
        .peer
        .client(&[("localhost", w.app.addr), ("other.localhost", w.app.addr)]);
    let follow = w.follow(&w.peer, "alice", 1);
    let elsewhere = format!("http://other.localhost:{port}/inbox");
    let res = w
        .peer
        .post(&client, "alice", &elsewhere, follow.to_string().as_bytes())
        .await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("signed for other.localhost"),
        "{body}"
    );
    assert_eq!(w.follower_count().await, 0);
    // Control: the same Follow signed for this server is taken.
    let res = w
        .peer
        .post(
            &client,
            "alice",
            &w.shared_inbox(),
            follow.to_string().as_bytes(),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(w.follower_count().await, 1);
}

/// Attack 10: a co-signer's display name is a spreadsheet formula, another's carries a
/// terminal escape sequence; the CSV export and the table print neither as such.
async fn remote_names_cannot_run_in_a_spreadsheet_or_a_terminal(backend: Backend) {
    let w = World::start(backend, "", &["formula", "escape"]).await;
    let note = published(&w).await;
    w.peer.set_actor_field(
        "formula",
        "name",
        json!("=HYPERLINK(\"https://evil.example\",\"click\")"),
    );
    w.peer
        .set_actor_field("escape", "name", json!("Asso\u{1b}]0;owned\u{7}\u{1b}[2J"));
    for name in ["formula", "escape"] {
        let actor = w.peer.actor_id(name);
        let boost = announce(&actor, &format!("{actor}/statuses/1/activity"), &note);
        assert_eq!(w.send_shared(name, &boost).await.status(), 202);
    }
    let csv = w
        .cli
        .ok(&["cosigners", "list", "manifeste-2026", "--format", "csv"])
        .await;
    let mut rows = ::csv::Reader::from_reader(csv.as_bytes());
    let names: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(3).unwrap().to_owned())
        .collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"https://evil.example\",\"click\")".to_owned()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with('=')), "{names:?}");
    let table = w.cli.ok(&["cosigners", "list", "manifeste-2026"]).await;
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(table.contains("Asso ]0;owned  [2J"), "{table:?}");
    // The JSON export keeps the name as it was given: JSON is not run.
    let json = w
        .cli
        .ok(&["cosigners", "list", "manifeste-2026", "--format", "json"])
        .await;
    assert!(json.contains("=HYPERLINK"), "{json}");
}

/// The mode bits of a file.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Attack 9, on SQLite: the database (which holds the private key), its WAL and its folder
/// were readable by every user of the machine.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_is_readable_by_its_owner_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("data");
    let file = folder.join("tribune.db");
    let db = TestDb::sqlite_at(format!("sqlite://{}", file.display()));
    let app = TestApp::spawn(&db, "").await;
    // Something written, so that the WAL exists.
    let cli = Cli::for_app(&db, &app);
    cli.ok(&["block", "domain", "add", "spam.example"]).await;
    assert_eq!(mode(&folder), 0o700, "the data folder");
    assert_eq!(mode(&file), 0o600, "the database");
    let wal = folder.join("tribune.db-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600, "the WAL");
    // Control: the server answers from that database.
    assert_eq!(app.get_ap("/ap/coalition").await["type"], "Group");
}

/// Attack 9: `export --include-keys --output FILE` wrote the private key world-readable.
async fn key_exports_are_readable_by_their_owner_alone(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let with_keys = w.dir.path().join("with-keys.json");
    let out = w
        .cli
        .run(&[
            "export",
            "--include-keys",
            "--output",
            with_keys.to_str().unwrap(),
        ])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let stderr = &out.stderr;
    assert!(stderr.contains("private key"), "{stderr}");
    #[cfg(unix)]
    assert_eq!(mode(&with_keys), 0o600);
    assert!(
        std::fs::read_to_string(&with_keys)
            .unwrap()
            .contains("PRIVATE KEY")
    );
    // Control: without keys, no warning and no key in the file.
    let without = w.dir.path().join("without.json");
    let out = w
        .cli
        .run(&["export", "--output", without.to_str().unwrap()])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!out.stderr.contains("private key"));
    assert!(
        !std::fs::read_to_string(&without)
            .unwrap()
            .contains("PRIVATE KEY")
    );
}

/// Attack 13: the signed request kept beside a ledger entry is swapped for another; the
/// chain of entries is untouched, but `cosigners verify` must notice.
async fn swapped_ledger_evidence_is_found(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    let note = published(&w).await;
    let alice = w.peer.actor_id("alice");
    let boost = announce(&alice, &format!("{alice}/statuses/1/activity"), &note);
    assert_eq!(w.send_shared("alice", &boost).await.status(), 202);
    // Control: as recorded, the ledger verifies.
    let ok = w.cli.ok(&["cosigners", "verify", "manifeste-2026"]).await;
    assert!(ok.contains("intact: 1 entries"), "{ok}");
    w.db.execute("UPDATE ledger SET request = '{\"forged\": true}' WHERE seq = 1")
        .await;
    let out = w.cli.run(&["cosigners", "verify", "manifeste-2026"]).await;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("entry 1: its kept request does not match"),
        "{}",
        out.stderr
    );
    // Removing the evidence is found too.
    w.db.execute("UPDATE ledger SET request = NULL WHERE seq = 1")
        .await;
    let out = w.cli.run(&["cosigners", "verify", "manifeste-2026"]).await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("kept request is missing"),
        "{}",
        out.stderr
    );
}

/// Attack 8: each POST with a bad signature naming a known actor made a fresh signed GET of
/// that actor. One refetch per actor per few minutes.
async fn bad_signatures_naming_a_known_actor_refetch_it_once(backend: Backend) {
    let w = World::start(backend, "", &["alice", "mallory"]).await;
    w.followed_by(&w.peer, "alice").await;
    let known = w.peer.actor_fetches("alice");
    assert!(known >= 1, "alice was fetched to verify her Follow");
    let like = json!({"id": format!("{}#likes/1", w.peer.actor_id("alice")), "type": "Like",
                      "actor": w.peer.actor_id("alice"), "object": w.coalition});
    let bytes = like.to_string();
    for _ in 0..5 {
        // Signed with Mallory's key under Alice's key id: it cannot verify.
        let res = w
            .peer
            .post_with(
                &w.client,
                &w.shared_inbox(),
                bytes.as_bytes(),
                Sign {
                    name: "alice",
                    key_of: Some("mallory"),
                    ..Sign::default()
                },
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(
        w.peer.actor_fetches("alice"),
        known + 1,
        "one refetch (a key rotation is still noticed), not five"
    );
    // Control: Alice's own signature still verifies with the stored key.
    let res = w.send_shared("alice", &like).await;
    assert_eq!(res.status(), 202);
}

/// `/interact` with `uri` and `handle` in its query.
fn interact(page: &str, uri: &str, handle: &str) -> String {
    let mut url = url::Url::parse(page).unwrap();
    url.query_pairs_mut()
        .append_pair("uri", uri)
        .append_pair("handle", handle);
    url.to_string()
}

/// Whether anything connected to `listener` (non-blocking) since the last call.
fn connected(listener: &std::net::TcpListener) -> bool {
    let mut any = false;
    while listener.accept().is_ok() {
        any = true;
    }
    any
}

/// Attack 1, through /interact: a visitor's handle naming an IP literal, in any notation,
/// made the server connect to its own network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interact_never_connects_to_an_ip_literal_of_this_network() {
    let internal = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    internal.set_nonblocking(true).unwrap();
    let port = internal.local_addr().unwrap().port();
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db, "[federation]\nallow_private_addresses = false\n").await;
    let coalition = format!("{}/ap/coalition", app.base);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("2130706433:{port}"),
        format!("0x7f.1:{port}"),
        format!("0177.0.0.1:{port}"),
    ] {
        let res = client
            .get(interact(
                &app.url("/interact"),
                &coalition,
                &format!("x@{host}"),
            ))
            .send()
            .await
            .unwrap();
        assert!(res.status().as_u16() < 500, "{host}: {}", res.status());
        assert!(
            !connected(&internal),
            "{host}: the server connected to 127.0.0.1:{port}"
        );
    }
    // Control: where private addresses are allowed (a local demo), the same handle is looked
    // up, so the listener above would have seen a connection.
    let db = TestDb::new(Backend::Sqlite).await;
    let demo = TestApp::spawn(&db, "").await;
    let res = client
        .get(interact(
            &demo.url("/interact"),
            &format!("{}/ap/coalition", demo.base),
            &format!("x@127.0.0.1:{port}"),
        ))
        .send()
        .await
        .unwrap();
    assert!(res.status().as_u16() < 500);
    assert!(connected(&internal), "the control reached the listener");
}

/// Attack 11: a visitor's server answers WebFinger with a template on another host; the
/// page sends the visitor only to their own server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interact_follows_a_template_only_to_the_handles_own_server() {
    let w = World::start(Backend::Sqlite, "", &["alice"]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let handle = format!("alice@localhost:{}", w.peer.addr.port());
    let location = |res: &reqwest::Response| res.headers()["location"].to_str().unwrap().to_owned();
    // Control: the server's own template is followed.
    let res = client
        .get(interact(&w.app.url("/interact"), &w.coalition, &handle))
        .send()
        .await
        .unwrap();
    assert!(
        location(&res).contains("from=template"),
        "{}",
        location(&res)
    );
    w.peer
        .set_interaction_template("https://evil.example/phish?u={uri}");
    let res = client
        .get(interact(&w.app.url("/interact"), &w.coalition, &handle))
        .send()
        .await
        .unwrap();
    let to = location(&res);
    assert!(
        to.starts_with(&format!("{}/authorize_interaction?", w.peer.base)),
        "{to}"
    );
}

/// Attack 1, through an actor document: an inbox or shared inbox on a link-local address
/// (where cloud metadata answers) is refused, and the actor is not stored.
async fn an_actor_whose_inbox_is_not_public_is_not_stored(backend: Backend) {
    let w = World::start(backend, "", &["alice", "mallory", "eve"]).await;
    w.peer.set_actor_field(
        "mallory",
        "inbox",
        json!("http://169.254.169.254/latest/meta-data/"),
    );
    w.peer.set_actor_field(
        "eve",
        "endpoints",
        json!({"sharedInbox": "http://[::ffff:169.254.169.254]/"}),
    );
    for name in ["mallory", "eve"] {
        let res = w.send(name, &w.follow(&w.peer, name, 1)).await;
        assert_eq!(res.status(), 401, "{name}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("not a public address"),
            "{body}"
        );
        let stored =
            w.db.count(&format!(
                "SELECT COUNT(*) FROM remote_actors WHERE id = '{}'",
                w.peer.actor_id(name)
            ))
            .await;
        assert_eq!(stored, 0, "{name} is not stored");
    }
    // Control: alice follows; her later Update naming such an inbox is refused and her
    // stored inbox stays.
    w.followed_by(&w.peer, "alice").await;
    let alice = w.peer.actor_id("alice");
    let mut doc = w.peer.actor_doc("alice");
    doc["inbox"] = json!("http://169.254.169.254/latest/meta-data/");
    let update = json!({"id": format!("{alice}#updates/1"), "type": "Update", "actor": alice,
                        "object": doc});
    assert_eq!(w.send("alice", &update).await.status(), 400);
    assert_eq!(
        w.db.text(&format!(
            "SELECT inbox FROM remote_actors WHERE id = '{alice}'"
        ))
        .await,
        Some(format!("{alice}/inbox"))
    );
}

/// Attack 1, through deliveries: a follower stored with an inbox on this network (by an
/// earlier version, or with other settings) gets nothing sent, and nothing is retried.
async fn deliveries_never_reach_a_private_address(backend: Backend) {
    let internal = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    internal.set_nonblocking(true).unwrap();
    let port = internal.local_addr().unwrap().port();
    let w = World::start(
        backend,
        "[federation]\nallow_private_addresses = false\n",
        &[],
    )
    .await;
    let id = "https://mallory.example/users/m";
    let inbox = format!("http://[::ffff:127.0.0.1]:{port}/inbox");
    w.db.execute(&format!(
        "INSERT INTO remote_actors (id, kind, preferred_username, name, host, inbox, shared_inbox, \
         icon_url, public_key_id, public_key_pem, document, fetched_at) VALUES ('{id}', 'Person', \
         'm', 'M', 'mallory.example', '{inbox}', NULL, NULL, '{id}#main-key', 'none', '{{}}', \
         '2026-01-01T00:00:00Z')"
    ))
    .await;
    w.db.execute(&format!(
        "INSERT INTO followers (actor_id, follow_id, follow_json, state, created_at, updated_at) \
         VALUES ('{id}', '{id}#follows/1', '{{}}', 'accepted', '2026-01-01T00:00:00Z', \
         '2026-01-01T00:00:00Z')"
    ))
    .await;
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    w.deliveries_drained().await;
    let (state, error) = (
        w.db.text("SELECT state FROM deliveries").await,
        w.db.text("SELECT last_error FROM deliveries").await,
    );
    assert_eq!(state.as_deref(), Some("failed"), "{error:?}");
    assert!(error.unwrap().contains("refused address"));
    assert_eq!(
        w.db.count("SELECT CAST(MAX(attempts) AS BIGINT) FROM deliveries")
            .await,
        1
    );
    assert!(!connected(&internal), "nothing reached 127.0.0.1:{port}");
}

/// Attack 4: junk POSTs naming another server's key spent that server's per-host allowance
/// before any signature was checked, so its genuine activities got 429.
async fn junk_naming_a_server_does_not_throttle_it(backend: Backend) {
    let w = World::start(
        backend,
        "[inbox]\nmax_per_host_per_minute = 5\nmax_per_ip_per_minute = 1000\n",
        &["mallory"],
    )
    .await;
    let victim = Peer::start_named("victim.localhost", &["alice", "bob"]).await;
    let alice = victim.actor_id("alice");
    let key_id = format!("{alice}#main-key");
    for n in 0..20 {
        let like = json!({"id": format!("{alice}#likes/{n}"), "type": "Like", "actor": alice,
                          "object": w.coalition});
        // Mallory's key under Alice's key id: it cannot verify.
        let res = w
            .peer
            .post_with(
                &w.client,
                &w.shared_inbox(),
                like.to_string().as_bytes(),
                Sign {
                    name: "mallory",
                    key_id: Some(&key_id),
                    ..Sign::default()
                },
            )
            .await;
        assert_eq!(res.status(), 401, "junk {n}");
    }
    // The victim's genuine activities still go through...
    let follow = w.follow(&victim, "bob", 1);
    assert_eq!(
        w.post(&victim, "bob", &w.inbox(), &follow).await.status(),
        202
    );
    // ...and its own allowance still applies (control): five in the minute, then 429.
    let mut statuses = Vec::new();
    for n in 0..5 {
        let like = json!({"id": format!("{alice}#likes/ok{n}"), "type": "Like", "actor": alice,
                          "object": w.coalition});
        statuses.push(
            w.post(&victim, "alice", &w.shared_inbox(), &like)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [202, 202, 202, 202, 429], "{statuses:?}");
}

/// Attack 15: Mallory names as her inbox a URL of Alice's server that answers 301, then
/// follows again and again: the Accepts piled up there and their failures opened the breaker
/// of the whole server, so Alice got nothing.
async fn one_follower_cannot_stop_deliveries_to_a_whole_server(backend: Backend) {
    let w = World::start(
        backend,
        "[delivery]\nbreaker_failures = 1\nbreaker_open_seconds = 600\n",
        &[],
    )
    .await;
    let victim = Peer::start_named("victim.localhost", &["alice"]).await;
    w.followed_by(&victim, "alice").await;
    let evil = Peer::start_named("evil.localhost", &["mallory"]).await;
    let trap = format!("{}/moved", victim.base);
    evil.set_actor_field("mallory", "inbox", json!(trap));
    evil.set_actor_field("mallory", "endpoints", json!({"sharedInbox": trap}));
    for n in 1..=12 {
        let follow = w.follow(&evil, "mallory", n);
        assert_eq!(
            w.post(&evil, "mallory", &w.inbox(), &follow).await.status(),
            202
        );
    }
    let accepts_to_trap = format!(
        "SELECT COUNT(*) FROM deliveries d JOIN outgoing_activities a ON a.id = d.activity_id \
         WHERE a.kind = 'Accept' AND d.inbox = '{trap}'"
    );
    assert_eq!(
        w.db.count(&accepts_to_trap).await,
        1,
        "one Accept waits, not twelve"
    );
    crate::helpers::eventually(
        "the Accept was tried at the trap",
        crate::helpers::WAIT,
        async || {
            w.db.count(&format!(
                "SELECT COUNT(*) FROM deliveries WHERE inbox = '{trap}' AND attempts > 0"
            ))
            .await
                > 0
        },
    )
    .await;
    // A statement still reaches Alice's server at once: a 301 from one URL is not the
    // server being down.
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    let got = victim.wait_for("/inbox", 1, crate::helpers::WAIT).await;
    assert_eq!(got[0].json()["type"], "Create");
}

/// Attack 16: POSTs with bad signatures naming actors whose documents answer slowly held
/// every processing place while their actors were fetched, so a genuine Follow got 503.
async fn slow_unknown_signers_do_not_hold_the_inbox(backend: Backend) {
    let w = World::start(
        backend,
        "[inbox]\nmax_concurrent = 2\n",
        &["alice", "mallory"],
    )
    .await;
    let names = ["s0", "s1", "s2", "s3"];
    let slow = Peer::start_named("slow.localhost", &names).await;
    slow.set_actor_delay(std::time::Duration::from_secs(6));
    let junk = |name: &'static str| {
        let like = json!({"id": format!("{}#likes/1", slow.actor_id(name)), "type": "Like",
                          "actor": slow.actor_id(name), "object": w.coalition});
        let inbox = w.shared_inbox();
        let slow = &slow;
        let client = &w.client;
        async move {
            // Signed with another key than the actor's: it cannot verify, once fetched.
            slow.post_with(
                client,
                &inbox,
                like.to_string().as_bytes(),
                Sign {
                    name,
                    key_of: Some("s0"),
                    key_id: Some(&format!("{}#main-key", slow.actor_id(name))),
                    ..Sign::default()
                },
            )
            .await
            .status()
            .as_u16()
        }
    };
    let genuine = async {
        // Once the junk is in flight.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let status = w
            .send("alice", &w.follow(&w.peer, "alice", 1))
            .await
            .status();
        (status.as_u16(), started.elapsed())
    };
    let (a, b, c, d, (status, took)) =
        tokio::join!(junk("s1"), junk("s2"), junk("s3"), junk("s1"), genuine);
    assert_eq!(status, 202, "the genuine Follow");
    assert!(
        took < std::time::Duration::from_secs(3),
        "answered in {took:?}"
    );
    // Control: the junk itself was refused, not processed.
    for s in [a, b, c, d] {
        assert_eq!(s, 401);
    }
}

/// Attack 3: connections that send their headers (`Content-Length: 1000`) and one byte of
/// body held every processing place; a genuine POST got 503.
async fn trickled_bodies_do_not_hold_the_inbox(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let w = World::start(backend, "[inbox]\nmax_concurrent = 2\n", &["alice"]).await;
    let mut held = Vec::new();
    for _ in 0..16 {
        let mut c = tokio::net::TcpStream::connect(w.app.addr).await.unwrap();
        let head = format!(
            "POST /inbox HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/activity+json\r\n\
             Content-Length: 1000\r\n\r\n{{",
            w.app.addr.port()
        );
        c.write_all(head.as_bytes()).await.unwrap();
        held.push(c);
    }
    let started = std::time::Instant::now();
    let res = w.send("alice", &w.follow(&w.peer, "alice", 1)).await;
    assert_eq!(res.status(), 202);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "answered in {:?}",
        started.elapsed()
    );
    // Control: each of those is a real inbox request, waiting on its own body: one that
    // finishes its body is answered (401: it is not signed).
    let mut first = held.swap_remove(0);
    first.write_all(&[b' '; 999]).await.unwrap();
    let mut answer = vec![0u8; 12];
    first.read_exact(&mut answer).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&answer), "HTTP/1.1 401");
    drop(held);
}

/// Attack 5: one actor sent 40 Follows and 40 Creates of 900 KB; all were stored whole, and
/// 40 Accepts of 900 KB went back out.
async fn one_actor_cannot_grow_the_database_without_bound(backend: Backend) {
    let w = World::start(
        backend,
        "[cosign]\nmax_per_actor_per_minute = 8\n",
        &["mallory", "alice"],
    )
    .await;
    let mallory = w.peer.actor_id("mallory");
    let padding = "x".repeat(900 * 1024);
    // Follows padded with 900 KB: answered, but the Follow is kept (and embedded) minimal,
    // and one Accept waits at a time.
    let mut statuses = Vec::new();
    for n in 1..=10 {
        let mut follow = w.follow(&w.peer, "mallory", n);
        follow["padding"] = json!(padding);
        statuses.push(w.send("mallory", &follow).await.status().as_u16());
    }
    assert_eq!(&statuses[..8], &[202; 8], "{statuses:?}");
    assert_eq!(
        &statuses[8..],
        &[429, 429],
        "every kind counts against the actor's allowance"
    );
    let kept =
        w.db.text(&format!(
            "SELECT follow_json FROM followers WHERE actor_id = '{mallory}'"
        ))
        .await
        .unwrap();
    assert!(kept.len() < 1000, "the kept Follow is {} bytes", kept.len());
    w.deliveries_drained().await;
    let accept = w
        .peer
        .wait_for("/users/mallory/inbox", 1, crate::helpers::WAIT)
        .await;
    let biggest = accept.iter().map(|r| r.body.len()).max().unwrap();
    assert!(biggest < 2000, "an Accept of {biggest} bytes");
    // A post held for moderation (not a member) larger than what is kept: 413, nothing kept.
    let alice = w.peer.actor_id("alice");
    let create = json!({"id": format!("{alice}/statuses/1/activity"), "type": "Create",
        "actor": alice, "to": [PUBLIC], "cc": [w.coalition],
        "object": {"id": format!("{alice}/statuses/1"), "type": "Note", "attributedTo": alice,
                   "content": padding, "to": [PUBLIC], "cc": [w.coalition]}});
    assert_eq!(w.send_shared("alice", &create).await.status(), 413);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM pending_posts").await, 0);
    // Control: the same post, small, is held.
    let mut small = create.clone();
    small["object"]["content"] = json!("<p>Bonjour</p>");
    assert_eq!(w.send_shared("alice", &small).await.status(), 202);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM pending_posts").await, 1);
}

/// Attack 5: received activity ids and finished deliveries were kept for ever; the hourly
/// pass drops what is older than the retention settings, and keeps the rest.
async fn retention_prunes_what_is_no_longer_needed(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    w.followed_by(&w.peer, "alice").await;
    w.deliveries_drained().await;
    // An old received id, and an old finished follow answer, beside today's.
    w.db.execute(
        "INSERT INTO received_activities (id, actor_id, kind, received_at) VALUES \
         ('https://old.example/a/1', 'https://old.example/u', 'Like', '2020-01-01T00:00:00Z')",
    )
    .await;
    w.db.execute(
        "INSERT INTO outgoing_activities (id, kind, body, created_at, in_outbox) VALUES \
         ('https://t.example/old-accept', 'Accept', '{}', '2020-01-01T00:00:00Z', FALSE)",
    )
    .await;
    w.db.execute(
        "INSERT INTO deliveries (activity_id, inbox, host, state, attempts, next_attempt_at, \
         created_at, finished_at) VALUES ('https://t.example/old-accept', \
         'https://old.example/inbox', 'old.example', 'delivered', 1, 0, 0, 1000)",
    )
    .await;
    let before = (
        w.db.count("SELECT COUNT(*) FROM received_activities").await,
        w.db.count("SELECT COUNT(*) FROM deliveries").await,
    );
    let state =
        tribune::startup::open_state(crate::helpers::settings(&w.db.url, w.app.addr.port(), ""))
            .await
            .unwrap();
    let (received, deliveries, activities) =
        tribune::app::background::prune_once(&state).await.unwrap();
    assert_eq!((received, deliveries, activities), (1, 1, 1));
    assert_eq!(
        (
            w.db.count("SELECT COUNT(*) FROM received_activities").await,
            w.db.count("SELECT COUNT(*) FROM deliveries").await,
        ),
        (before.0 - 1, before.1 - 1),
        "today's ids and deliveries are kept"
    );
    state.db.close().await;
}

/// Attack 14, the smaller points: HEAD passed authorized fetch unsigned; the heads of the
/// co-signers and ledger collections counted by reading every row (now a COUNT: the same
/// totals are checked here).
async fn smaller_points_of_the_review(backend: Backend) {
    let w = World::start(
        backend,
        "[federation]\nauthorized_fetch = true\n",
        &["alice", "bob"],
    )
    .await;
    let note = published(&w).await;
    let client = reqwest::Client::new();
    let followers = format!("{}/followers", w.coalition);
    let head = client.head(&followers).send().await.unwrap();
    assert_eq!(head.status(), 401, "HEAD needs a signature as GET does");
    let get = client
        .get(&followers)
        .header("accept", crate::helpers::AP_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 401, "control: so does GET");
    // Two co-signers and a withdrawal: heads count what the pages list.
    for name in ["alice", "bob"] {
        let actor = w.peer.actor_id(name);
        let boost = announce(&actor, &format!("{actor}/statuses/1/activity"), &note);
        assert_eq!(w.send_shared(name, &boost).await.status(), 202);
    }
    let bob = w.peer.actor_id("bob");
    let mut inner = announce(&bob, &format!("{bob}/statuses/1/activity"), &note);
    inner.as_object_mut().unwrap().shift_remove("@context");
    let undo = json!({"id": format!("{bob}/statuses/1/activity/undo"), "type": "Undo",
                      "actor": bob, "object": inner});
    assert_eq!(w.send_shared("bob", &undo).await.status(), 202);
    let (signers, entries) = (
        w.db.count("SELECT COUNT(*) FROM cosignatures WHERE withdrawn_at IS NULL")
            .await,
        w.db.count("SELECT COUNT(*) FROM ledger").await,
    );
    assert_eq!((signers, entries), (1, 3));
    let signed_get = |path: String| {
        let w = &w;
        async move {
            let res = w.peer.get_signed(&w.client, "alice", &path).await;
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let cosigners = signed_get(format!("{note}/cosigners")).await;
    assert_eq!(cosigners["totalItems"], 1);
    let ledger = signed_get(format!("{note}/ledger")).await;
    assert_eq!(ledger["totalItems"], 3);
    let page = signed_get(format!("{note}/ledger?page=1")).await;
    assert_eq!(page["orderedItems"].as_array().unwrap().len(), 3);
    // The co-sign form posts here and is redirected to the visitor's server: the page's CSP
    // lets that redirect through (Chromium applies `form-action` to it), and nothing else.
    let html = w.app.get(&note, crate::helpers::BROWSER_ACCEPT).await;
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self' https: http:"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

/// Attack 3, the rest: a connection that trickles its headers stayed open for minutes, and
/// one address could open connections without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_and_connections_per_address_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(
        &db,
        "[server]\nheader_timeout_seconds = 1\nmax_connections_per_address = 4\n",
    )
    .await;
    // Headers begun, never finished: the server hangs up once the timeout has passed.
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read(&mut buf))
        .await
        .expect("the server hangs up, not the test");
    assert!(
        matches!(read, Ok(0) | Err(_)) || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&buf)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(slow);
    // Four idle connections from this address are kept; a fifth is closed at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tokio::net::TcpStream::connect(app.addr).await.unwrap());
    }
    let mut fifth = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let _ = fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), fifth.read(&mut buf))
        .await
        .expect("closed at once");
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "the fifth connection was served"
    );
    // Control: once one is closed, a new connection is served.
    drop(held.pop());
    crate::helpers::eventually("a place frees up", crate::helpers::WAIT, async || {
        reqwest::get(app.url("/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}
