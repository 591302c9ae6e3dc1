//! The admin HTTP API: bearer token, the statement operations, errors naming the field.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde_json::{Value, json};

use reqwest::Method;

use crate::helpers::{Backend, TestApp, TestDb, WAIT, World, assert_json_error, on_both_backends};

on_both_backends!(
    admin_routes_need_the_token,
    statements_through_the_admin_api
);

const TOKEN: &str = "an-admin-token-of-some-length";

const STATEMENT: &str = "+++\nslug = \"appel\"\n[title]\nfr = \"Appel\"\nen = \"Call\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";

fn routes(base: &str) -> Vec<(Method, String)> {
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
        (
            Method::GET,
            format!("{base}/api/admin/statements/appel/signatories"),
        ),
        (
            Method::POST,
            format!("{base}/api/admin/statements/appel/signatories"),
        ),
        (
            Method::DELETE,
            format!("{base}/api/admin/statements/appel/signatories/1"),
        ),
        (
            Method::POST,
            format!("{base}/api/admin/statements/appel/cosigners/unhide"),
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
    let w = World::start(
        backend,
        &format!("[admin]\ntoken = \"{TOKEN}\"\n"),
        &["alice"],
    )
    .await;
    w.followed_by(&w.peer, "alice").await;
    let id = publishing_answers_201_with_the_id_and_the_follower_gets_the_create(&w).await;
    errors_name_the_field_and_publish_nothing(&w).await;
    an_image_comes_as_base64_in_json(&w).await;
    edit_pin_unpin_list_and_delete(&w, &id).await;
    // Deliveries of separate activities to one inbox may overtake each other.
    let mut kinds: Vec<String> = w
        .peer
        .wait_for("/inbox", 6, WAIT)
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

/// A request to the admin API, with the token.
fn api(w: &World, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    w.app
        .client
        .request(method, format!("{}/api/admin{path}", w.app.base))
        .bearer_auth(TOKEN)
}

/// Publish: 201, Location, the id; the follower gets the Create. Returns the id.
async fn publishing_answers_201_with_the_id_and_the_follower_gets_the_create(w: &World) -> String {
    let res = api(w, Method::POST, "/statements")
        .header("content-type", "text/markdown")
        .body(STATEMENT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = format!("{}/statements/appel", w.app.base);
    assert_eq!(res.headers()["location"], id.as_str());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["activities"][0]["inboxes"], 1);
    let got = w.peer.wait_for("/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["type"], "Create");
    assert_eq!(got[0].json()["object"]["id"], id.as_str());
    id
}

/// Errors: the field is named, nothing published.
async fn errors_name_the_field_and_publish_nothing(w: &World) {
    let res = api(w, Method::POST, "/statements")
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
    let res = api(w, Method::POST, "/statements")
        .body(STATEMENT)
        .send()
        .await
        .unwrap();
    assert_json_error(res, 409).await;
    let res = api(w, Method::POST, "/statements")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_json_error(res, 400).await;
    let res = api(w, Method::POST, "/statements")
        .body(with_image())
        .send()
        .await
        .unwrap();
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["field"], "image");
}

/// The statement with an image, which the request must then carry.
fn with_image() -> String {
    STATEMENT.replace(
        "slug = \"appel\"",
        "slug = \"affiche\"\nimage = \"a.png\"\nimage_alt = \"Affiche\"",
    )
}

/// With an image, as JSON.
async fn an_image_comes_as_base64_in_json(w: &World) {
    let png = BASE64.encode(include_bytes!("../../assets/avatar.png"));
    let res = api(w, Method::POST, "/statements")
        .json(&json!({"source": with_image(), "image_base64": png}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let note = w
        .app
        .get_ap(&format!("{}/statements/affiche", w.app.base))
        .await;
    assert_eq!(note["attachment"][0]["mediaType"], "image/png");
    assert_eq!(note["attachment"][0]["name"], "Affiche");
}

async fn edit_pin_unpin_list_and_delete(w: &World, id: &str) {
    let featured =
        async || w.app.get_ap(&format!("{}/featured", w.coalition)).await["totalItems"].clone();
    let res = api(w, Method::PUT, "/statements/appel")
        .body(STATEMENT.replace("Texte.", "Texte revu."))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        w.app.get_ap(id).await["content"]
            .as_str()
            .unwrap()
            .contains("Texte revu.")
    );
    let status = |method, path: &'static str| async move {
        api(w, method, path).send().await.unwrap().status()
    };
    assert_eq!(status(Method::POST, "/statements/appel/pin").await, 200);
    assert_eq!(featured().await, 1);
    assert_eq!(status(Method::DELETE, "/statements/appel/pin").await, 200);
    assert_eq!(featured().await, 0);
    let list: Value = api(w, Method::GET, "/statements")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(status(Method::DELETE, "/statements/appel").await, 200);
    assert_json_error(
        api(w, Method::DELETE, "/statements/appel")
            .send()
            .await
            .unwrap(),
        410,
    )
    .await;
    assert_json_error(
        api(w, Method::PUT, "/statements/nothing")
            .body(STATEMENT.replace("appel", "nothing"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_json_error(
        api(w, Method::POST, "/statements/Not_A_Slug/pin")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
}
