//! Activities verified at the same moment share one transaction (`federation::applier`):
//! each is still applied or refused on its own, and nothing is answered before it is stored.

use serde_json::json;

use crate::{
    cosign::{Cosign, post_all_at_once},
    discovery::scrape_metrics,
    helpers::{Backend, World, on_both_backends},
    peer::Peer,
};

on_both_backends!(activities_arriving_together_are_applied_or_refused_each_on_its_own);

const METRICS: &str = "[metrics]\nenabled = true\ntoken = \"a-token-for-metrics-1\"\n";

async fn scrape(w: &World) -> std::collections::HashMap<String, f64> {
    scrape_metrics(&format!("http://{}", w.app.addr)).await
}

async fn activities_arriving_together_are_applied_or_refused_each_on_its_own(backend: Backend) {
    let names: Vec<String> = (0..60).map(|i| format!("signer{i}")).collect();
    let peer = Peer::start_sharing_a_key(&names).await;
    let w = Cosign::publish(World::with_peer(backend, METRICS, peer).await).await;
    let inbox = w.shared_inbox();
    // 40 boosts, 10 of them sent twice at once, and 10 Follows of someone else than the
    // coalition (refused: 422 after their id was recorded in the same transaction).
    let mut bodies: Vec<(String, String, u16)> = Vec::new();
    for (i, name) in names.iter().enumerate().take(40) {
        let boost = w.announce(&w.peer, name, i as u32).to_string();
        if i < 10 {
            bodies.push((name.clone(), boost.clone(), 202));
        }
        bodies.push((name.clone(), boost, 202));
    }
    // Five actors boost twice at once, with two Announce ids: one signature each, the
    // other boost ignored (202), whichever of the two the batch stores first.
    for (i, name) in names.iter().enumerate().skip(50).take(5) {
        for n in [i as u32, 1000 + i as u32] {
            bodies.push((name.clone(), w.announce(&w.peer, name, n).to_string(), 202));
        }
    }
    let wrong_follows: Vec<(String, String)> = names[40..50]
        .iter()
        .map(|name| {
            let actor = w.peer.actor_id(name);
            let follow = json!({"id": format!("{actor}/follows/elsewhere"), "type": "Follow",
                                "actor": actor, "object": w.peer.actor_id("signer59")});
            (name.clone(), follow.to_string())
        })
        .collect();
    for (name, body) in &wrong_follows {
        bodies.push((name.clone(), body.clone(), 422));
    }
    let pairs: Vec<(String, String)> = bodies
        .iter()
        .map(|(n, b, _)| (n.clone(), b.clone()))
        .collect();
    let statuses = post_all_at_once(&w, &pairs).await;
    let expected: Vec<u16> = bodies.iter().map(|(_, _, s)| *s).collect();
    assert_eq!(statuses, expected);

    // Each actor signed once, the ledger intact: the refused Follows undid nothing else.
    assert_eq!(w.export().await["count"], 45);
    assert_eq!(w.shares().await.0, 45);
    let out = w.verified().await;
    assert!(out.contains("intact: 45 entries"), "{out}");
    assert_eq!(
        w.db.count("SELECT COUNT(DISTINCT actor_id) FROM cosignatures WHERE withdrawn_at IS NULL")
            .await,
        45
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM followers").await,
        0,
        "a refused Follow recorded a follower"
    );

    let m = scrape(&w).await;
    let get = |k: &str| m.get(k).copied().unwrap_or(0.0);
    assert_eq!(
        get(r#"tribune_inbox_requests_total{kind="Announce",outcome="duplicate"}"#),
        10.0
    );
    assert_eq!(
        get(r#"tribune_inbox_requests_total{kind="Announce",outcome="applied"}"#),
        45.0
    );
    assert_eq!(
        get(r#"tribune_inbox_requests_total{kind="Announce",outcome="ignored"}"#),
        5.0
    );
    // Every verified activity went through the applier, in at most as many transactions.
    let applied = get("tribune_inbox_applied_total");
    let transactions = get("tribune_inbox_transactions_total");
    assert_eq!(applied, 70.0, "{m:?}");
    assert!((1.0..=applied).contains(&transactions), "{transactions}");
    eprintln!("{applied} activities in {transactions} transactions");
    // Each activity's wait for its answer is in a histogram, and so is each transaction's
    // time (the last one's may be recorded just after its answers were sent).
    assert_eq!(get("tribune_inbox_apply_seconds_count"), applied, "{m:?}");
    assert!(get("tribune_inbox_apply_seconds_sum") > 0.0, "{m:?}");
    let batches = get("tribune_inbox_batch_seconds_count");
    assert!(
        (transactions - 1.0..=transactions).contains(&batches),
        "{m:?}"
    );
    assert!(batches >= 1.0, "{m:?}");
    assert_eq!(
        get(r#"tribune_inbox_batch_seconds_bucket{le="+Inf"}"#),
        batches,
        "{m:?}"
    );

    // A refused activity's id was rolled back with it: sent again, it is refused again, not
    // taken for a duplicate (202).
    for (name, body) in &wrong_follows {
        let res = w.peer.post(&w.client, name, &inbox, body.as_bytes()).await;
        assert_eq!(res.status(), 422, "{}", res.text().await.unwrap());
    }
}
