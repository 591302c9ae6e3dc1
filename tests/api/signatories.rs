//! Signatories gathered off the fediverse (#16, points 1 and 2): recorded from the statement
//! file, the CLI and the admin API, each an entry of the ledger, counted beside the
//! fediverse's co-signers, and one signatory when they boost from the handle given.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    cosign::Cosign,
    helpers::{Backend, World, assert_json_error, on_both_backends},
};

on_both_backends!(
    recorded_signatories_are_counted_listed_and_chained,
    bad_signatory_lists_record_nothing,
    the_real_manifesto_counts_its_first_signatories,
    the_example_statement_shows_its_first_signatories,
);

const TOKEN: &str = "an-admin-token-of-some-length";

fn statement(alice: &str) -> String {
    format!(
        "+++\nslug = \"manifeste-2026\"\nsignatories_source = \"https://journal.example/tribune\"\n\
         [title]\nfr = \"Manifeste\"\nen = \"Manifesto\"\n\n\
         [[signatories]]\nname = \"Ada Lovelace\"\nrole = \"présidente\"\norganisation = \"Asso A\"\n\n\
         [[signatories]]\nname = \"Asso B\"\nkind = \"organisation\"\nlink = \"https://asso-b.example/\"\n\n\
         [[signatories]]\nname = \"Alice Martin\"\nhandle = \"{alice}\"\n\
         +++\n::: fr\nTexte.\n::: en\nText.\n"
    )
}

async fn page(w: &World, lang: &str) -> String {
    w.app
        .get(
            &format!("/statements/manifeste-2026?lang={lang}"),
            "text/html",
        )
        .await
        .text()
        .await
        .unwrap()
}

async fn collection(w: &World) -> (u64, Vec<Value>) {
    let note = format!("{}/statements/manifeste-2026", w.app.base);
    let head = w.app.get_ap(&format!("{note}/cosigners")).await;
    let page = w.app.get_ap(&format!("{note}/cosigners?page=1")).await;
    (
        head["totalItems"].as_u64().unwrap(),
        page["orderedItems"].as_array().unwrap().clone(),
    )
}

async fn ledger(w: &World) -> Vec<Value> {
    let note = format!("{}/statements/manifeste-2026", w.app.base);
    w.app.get_ap(&format!("{note}/ledger?page=1")).await["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["parsed"].clone())
        .collect()
}

fn api(w: &World, method: Method, path: &str) -> reqwest::RequestBuilder {
    w.app
        .client
        .request(
            method,
            format!(
                "{}/api/admin/statements/manifeste-2026/signatories{path}",
                w.app.base
            ),
        )
        .bearer_auth(TOKEN)
}

async fn recorded_signatories_are_counted_listed_and_chained(backend: Backend) {
    let world = World::start(
        backend,
        &format!("[admin]\ntoken = \"{TOKEN}\"\n"),
        &["alice", "bob"],
    )
    .await;
    let alice_handle = format!("@alice@localhost:{}", world.peer.addr.port());
    let file = world.file("s.md", &statement(&alice_handle));
    world.cli.ok(&["statement", "publish", &file]).await;
    let w = Cosign {
        note: format!("{}/statements/manifeste-2026", world.app.base),
        world,
    };

    // Recorded from the file: counted, listed first, chained with who and where.
    let fr = page(&w, "fr").await;
    assert!(
        fr.contains("<strong>3</strong> premiers signataires · <strong>0</strong> sur le fédivers"),
        "{fr}"
    );
    assert!(fr.contains("Premiers signataires (3)"), "{fr}");
    assert!(
        fr.contains("Ada Lovelace</li>")
            || fr.contains("Ada Lovelace, <span class=\"role\">présidente, Asso A</span>"),
        "{fr}"
    );
    assert!(fr.contains("id=\"signatory-2\""));
    let en = page(&w, "en").await;
    assert!(
        en.contains("<strong>3</strong> first signatories · <strong>0</strong> on the fediverse"),
        "{en}"
    );
    let (total, items) = collection(&w).await;
    assert_eq!(total, 3);
    assert!(items.iter().all(|i| i["recorded"] == true), "{items:?}");
    assert_eq!(items[1]["kind"], "organisation");
    let entries = ledger(&w).await;
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["event"], "record");
    assert_eq!(entries[0]["signatory"]["name"], "Ada Lovelace");
    assert_eq!(entries[0]["by"], "statement file");
    assert_eq!(entries[0]["source"], "https://journal.example/tribune");
    assert_eq!(
        entries[2]["signatory"]["handle"],
        alice_handle.trim_start_matches('@')
    );
    let profile = w
        .app
        .get("/@coalition?lang=fr", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        profile.contains("3 premiers signataires · 0 sur le fédivers"),
        "{profile}"
    );
    let feed = w
        .app
        .get("/statements.atom", "application/atom+xml")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("3 first signatories · 0 on the fediverse"),
        "{feed}"
    );

    // A fediverse boost adds one; the recorded signatory boosting from her handle does not.
    for name in ["bob", "alice"] {
        let res = w
            .send_from(&w.peer, name, &w.announce(&w.peer, name, 1))
            .await;
        assert_eq!(res.status(), 202);
    }
    let fr = page(&w, "fr").await;
    assert!(
        fr.contains("<strong>3</strong> premiers signataires · <strong>1</strong> sur le fédivers"),
        "{fr}"
    );
    assert!(fr.contains("a aussi signé sur le fédivers"), "{fr}");
    let (total, items) = collection(&w).await;
    assert_eq!(total, 4, "{items:?}");
    assert_eq!(items.len(), 4);
    assert_eq!(items[3]["actor"]["id"], w.peer.actor_id("bob"));
    let export = w.export().await;
    assert_eq!(
        (
            export["count"].clone(),
            export["recorded"].clone(),
            export["fediverse"].clone()
        ),
        (json!(4), json!(3), json!(1))
    );
    assert_eq!(export["signers"][0]["origin"], "recorded");
    assert_eq!(export["signers"][3]["origin"], "fediverse");

    // Editing with the same file records nothing again.
    w.cli
        .ok(&["statement", "edit", "manifeste-2026", &file])
        .await;
    assert_eq!(ledger(&w).await.len(), 5, "3 records and 2 boosts");

    // The CLI: add, remove (a withdrawal entry), list.
    let out = w
        .cli
        .ok(&[
            "signatories",
            "add",
            "manifeste-2026",
            "--name",
            "Grace Hopper",
            "--organisation",
            "Asso C",
            "--source",
            "https://journal.example/suite",
        ])
        .await;
    assert!(out.contains("recorded signatory 4"), "{out}");
    let out = w
        .cli
        .ok(&["signatories", "remove", "manifeste-2026", "2"])
        .await;
    assert!(out.contains("withdrew signatory 2"), "{out}");
    let entries = ledger(&w).await;
    let last = entries.last().unwrap();
    assert_eq!(last["event"], "withdraw");
    assert!(last["actor"].as_str().unwrap().ends_with("#signatory-2"));
    assert!(
        last["by"]
            .as_str()
            .unwrap()
            .starts_with("tribune signatories")
    );
    let list: Vec<Value> = serde_json::from_str(
        &w.cli
            .ok(&["signatories", "list", "manifeste-2026", "--format", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(list.len(), 4, "withdrawn ones are listed too");
    assert!(list[1]["withdrawn"].is_string());
    let fr = page(&w, "fr").await;
    assert!(
        fr.contains("<strong>3</strong> premiers signataires"),
        "{fr}"
    );
    assert!(fr.contains("Signatures retirées (1)"), "{fr}");

    // The admin API: add a list, refuse a repeat, remove, list.
    let res = api(&w, Method::POST, "")
        .json(
            &json!({"signatories": [{"name": "Hedy Lamarr", "kind": "person"}],
                      "source": "https://journal.example/3"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["recorded"], json!([5]));
    let res = api(&w, Method::POST, "")
        .json(&json!({"signatories": [{"name": "hedy lamarr"}]}))
        .send()
        .await
        .unwrap();
    let body = assert_json_error(res, 409).await;
    assert!(body.contains("already recorded as number 5"), "{body}");
    let res = api(&w, Method::DELETE, "/5").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = api(&w, Method::DELETE, "/5").send().await.unwrap();
    assert_json_error(res, 404).await;
    let res = api(&w, Method::GET, "").send().await.unwrap();
    let listed = res.json::<Value>().await.unwrap();
    assert_eq!(listed["signatories"].as_array().unwrap().len(), 5);
    let entries = ledger(&w).await;
    let by_api: Vec<&Value> = entries.iter().filter(|e| e["by"] == "admin API").collect();
    assert_eq!(by_api.len(), 2, "the record and its withdrawal");

    w.verified().await;
}

async fn bad_signatory_lists_record_nothing(backend: Backend) {
    let w = World::start(backend, &format!("[admin]\ntoken = \"{TOKEN}\"\n"), &[]).await;
    // In the statement file: the error names the entry and the field; nothing is published.
    let bad = statement("@alice@example.org").replace("name = \"Asso B\"\n", "");
    let file = w.file("bad.md", &bad);
    let out = w.cli.run(&["statement", "publish", &file]).await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("signatories[2].name"), "{}", out.stderr);
    let bad = statement("@alice@example.org").replace("\"organisation\"\n", "\"robot\"\n");
    let out = w
        .cli
        .run(&["statement", "publish", &w.file("bad2.md", &bad)])
        .await;
    assert!(out.stderr.contains("signatories[2].kind"), "{}", out.stderr);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM statements").await, 0);

    let good = statement("@alice@example.org");
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", &good)])
        .await;
    assert_eq!(entries(&w.db).await, 3);

    // CSV: a wrong header, a bad line, a duplicate, Latin-1: the error names the line and
    // field, and nothing is recorded.
    for (csv, line, field) in [
        (&b"nom,role\nAda,x\n"[..], "line 1", "header"),
        (b"name,kind\nGrace,person\nAsso D,robot\n", "line 3", "kind"),
        (b"name\nGrace\ngrace\n", "line 3", "name"),
        (b"name\nGrace\nFran\xe7oise\n", "line 3", "encoding"),
        (
            b"name,organisation\nAda Lovelace,Asso A\n",
            "line 2",
            "already recorded",
        ),
    ] {
        let path = w.dir.path().join("list.csv");
        std::fs::write(&path, csv).unwrap();
        let out = w
            .cli
            .run(&[
                "signatories",
                "import",
                "manifeste-2026",
                path.to_str().unwrap(),
            ])
            .await;
        assert_ne!(out.code, Some(0), "{}", String::from_utf8_lossy(csv));
        assert!(
            out.stderr.contains(line) && out.stderr.contains(field),
            "{line} {field}: {}",
            out.stderr
        );
        assert_eq!(entries(&w.db).await, 3, "nothing recorded");
    }
    let path = w.dir.path().join("ok.csv");
    std::fs::write(
        &path,
        "name,role,kind\nGrace,,person\nAsso D,,organisation\n",
    )
    .unwrap();
    let out = w
        .cli
        .ok(&[
            "signatories",
            "import",
            "manifeste-2026",
            path.to_str().unwrap(),
        ])
        .await;
    assert!(out.contains("recorded 2"), "{out}");

    // The API: the same errors as 4xx JSON naming the field.
    let post = |body: reqwest::Body, ct: &str| {
        w.app
            .client
            .post(format!(
                "{}/api/admin/statements/manifeste-2026/signatories",
                w.app.base
            ))
            .bearer_auth(TOKEN)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = post(
        json!({"signatories": [{"name": "X"}, {"name": ""}]})
            .to_string()
            .into(),
        "application/json",
    )
    .await
    .unwrap();
    let body = assert_json_error(res, 422).await;
    assert!(body.contains("signatories[2].name"), "{body}");
    let res = post("nom\nX\n".into(), "text/csv").await.unwrap();
    let body = assert_json_error(res, 422).await;
    assert!(body.contains("header"), "{body}");
    let res = post(json!({"list": []}).to_string().into(), "application/json")
        .await
        .unwrap();
    assert_json_error(res, 400).await;
    let res = w
        .app
        .client
        .post(format!(
            "{}/api/admin/statements/nope/signatories",
            w.app.base
        ))
        .bearer_auth(TOKEN)
        .json(&json!({"signatories": [{"name": "X"}]}))
        .send()
        .await
        .unwrap();
    assert_json_error(res, 404).await;
    // Too large a list: a JSON 413, nothing recorded.
    let big = format!("name\n{}", "Quelqu'un de très long\n".repeat(60_000));
    let res = post(big.into(), "text/csv").await.unwrap();
    assert_json_error(res, 413).await;
    assert_eq!(entries(&w.db).await, 5);
}

/// The coalition's own case, where `../shared/coalition/` is present: the French list of
/// first signatories read from the real manifesto, recorded, counted on the page.
async fn the_real_manifesto_counts_its_first_signatories(backend: Backend) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/coalition/hiatus-manifesto.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is not here", path.display());
        return;
    };
    let names: Vec<(String, String)> = text
        .lines()
        .skip_while(|l| !l.starts_with("Premiers signataires"))
        .skip(1)
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_once(", "))
        .map(|(n, r)| (n.trim().to_owned(), r.trim().to_owned()))
        .collect();
    assert_eq!(names.len(), 22, "{names:?}");
    let w = World::start(backend, "", &["alice"]).await;
    let file = w.file(
        "s.md",
        "+++\nslug = \"hiatus\"\n[title]\nfr = \"Hiatus\"\nen = \"Hiatus\"\n+++\n::: fr\nTexte.\n::: en\nText.\n",
    );
    w.cli.ok(&["statement", "publish", &file]).await;
    let mut csv = String::from("name,role\n");
    for (n, r) in &names {
        csv.push_str(&format!("\"{n}\",\"{r}\"\n"));
    }
    let list = w.dir.path().join("premiers.csv");
    std::fs::write(&list, csv).unwrap();
    w.cli
        .ok(&["signatories", "import", "hiatus", list.to_str().unwrap()])
        .await;
    let fr = w
        .app
        .get("/statements/hiatus?lang=fr", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        fr.contains("<strong>22</strong> premiers signataires"),
        "{fr}"
    );
    assert!(fr.contains("Soizic Pénicaud"), "{fr}");
    let note = format!("{}/statements/hiatus", w.app.base);
    assert_eq!(
        w.app.get_ap(&format!("{note}/cosigners")).await["totalItems"],
        22
    );
    w.cli.ok(&["cosigners", "verify", "hiatus"]).await;
}

async fn entries(db: &crate::helpers::TestDb) -> i64 {
    db.count("SELECT COUNT(*) FROM ledger").await
}

/// The README's walk-through: the example statement publishes with its 22 first signatories.
async fn the_example_statement_shows_its_first_signatories(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hiatus.md");
    let out = w
        .cli
        .ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    assert!(
        out.trim_end().ends_with("/statements/appel-hiatus"),
        "{out}"
    );
    let fr = w
        .app
        .get("/statements/appel-hiatus?lang=fr", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        fr.contains(
            "<strong>22</strong> premiers signataires · <strong>0</strong> sur le fédivers"
        ),
        "{fr}"
    );
    assert!(fr.contains("Premiers signataires (22)"));
    assert!(
        fr.contains(
            "Raquel Radaut, <span class=\"role\">porte-parole, La Quadrature du Net</span>"
        ),
        "{fr}"
    );
    let profile = w
        .app
        .get("/@coalition?lang=fr", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(profile.contains("22 premiers signataires"), "{profile}");
    let out = w.cli.ok(&["signatories", "list", "appel-hiatus"]).await;
    assert_eq!(out.lines().count(), 23, "a header and 22 lines: {out}");
    w.cli.ok(&["cosigners", "verify", "appel-hiatus"]).await;
}
