//! Statements in the web admin: the bilingual form, the preview that writes nothing,
//! validation next to the field, publish, edit and its differences, pin, delete after a
//! confirmation, and the roles (docs/admin.md).

use serde_json::Value;

use crate::{
    admin_web::{Agent, account},
    helpers::{Backend, WAIT, World, on_both_backends},
    peer::Recorded,
};

on_both_backends!(
    an_editor_publishes_edits_and_deletes_through_the_form,
    a_moderator_may_not_write_statements,
    an_image_is_chosen_described_previewed_and_replaced,
);

const SLUG: &str = "appel-2026";

fn fields(en_text: &str) -> Vec<(&str, &str)> {
    vec![
        ("slug", SLUG),
        ("title-fr", "Appel pour le climat"),
        (
            "text-fr",
            "Nous appelons à **agir** maintenant.\n\nDeuxième paragraphe.",
        ),
        ("title-en", "Call for the climate"),
        ("text-en", en_text),
        ("tags", "climat, Justice"),
        ("mentions", ""),
        ("federate", "full"),
    ]
}

fn of_type(received: &[Recorded], kind: &str) -> Vec<Value> {
    received
        .iter()
        .filter(|r| r.path == "/inbox")
        .map(Recorded::json)
        .filter(|a| a["type"] == kind)
        .collect()
}

async fn statements(w: &World) -> i64 {
    w.db.count("SELECT COUNT(*) FROM statements").await
}

async fn an_editor_publishes_edits_and_deletes_through_the_form(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    w.followed_by(&w.peer, "alice").await;
    account(&w, "eddie", "editor").await;
    let mut a = Agent::logged_in(&w, "eddie").await;

    // The form: both languages side by side, every field labelled.
    let form = a.page("/admin/statements/new").await;
    for id in [
        "slug", "title-fr", "text-fr", "title-en", "text-en", "tags", "mentions",
    ] {
        assert!(
            form.contains(&format!("<label for=\"{id}\"")),
            "label of {id}"
        );
        assert!(form.contains(&format!("id=\"{id}\"")), "field {id}");
    }
    assert!(form.contains("Statements"), "the menu names the page");

    // The preview shows the page and the Note, and writes nothing.
    let en = "We call for **action** now.\n\nSecond paragraph.";
    let res = a
        .submit(
            "/admin/statements/new",
            "/admin/statements/preview",
            &fields(en),
        )
        .await;
    assert_eq!(res.status(), 200);
    let preview = res.text().await.unwrap();
    assert!(preview.contains("Nous appelons à <strong>agir</strong> maintenant."));
    assert!(preview.contains("We call for <strong>action</strong> now."));
    assert!(
        preview.contains("&#34;type&#34;: &#34;Note&#34;"),
        "{preview}"
    );
    assert!(preview.contains("formaction=\"/admin/statements/preview\""));
    assert!(
        preview.contains("action=\"/admin/statements\""),
        "the form again, to publish"
    );
    assert_eq!(statements(&w).await, 0);

    // A text without its title: 422, the message next to the field, nothing published.
    let mut missing = fields(en);
    missing.retain(|(k, _)| *k != "title-en");
    let res = a
        .submit("/admin/statements/new", "/admin/statements", &missing)
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("aria-describedby=\"title-en-error\""),
        "{page}"
    );
    assert!(page.contains("id=\"title-en-error\""));
    assert!(page.contains("the text is given but the title is missing"));
    assert!(
        page.contains("We call for **action** now."),
        "the form keeps what was written"
    );
    // A bad slug, likewise.
    let mut bad = fields(en);
    bad[0] = ("slug", "Not A Slug");
    let res = a
        .submit("/admin/statements/new", "/admin/statements", &bad)
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"slug-error\"") && page.contains("is not a slug"));
    assert_eq!(statements(&w).await, 0);

    // Publish: the follower gets a Create with both languages.
    let res = a
        .submit("/admin/statements/new", "/admin/statements", &fields(en))
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/statements");
    let list = a.page("/admin/statements").await;
    assert!(list.contains("published"), "{list}");
    assert!(list.contains("queued for 1 follower inbox"), "{list}");
    let received = w.peer.wait_for("/inbox", 1, WAIT).await;
    let create = of_type(&received, "Create").remove(0);
    let content = create["object"]["content"].as_str().unwrap();
    assert!(content.contains("Nous appelons"), "{content}");
    assert!(content.contains("We call for"), "{content}");

    // Edit: the form is filled, a new version, an Update, the differences.
    let edit = a.page(&format!("/admin/statements/{SLUG}/edit")).await;
    assert!(edit.contains("We call for **action** now."));
    let res = a
        .submit(
            "/admin/statements",
            &format!("/admin/statements/{SLUG}"),
            &fields("We demand **action** today.\n\nSecond paragraph."),
        )
        .await;
    assert_eq!(res.status(), 303);
    let received = w.peer.wait_for("/inbox", 2, WAIT).await;
    let update = of_type(&received, "Update").remove(0);
    assert!(
        update["object"]["content"]
            .as_str()
            .unwrap()
            .contains("We demand")
    );
    let diff = a.page(&format!("/admin/statements/{SLUG}/versions")).await;
    assert!(
        diff.contains("<del>- We call for **action** now.</del>"),
        "{diff}"
    );
    assert!(
        diff.contains("<ins>+ We demand **action** today.</ins>"),
        "{diff}"
    );

    // Pin.
    let res = a
        .submit(
            "/admin/statements",
            &format!("/admin/statements/{SLUG}/pin"),
            &[("pinned", "true")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(a.page("/admin/statements").await.contains("pinned"));

    // Delete: a confirmation first, then 410 on the public URL.
    let confirm = a.page(&format!("/admin/statements/{SLUG}/delete")).await;
    assert!(confirm.contains("Delete for good"));
    assert_eq!(a.get(&format!("/statements/{SLUG}")).await.status(), 200);
    let res = a
        .submit(
            &format!("/admin/statements/{SLUG}/delete"),
            &format!("/admin/statements/{SLUG}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(a.get(&format!("/statements/{SLUG}")).await.status(), 410);

    for action in [
        "statement publish",
        "statement edit",
        "statement pin",
        "statement delete",
    ] {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'eddie' AND via = 'web' \
             AND action = '{action}' AND target = '{SLUG}'"
        );
        assert_eq!(w.db.count(&sql).await, 1, "{action}");
    }
}

async fn a_moderator_may_not_write_statements(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "mo", "moderator").await;
    let mut a = Agent::logged_in(&w, "mo").await;
    let list = a.page("/admin/statements").await;
    assert!(
        !list.contains("/admin/statements/new"),
        "no link to what is refused"
    );
    assert_eq!(a.get("/admin/statements/new").await.status(), 403);
    let res = a
        .submit("/admin/statements", "/admin/statements", &fields("Text."))
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(statements(&w).await, 0);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'statement%'")
            .await,
        0
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The image of a statement chosen in the form (a file field, `multipart/form-data`): it
/// must be an image and be described; the preview shows it and keeps it for the publish
/// button; the follower's Create carries it with its description; an edit may replace it.
async fn an_image_is_chosen_described_previewed_and_replaced(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    w.followed_by(&w.peer, "alice").await;
    account(&w, "eddie", "editor").await;
    let mut a = Agent::logged_in(&w, "eddie").await;
    let poster: &[u8] = include_bytes!("../../assets/header.png");
    let other: &[u8] = include_bytes!("../../assets/avatar.png");
    let form = a.page("/admin/statements/new").await;
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
    assert!(form.contains("<label for=\"image\"") && form.contains("type=\"file\""));
    let en = "We call for **action** now.";
    let with_alt = |alt: &'static str| {
        let mut f = fields(en);
        f.push(("image_alt", alt));
        f
    };
    let new = "/admin/statements/new";

    // Not an image, or an image without its description: refused next to the field.
    let res = a
        .submit_multipart(
            new,
            "/admin/statements",
            &with_alt("Affiche"),
            &[("image", "poster.png", b"not an image at all")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"image-error\""), "{page}");
    assert!(page.contains("not a JPEG, PNG, GIF or WebP image"));
    let res = a
        .submit_multipart(
            new,
            "/admin/statements",
            &with_alt(" "),
            &[("image", "poster.png", poster)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"image_alt-error\""), "{page}");
    assert!(page.contains("describe the image"));
    assert_eq!(statements(&w).await, 0);

    // The preview shows the image and names it in the Note where it will be served; the
    // form below carries it so that "Publish" there keeps it; nothing is stored.
    let hash = sha256_hex(poster);
    let res = a
        .submit_multipart(
            new,
            "/admin/statements/preview",
            &with_alt("Affiche de l'appel"),
            &[("image", "poster.png", poster)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let preview = res.text().await.unwrap();
    assert!(
        preview.contains("src=\"data:image/png;base64,"),
        "{preview}"
    );
    assert!(preview.contains(&format!("/media/{hash}.png")), "{preview}");
    assert!(preview.contains("name=\"image_data\""));
    assert_eq!(statements(&w).await, 0);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM media").await, 0);

    // Publish from the preview's form: the image comes from the hidden field.
    let carried = preview
        .split("name=\"image_data\" value=\"")
        .nth(1)
        .unwrap();
    let carried = &carried[..carried.find('"').unwrap()];
    let mut fields_again = with_alt("Affiche de l'appel");
    fields_again.push(("image_data", carried));
    let res = a
        .submit_multipart(new, "/admin/statements", &fields_again, &[])
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let received = w.peer.wait_for("/inbox", 1, WAIT).await;
    let create = of_type(&received, "Create").remove(0);
    let attachment = &create["object"]["attachment"][0];
    assert_eq!(attachment["mediaType"], "image/png");
    assert_eq!(attachment["name"], "Affiche de l'appel");
    let url = attachment["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/media/{hash}.png")), "{url}");
    let served = w.client.get(url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), poster);

    // The edit form offers to keep it; a new file replaces it.
    let edit = a.page(&format!("/admin/statements/{SLUG}/edit")).await;
    assert!(edit.contains("id=\"keep_image\"") && edit.contains("Affiche de l&#39;appel"));
    let mut replaced = fields(en);
    replaced.extend([
        ("keep_image", "1"),
        ("has_image", "1"),
        ("image_alt", "Logo"),
    ]);
    let res = a
        .submit_multipart(
            &format!("/admin/statements/{SLUG}/edit"),
            &format!("/admin/statements/{SLUG}"),
            &replaced,
            &[("image", "logo.png", other)],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let received = w.peer.wait_for("/inbox", 2, WAIT).await;
    let update = of_type(&received, "Update").remove(0);
    let attachment = &update["object"]["attachment"][0];
    assert_eq!(attachment["name"], "Logo");
    let url = attachment["url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/media/{}.png", sha256_hex(other))),
        "{url}"
    );
}
