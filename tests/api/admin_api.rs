//! The admin HTTP API: bearer token, the statement operations, errors naming the field.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, TestDb, assert_json_error, on_both_backends},
    peer::Peer,
};

on_both_backends!(
    admin_routes_need_the_token,
    statements_through_the_admin_api
);

const TOKEN: &str = "an-admin-token-of-some-length";

const STATEMENT: &str = "+++\nslug = \"appel\"\n[title]\nfr = \"Appel\"\nen = \"Call\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";

fn routes(base: &str) -> Vec<(reqwest::Method, String)> {
    use reqwest::Method;
    vec![
        (Method::GET, format!("{base}/api/admin/statements")),
        (Method::POST, format!("{base}/api/admin/statements")),
        (Method::PUT, format!("{base}/api/admin/statements/appel")),
        (Method::DELETE, format!("{base}/api/admin/statements/appel")),
        (
            Method::POST,
            format!("{base}/api/admin/statements/appel/pin"),
        ),
        (
            Method::DELETE,
            format!("{base}/api/admin/statements/appel/pin"),
        ),
    ]
}

async fn admin_routes_need_the_token(backend: Backend) {
    // No token configured: the API is off, every route says 401.
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, "").await;
    for (method, url) in routes(&app.base) {
        let res = app
            .client
            .request(method, &url)
            .bearer_auth(TOKEN)
            .body(STATEMENT)
            .send()
            .await
            .unwrap();
        assert_json_error(res, 401).await;
    }
    drop(app);

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, &format!("[admin]\ntoken = \"{TOKEN}\"\n")).await;
    for (method, url) in routes(&app.base) {
        let res = app
            .client
            .request(method.clone(), &url)
            .body(STATEMENT)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        assert_json_error(res, 401).await;
        for bad in [
            "wrong",
            "an-admin-token-of-some-lengtH",
            "",
            &format!("{TOKEN}x"),
        ] {
            let res = app
                .client
                .request(method.clone(), &url)
                .bearer_auth(bad)
                .body(STATEMENT)
                .send()
                .await
                .unwrap();
            assert_json_error(res, 401).await;
        }
        let res = app
            .client
            .request(method.clone(), &url)
            .header("authorization", format!("Basic {TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_json_error(res, 401).await;
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM statements").await, 0);
    assert!(res_has_no_cookie(&app).await);
}

async fn res_has_no_cookie(app: &TestApp) -> bool {
    let res = app
        .client
        .get(format!("{}/api/admin/statements", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    res.status() == 200 && res.headers().get("set-cookie").is_none()
}

async fn statements_through_the_admin_api(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, &format!("[admin]\ntoken = \"{TOKEN}\"\n")).await;
    let peer = Peer::start(&["alice"]).await;
    let coalition = format!("{}/ap/coalition", app.base);
    let client = peer.client(&[("localhost", app.addr)]);
    let follow = json!({"id": format!("{}/f/1", peer.base), "type": "Follow", "actor": peer.actor_id("alice"), "object": coalition});
    peer.post(
        &client,
        "alice",
        &format!("{coalition}/inbox"),
        follow.to_string().as_bytes(),
    )
    .await;
    peer.wait_for("/users/alice/inbox", 1, Duration::from_secs(20))
        .await;

    let api = |method: reqwest::Method, path: &str| {
        app.client
            .request(method, format!("{}/api/admin{path}", app.base))
            .bearer_auth(TOKEN)
    };
    use reqwest::Method;

    // Publish: 201, Location, the id; the follower gets the Create.
    let res = api(Method::POST, "/statements")
        .header("content-type", "text/markdown")
        .body(STATEMENT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = format!("{}/statements/appel", app.base);
    assert_eq!(res.headers()["location"], id.as_str());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["activities"][0]["inboxes"], 1);
    let got = peer.wait_for("/inbox", 1, Duration::from_secs(20)).await;
    assert_eq!(got[0].json()["type"], "Create");
    assert_eq!(got[0].json()["object"]["id"], id.as_str());

    // Errors: the field is named, nothing published.
    let res = api(Method::POST, "/statements")
        .body(STATEMENT.replace("en = \"Call\"\n", ""))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let err: Value = res.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), err["field"].as_str()),
        (422, Some("title.en")),
        "{err}"
    );
    let res = api(Method::POST, "/statements")
        .body(STATEMENT)
        .send()
        .await
        .unwrap();
    assert_json_error(res, 409).await;
    let res = api(Method::POST, "/statements")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_json_error(res, 400).await;
    let with_image = STATEMENT.replace(
        "slug = \"appel\"",
        "slug = \"affiche\"\nimage = \"a.png\"\nimage_alt = \"Affiche\"",
    );
    let res = api(Method::POST, "/statements")
        .body(with_image.clone())
        .send()
        .await
        .unwrap();
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["field"], "image");

    // With an image, as JSON.
    let png = BASE64.encode(include_bytes!("../../assets/avatar.png"));
    let res = api(Method::POST, "/statements")
        .json(&json!({"source": with_image, "image_base64": png}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let note = app
        .get_ap(&format!("{}/statements/affiche", app.base))
        .await;
    assert_eq!(note["attachment"][0]["mediaType"], "image/png");
    assert_eq!(note["attachment"][0]["name"], "Affiche");

    // Edit, pin, unpin, list, delete.
    let res = api(Method::PUT, "/statements/appel")
        .body(STATEMENT.replace("Texte.", "Texte revu."))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        app.get_ap(&id).await["content"]
            .as_str()
            .unwrap()
            .contains("Texte revu.")
    );
    assert_eq!(
        api(Method::POST, "/statements/appel/pin")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.get_ap(&format!("{coalition}/featured")).await["totalItems"],
        1
    );
    assert_eq!(
        api(Method::DELETE, "/statements/appel/pin")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.get_ap(&format!("{coalition}/featured")).await["totalItems"],
        0
    );
    let list: Value = api(Method::GET, "/statements")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        api(Method::DELETE, "/statements/appel")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_json_error(
        api(Method::DELETE, "/statements/appel")
            .send()
            .await
            .unwrap(),
        410,
    )
    .await;
    assert_json_error(
        api(Method::PUT, "/statements/nothing")
            .body(STATEMENT.replace("appel", "nothing"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_json_error(
        api(Method::POST, "/statements/Not_A_Slug/pin")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    // Deliveries of separate activities to one inbox may overtake each other.
    let mut kinds: Vec<String> = peer
        .wait_for("/inbox", 6, Duration::from_secs(20))
        .await
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["Add", "Create", "Create", "Delete", "Remove", "Update"]
    );
}
