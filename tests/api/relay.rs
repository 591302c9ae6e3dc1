//! Members and the group relay (docs/interop.md §6).

use std::{
    ops::{Deref, DerefMut},
    time::Duration,
};

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, WAIT, World, eventually, on_both_backends, rows},
    peer::{Peer, verify_as_mastodon},
};

on_both_backends!(
    a_members_public_post_is_relayed_to_followers_and_the_member,
    everything_else_waits_for_an_admin,
    limits_removal_and_moves,
    a_relay_due_while_a_follower_is_down_arrives_after_a_restart,
    real_servers_group_posts_follow_the_rule,
    lemmy_family_followers_also_get_announce_create,
    the_roster_and_moderation_through_the_admin_api,
    a_member_cannot_make_the_coalition_boost_someone_elses_post,
);

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A server whose peer holds the members' accounts (asso and union on the roster, stranger
/// not), and a second peer where alice follows the coalition.
struct Relay {
    world: World,
    followers: Peer,
}

impl Deref for Relay {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl DerefMut for Relay {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

impl Relay {
    async fn new(backend: Backend, extra: &str) -> Relay {
        let world = World::start(backend, extra, &["asso", "union", "stranger"]).await;
        let followers = Peer::start(&["alice"]).await;
        world.followed_by(&followers, "alice").await;
        for name in ["asso", "union"] {
            let out = world
                .cli
                .ok(&["members", "add", &world.peer.actor_id(name)])
                .await;
            assert!(out.starts_with("added "), "{out}");
        }
        Relay { world, followers }
    }

    /// The peer of the members' accounts.
    fn members(&self) -> &Peer {
        &self.peer
    }

    /// A post by `name` of the members' peer, as Mastodon sends a public mention.
    fn mention(&self, name: &str, n: u32) -> Value {
        let actor = self.members().actor_id(name);
        let id = format!("{actor}/statuses/{n}");
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"), "type": "Create", "actor": actor,
            "to": [PUBLIC], "cc": [format!("{actor}/followers"), self.coalition, format!("{}/followers", self.coalition)],
            "object": {
                "id": id, "type": "Note", "attributedTo": actor,
                "content": "<p>Notre communiqué <span class=\"h-card\"><a href=\"#\" class=\"u-url mention\">@<span>coalition</span></a></span></p>",
                "to": [PUBLIC], "cc": [format!("{actor}/followers"), self.coalition],
                "tag": [{"type": "Mention", "href": self.coalition, "name": "@coalition@example.org"}],
            },
        })
    }

    /// Announces that reached alice's server (the follower's shared inbox).
    fn announces(&self) -> Vec<Value> {
        self.followers
            .received()
            .iter()
            .filter(|r| r.path == "/inbox")
            .map(|r| r.json())
            .collect()
    }
}

async fn a_members_public_post_is_relayed_to_followers_and_the_member(backend: Backend) {
    let w = Relay::new(backend, "").await;
    // The roster is public.
    let actor = w.app.get_ap(&w.coalition).await;
    let roster = w.app.get_ap(actor["members"].as_str().unwrap()).await;
    assert_eq!(roster["totalItems"], 2);
    assert!(
        w.app
            .get(&format!("{}/@coalition", w.app.base), "text/html")
            .await
            .text()
            .await
            .unwrap()
            .contains("asso (peer)")
    );
    let listed = w.cli.ok(&["members", "list"]).await;
    assert_eq!(rows(&listed).len(), 2, "{listed}");

    let post = w.mention("asso", 1);
    assert_eq!(w.send_shared("asso", &post).await.status(), 202);
    let got = w.followers.wait_for("/inbox", 1, WAIT).await;
    let announce = got[0].json();
    assert_eq!(announce["type"], "Announce");
    assert_eq!(announce["actor"], w.coalition.as_str());
    assert_eq!(announce["object"], post["object"]["id"], "the post by id");
    assert_eq!(announce["to"], json!([PUBLIC]));
    assert_eq!(
        announce["cc"],
        json!([
            format!("{}/followers", w.coalition),
            w.members().actor_id("asso")
        ])
    );
    verify_as_mastodon(&got[0], &w.pem().await).unwrap();
    // The member is told too.
    let to_member = w.members().wait_for("/inbox", 1, WAIT).await;
    assert_eq!(to_member[0].json()["id"], announce["id"]);
    // Listed in the outbox; shown by `relay list`.
    let outbox = w
        .app
        .get_ap(&format!("{}/outbox?page=1", w.coalition))
        .await;
    assert_eq!(outbox["orderedItems"][0]["type"], "Announce");
    assert!(w.cli.ok(&["relay", "list"]).await.ends_with("\trelayed\n"));

    // The same Create again: one relay.
    assert_eq!(w.send_shared("asso", &post).await.status(), 202);
    // The member deletes the post: the relay is marked removed.
    let delete = json!({"id": format!("{}#delete", post["object"]["id"].as_str().unwrap()), "type": "Delete",
                        "actor": w.members().actor_id("asso"),
                        "object": {"id": post["object"]["id"], "type": "Tombstone"}, "to": [PUBLIC]});
    assert_eq!(w.send_shared("asso", &delete).await.status(), 202);
    assert!(w.cli.ok(&["relay", "list"]).await.ends_with("\tremoved\n"));
    // Once nothing is left to deliver, a second Announce would have arrived.
    w.deliveries_drained().await;
    assert_eq!(w.announces().len(), 1);
}

async fn everything_else_waits_for_an_admin(backend: Backend) {
    let w = Relay::new(backend, "").await;
    let from_stranger = w.mention("stranger", 1);
    let mut reply = w.mention("asso", 2);
    reply["object"]["inReplyTo"] = json!("https://elsewhere.example/statuses/9");
    let mut followers_only = w.mention("union", 3);
    let union = w.members().actor_id("union");
    followers_only["to"] = json!([format!("{union}/followers")]);
    followers_only["cc"] = json!([w.coalition]);
    followers_only["object"]["to"] = json!([format!("{union}/followers")]);
    followers_only["object"]["cc"] = json!([w.coalition]);
    let mut not_for_us = w.mention("asso", 4);
    not_for_us["cc"] = json!([]);
    not_for_us["object"]["cc"] = json!([]);
    not_for_us["object"]["tag"] = json!([]);
    for (name, post) in [
        ("stranger", &from_stranger),
        ("asso", &reply),
        ("union", &followers_only),
        ("asso", &not_for_us),
    ] {
        assert_eq!(w.send_shared(name, post).await.status(), 202);
    }
    // Once nothing is left to deliver, an Announce would have arrived.
    w.deliveries_drained().await;
    assert!(w.announces().is_empty(), "nothing relayed by itself");
    let pending = w.cli.ok(&["relay", "pending"]).await;
    let reasons: Vec<&str> = rows(&pending)
        .iter()
        .map(|l| l.split('\t').nth(2).unwrap())
        .collect();
    assert_eq!(reasons.len(), 3, "{pending}");
    for reason in ["not a member", "a reply", "not public"] {
        assert!(reasons.contains(&reason), "{pending}");
    }

    // Approving relays it; a followers-only post cannot be; rejecting drops it.
    let stranger_post = from_stranger["object"]["id"].as_str().unwrap();
    w.cli.ok(&["relay", "approve", stranger_post]).await;
    let got = w.followers.wait_for("/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["object"], stranger_post);
    let out = w
        .cli
        .run(&[
            "relay",
            "approve",
            followers_only["object"]["id"].as_str().unwrap(),
        ])
        .await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("not public"), "{}", out.stderr);
    w.cli
        .ok(&["relay", "reject", reply["object"]["id"].as_str().unwrap()])
        .await;
    let pending = w.cli.ok(&["relay", "pending"]).await;
    assert_eq!(rows(&pending).len(), 1, "{pending}");
}

async fn limits_removal_and_moves(backend: Backend) {
    let mut w = Relay::new(
        backend,
        "[relay]\nmax_per_member_per_hour = 2\nundo_on_member_removal = true\n",
    )
    .await;
    w.cli.env.push((
        "TRIBUNE__RELAY__UNDO_ON_MEMBER_REMOVAL".into(),
        "true".into(),
    ));
    for n in 1..=3 {
        assert_eq!(
            w.send_shared("asso", &w.mention("asso", n)).await.status(),
            202
        );
    }
    w.followers.wait_for("/inbox", 2, WAIT).await;
    let pending = w.cli.ok(&["relay", "pending"]).await;
    assert!(pending.contains("hourly relay limit"), "{pending}");

    // Removing the member withdraws its relays.
    let out = w
        .cli
        .ok(&["members", "remove", &w.members().actor_id("asso")])
        .await;
    assert!(out.contains("2 relay(s) withdrawn"), "{out}");
    let got = w.followers.wait_for("/inbox", 4, WAIT).await;
    let undos: Vec<Value> = got
        .iter()
        .map(|r| r.json())
        .filter(|a| a["type"] == "Undo")
        .collect();
    assert_eq!(undos.len(), 2);
    assert_eq!(undos[0]["object"]["type"], "Announce");
    assert!(w.cli.ok(&["relay", "list"]).await.contains("\tundone"));
    let out = w
        .cli
        .run(&["members", "remove", &w.members().actor_id("asso")])
        .await;
    assert_eq!(out.code, Some(1));

    // The union moves to a new account that names the old one: membership follows.
    let moved = Peer::start(&["union2"]).await;
    moved.set_actor_field(
        "union2",
        "alsoKnownAs",
        json!([w.members().actor_id("union")]),
    );
    let union = w.members().actor_id("union");
    let mv = json!({"id": format!("{union}#moves/1"), "type": "Move", "actor": union, "object": union,
                    "target": moved.actor_id("union2")});
    assert_eq!(w.send_shared("union", &mv).await.status(), 202);
    let members = w.cli.ok(&["members", "list"]).await;
    assert!(
        rows(&members)[0].starts_with(&moved.actor_id("union2")),
        "{members}"
    );
    // A Move to an account that does not name the origin is refused.
    let mv = json!({"id": format!("{}#moves/2", moved.actor_id("union2")), "type": "Move", "actor": moved.actor_id("union2"),
                    "object": moved.actor_id("union2"), "target": w.members().actor_id("stranger")});
    let res = w.post(&moved, "union2", &w.shared_inbox(), &mv).await;
    assert_eq!(res.status(), 422);
}

async fn a_relay_due_while_a_follower_is_down_arrives_after_a_restart(backend: Backend) {
    let mut w = Relay::new(backend, "").await;
    w.followers.set_inbox_status(503);
    assert_eq!(
        w.send_shared("asso", &w.mention("asso", 1)).await.status(),
        202
    );
    w.followers.wait_for("/inbox", 1, WAIT).await;
    w.restart("").await;
    w.followers.set_inbox_status(202);
    let got = w
        .followers
        .wait_for("/inbox", 2, Duration::from_secs(30))
        .await;
    let last = got.last().unwrap();
    assert_eq!(last.json()["type"], "Announce");
    verify_as_mastodon(last, &w.pem().await).unwrap();
}

async fn real_servers_group_posts_follow_the_rule(backend: Backend) {
    let servers = ["mastodon", "lemmy", "pleroma"];
    let w = World::start(backend, "", &servers).await;
    for server in servers {
        w.cli
            .ok(&["members", "add", &w.peer.actor_id(server)])
            .await;
    }
    let cases = [
        ("mastodon", "create_mention", true),
        ("mastodon", "create_mention_reply", false),
        ("mastodon", "create_mention_followers_only", false),
        ("lemmy", "create_page", true),
        ("pleroma", "create_group_post", true),
    ];
    for (server, name, relayed) in cases {
        let Some(post) = w.fixture(server, name) else {
            panic!("{server}/{name} is missing")
        };
        let res = w.send_shared(server, &post).await;
        assert_eq!(
            res.status(),
            202,
            "{server}/{name}: {}",
            res.text().await.unwrap_or_default()
        );
        let post_id = post["object"]["id"].as_str().unwrap();
        let relays = w.cli.ok(&["relay", "list"]).await;
        let pending = w.cli.ok(&["relay", "pending"]).await;
        assert_eq!(
            relays.contains(post_id),
            relayed,
            "{server}/{name} relayed? {relays}"
        );
        assert_eq!(
            pending.contains(post_id),
            !relayed,
            "{server}/{name} held? {pending}"
        );
    }
}

async fn lemmy_family_followers_also_get_announce_create(backend: Backend) {
    let w = Relay::new(backend, "[relay]\nannounce_create_to_lemmy_family = true\n").await;
    let lemmy = Peer::start(&["bob"]).await;
    lemmy.set_software("lemmy");
    w.followed_by(&lemmy, "bob").await;
    // Its server's software is looked up beside the Follow, not in its way.
    eventually("the NodeInfo is read", WAIT, async || {
        w.db.count("SELECT COUNT(*) FROM instances WHERE software = 'lemmy'")
            .await
            == 1
    })
    .await;

    let post = w.mention("asso", 1);
    assert_eq!(w.send_shared("asso", &post).await.status(), 202);
    // Lemmy gets both forms; Mastodon only the Announce of the id.
    let got = lemmy.wait_for("/inbox", 2, WAIT).await;
    let mut forms: Vec<Value> = got.iter().map(|r| r.json()).collect();
    forms.sort_by_key(|a| a["object"].is_object());
    assert_eq!(forms[0]["object"], post["object"]["id"]);
    assert_eq!(forms[1]["object"]["type"], "Create");
    assert_eq!(forms[1]["object"]["id"], post["id"]);
    assert_eq!(forms[1]["object"]["object"], post["object"]);
    assert_eq!(forms[1]["audience"], w.coalition.as_str());
    w.followers.wait_for("/inbox", 1, WAIT).await;
    // Once nothing is left to deliver, a second form would have arrived.
    w.deliveries_drained().await;
    assert_eq!(w.announces().len(), 1);
    assert_eq!(w.announces()[0]["object"], post["object"]["id"]);
}

async fn the_roster_and_moderation_through_the_admin_api(backend: Backend) {
    let token = "a-token-for-the-admin-api";
    let w = Relay::new(backend, &format!("[admin]\ntoken = \"{token}\"\n")).await;
    let api = |method: reqwest::Method, path: &str| {
        w.app
            .client
            .request(method, format!("{}/api/admin{path}", w.app.base))
            .bearer_auth(token)
    };
    use reqwest::Method;
    let list: Value = api(Method::GET, "/members")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 2);
    // Add by URL (the peer serves no WebFinger); an unknown handle names the field.
    let res = api(Method::POST, "/members")
        .json(&json!({"actor": w.members().actor_id("stranger")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = api(Method::POST, "/members")
        .json(&json!({"actor": "@nobody@nowhere.invalid"}))
        .send()
        .await
        .unwrap();
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["field"], "actor");
    // A reply is held; the API lists and approves it.
    let mut reply = w.mention("stranger", 1);
    reply["object"]["inReplyTo"] = json!("https://elsewhere.example/statuses/1");
    assert_eq!(w.send_shared("stranger", &reply).await.status(), 202);
    let pending: Value = api(Method::GET, "/relay/pending")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending[0]["reason"], "a reply");
    let post_id = reply["object"]["id"].as_str().unwrap();
    let res = api(Method::POST, "/relay/approve")
        .json(&json!({"post": post_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let got = w.followers.wait_for("/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["object"], post_id);
    let res = api(Method::POST, "/relay/reject")
        .json(&json!({"post": post_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Remove.
    let res = api(Method::DELETE, "/members")
        .json(&json!({"actor": w.members().actor_id("stranger")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = api(Method::GET, "/members")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 2);
    let res = w
        .app
        .client
        .get(format!("{}/api/admin/members", w.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// Attack 7 of SECURITY.md: a member's Create whose object is on another server (Carol's
/// post) and has no `attributedTo`, or names someone else, is held, not relayed: Mastodon
/// would fetch the post from its origin and show the coalition boosting Carol.
async fn a_member_cannot_make_the_coalition_boost_someone_elses_post(backend: Backend) {
    let w = Relay::new(backend, "").await;
    let carol = Peer::start_named("carol.localhost", &["carol"]).await;
    let carols_post = format!("{}/statuses/1", carol.actor_id("carol"));
    let mut no_author = w.mention("asso", 1);
    no_author["object"]["id"] = json!(carols_post);
    no_author["object"]
        .as_object_mut()
        .unwrap()
        .shift_remove("attributedTo");
    let mut other_author = w.mention("union", 2);
    other_author["object"]["attributedTo"] = json!(carol.actor_id("carol"));
    for (name, post) in [("asso", &no_author), ("union", &other_author)] {
        assert_eq!(w.send_shared(name, post).await.status(), 202, "{name}");
    }
    // Control: the member's own post is relayed, as before.
    let own = w.mention("asso", 3);
    assert_eq!(w.send_shared("asso", &own).await.status(), 202);
    w.deliveries_drained().await;
    let relayed: Vec<Value> = w
        .announces()
        .into_iter()
        .map(|a| a["object"].clone())
        .collect();
    assert_eq!(
        relayed,
        vec![own["object"]["id"].clone()],
        "only the member's own post"
    );
    let pending = w.cli.ok(&["relay", "pending"]).await;
    assert_eq!(
        pending.matches("not by its author").count(),
        2,
        "both held for an admin: {pending}"
    );
}
