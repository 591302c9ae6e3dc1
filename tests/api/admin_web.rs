//! The web admin's doors: accounts made by the CLI, the one-time link, login and logout,
//! sessions in the database, CSRF and Origin checks, the login throttle, roles, cookie flags.

use reqwest::{Response, header};

use crate::helpers::{Backend, World, assert_json_error, on_both_backends};

pub const PASSWORD: &str = "correct horse battery staple";

/// A browser without JavaScript: keeps the session cookie, sends our Origin on POSTs,
/// follows no redirect (so that tests see them).
pub struct Agent {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    pub origin: String,
}

impl Agent {
    pub fn new(w: &World) -> Agent {
        Agent {
            client: w.app.client.clone(),
            base: w.app.base.clone(),
            cookie: None,
            origin: w.app.base.clone(),
        }
    }

    fn keep(&mut self, res: &Response) {
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap().trim().to_owned();
            if v.contains("Max-Age=0") || pair.ends_with('=') {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.unwrap();
        self.keep(&res);
        res
    }

    /// The page's text, asserting a 200.
    pub async fn page(&mut self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(header::ACCEPT_LANGUAGE, "en")
            .header(header::ORIGIN, &self.origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            );
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.unwrap();
        self.keep(&res);
        res
    }

    /// POST a form with the CSRF token of the page at `from`.
    pub async fn submit(&mut self, from: &str, path: &str, form: &[(&str, &str)]) -> Response {
        let token = csrf(&self.page(from).await);
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    /// POST a `multipart/form-data` form (as a browser sends one with a file field): its
    /// text fields, then its files as (field, file name, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let mut body = reqwest::multipart::Form::new();
        for (k, v) in form {
            body = body.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            body = body.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(header::ACCEPT_LANGUAGE, "en")
            .header(header::ORIGIN, &self.origin)
            .multipart(body);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.unwrap();
        self.keep(&res);
        res
    }

    /// POST a multipart form with the CSRF token of the page at `from`.
    pub async fn submit_multipart(
        &mut self,
        from: &str,
        path: &str,
        form: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let token = csrf(&self.page(from).await);
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post_multipart(path, &fields, files).await
    }

    pub async fn login(&mut self, name: &str, password: &str) -> Response {
        self.post("/admin/login", &[("name", name), ("password", password)])
            .await
    }

    /// Log in and assert it worked.
    pub async fn logged_in(w: &World, name: &str) -> Agent {
        let mut a = Agent::new(w);
        let res = a.login(name, PASSWORD).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        assert_eq!(res.headers()[header::LOCATION], "/admin");
        a
    }
}

/// The CSRF token in a page's forms.
pub fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Make an account with the CLI, with PASSWORD.
pub async fn account(w: &World, name: &str, role: &str) {
    let out = w
        .cli
        .run_with_input(
            &["admin", "add", name, "--role", role, "--password-stdin"],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));
}

async fn off_until_an_account_exists(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let mut a = Agent::new(&w);
    for path in ["/admin", "/admin/login"] {
        let res = a.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.text().await.unwrap().contains("tribune admin add"));
    }
    let res = a.login("camille", PASSWORD).await;
    assert_eq!(res.status(), 404);
    account(&w, "camille", "owner").await;
    assert_eq!(a.get("/admin/login").await.status(), 200);
    // Not logged in: the admin sends the browser to the login form.
    let res = a.get("/admin").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/admin/login");
}

async fn one_time_link_login_and_logout(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let out = w
        .cli
        .ok(&["admin", "add", "camille", "--role", "owner"])
        .await;
    let link = out
        .lines()
        .find(|l| l.contains("/admin/setup/"))
        .expect("a one-time link")
        .trim()
        .to_owned();
    let path = &link[link.find("/admin/setup/").unwrap()..];
    let mut a = Agent::new(&w);
    let form = a.page(path).await;
    assert!(form.contains("camille"));
    // The password rules answer next to the field, and change nothing.
    let res = a
        .post(path, &[("password", "short"), ("again", "short")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("at least 12 characters"));
    let res = a
        .post(
            path,
            &[("password", PASSWORD), ("again", "something else entirely")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = a
        .post(path, &[("password", PASSWORD), ("again", PASSWORD)])
        .await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("tribune_admin="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no Secure on http: {cookie}");
    // Logged in by the link; the link is spent.
    let res = a.get("/admin").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let home = res.text().await.unwrap();
    assert!(home.contains("camille") && home.contains("Dashboard"));
    assert_eq!(Agent::new(&w).get(path).await.status(), 404);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM admin_sessions WHERE account = 'camille'")
            .await,
        1
    );

    // Log out: the session row goes, the old cookie opens nothing.
    let old = a.cookie.clone();
    let res = a.submit("/admin", "/admin/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/admin/login?bye");
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM admin_sessions WHERE account = 'camille'")
            .await,
        0
    );
    let mut replay = Agent::new(&w);
    replay.cookie = old;
    let res = replay.get("/admin").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/admin/login");

    // The password now works at the login form; a wrong one does not say which was wrong.
    let res = Agent::new(&w).login("camille", "not the password").await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("Wrong name or password"));
    let res = Agent::new(&w).login("nobody", PASSWORD).await;
    assert_eq!(res.status(), 401);
    Agent::logged_in(&w, "camille").await;
    let audit = w
        .db
        .count("SELECT COUNT(*) FROM audit_log WHERE actor = 'camille' AND action = 'login' AND via = 'web'")
        .await;
    assert_eq!(audit, 1);
}

async fn forms_need_this_sessions_token_and_our_origin(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    let mut a = Agent::logged_in(&w, "camille").await;
    let mut b = Agent::logged_in(&w, "camille").await;
    let tokens = "SELECT COUNT(*) FROM admin_tokens";

    // No token at all.
    let res = a.post("/admin/tokens", &[("label", "backup script")]).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("security token"));
    // The token of another session (the same account's other browser).
    let theirs = csrf(&b.page("/admin/tokens").await);
    let ours = csrf(&a.page("/admin/tokens").await);
    assert_ne!(theirs, ours);
    let res = a
        .post(
            "/admin/tokens",
            &[("csrf", &theirs), ("label", "backup script")],
        )
        .await;
    assert_eq!(res.status(), 403);
    // The right token, sent from another site.
    a.origin = "http://evil.example".into();
    let res = a
        .post(
            "/admin/tokens",
            &[("csrf", &ours), ("label", "backup script")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("another site"));
    assert_eq!(w.db.count(tokens).await, 0, "nothing was changed");

    // The right token from our own page works.
    a.origin = w.app.base.clone();
    let res = a
        .post(
            "/admin/tokens",
            &[("csrf", &ours), ("label", "backup script")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(w.db.count(tokens).await, 1);
    // The secret is shown once, and works on the admin API with the account's role.
    let page = a.page("/admin/tokens").await;
    let at = page.find("tribune_").expect("the new token, shown once");
    let secret: String = page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(!a.page("/admin/tokens").await.contains(&secret));
    let res = w
        .app
        .client
        .get(format!("{}/api/admin/statements", w.app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Revoked, it stops working.
    let hash =
        w.db.text("SELECT token_sha256 FROM admin_tokens")
            .await
            .unwrap();
    let res = a
        .submit("/admin/tokens", "/admin/tokens/revoke", &[("token", &hash)])
        .await;
    assert_eq!(res.status(), 303);
    let res = w
        .app
        .client
        .get(format!("{}/api/admin/statements", w.app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn login_gives_a_new_session_id(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    // A session id planted in the browser before login (an attacker's) is not kept.
    let mut a = Agent::logged_in(&w, "camille").await;
    let first = a.cookie.clone().unwrap();
    let res = a.login("camille", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let second = a.cookie.clone().unwrap();
    assert_ne!(first, second, "login draws a new id");
    let mut planted = Agent::new(&w);
    planted.cookie = Some(first);
    let res = planted.get("/admin").await;
    assert_eq!(res.status(), 303, "the old id opens nothing");
    let mut made_up = Agent::new(&w);
    made_up.cookie = Some("tribune_admin=AAAAAAAAAAAAAAAAAAAAAA".into());
    made_up.login("camille", PASSWORD).await;
    assert_ne!(
        made_up.cookie.as_deref(),
        Some("tribune_admin=AAAAAAAAAAAAAAAAAAAAAA")
    );
}

async fn logins_are_throttled(backend: Backend) {
    let w = World::start(backend, "[admin]\nlogin_attempts_per_minute = 8\n", &[]).await;
    account(&w, "camille", "owner").await;
    let mut a = Agent::new(&w);
    for _ in 0..4 {
        assert_eq!(a.login("camille", "wrong wrong wrong").await.status(), 401);
    }
    // The fifth failure in a row locks the account, and says so.
    let res = a.login("camille", "wrong wrong wrong").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("locked for 15 more minute")
    );
    // Locked: even the right password is refused.
    let res = a.login("camille", PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("locked for"));
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login locked'")
            .await,
        1
    );
    // Per address: past 8 attempts a minute, whatever the account (the allowance grows back
    // by one every 7.5 s, so a few more may pass while the test runs).
    let mut refused = None;
    for n in 7..=20 {
        let res = a.login("someone", "wrong wrong wrong").await;
        if res.status() == 429 {
            refused = Some((n, res.text().await.unwrap()));
            break;
        }
        assert_eq!(res.status(), 401);
    }
    let (n, text) = refused.expect("the address is throttled");
    assert!(n >= 9, "attempt {n} refused: the first 8 pass");
    assert!(text.contains("from your address"), "{text}");
    // An owner's reset (here the CLI's) lifts the lock with a new link.
    w.cli.ok(&["admin", "reset", "camille"]).await;
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM admin_accounts WHERE locked_until IS NULL AND password_hash IS NULL")
            .await,
        1
    );
}

async fn only_owners_govern_accounts(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    account(&w, "eda", "editor").await;
    account(&w, "mo", "moderator").await;
    let accounts = "SELECT COUNT(*) FROM admin_accounts";
    for name in ["eda", "mo"] {
        let mut a = Agent::logged_in(&w, name).await;
        let home = a.page("/admin").await;
        assert!(
            !home.contains("/admin/accounts"),
            "no link to what {name} may not do"
        );
        assert_eq!(a.get("/admin/accounts").await.status(), 403, "{name}");
        let res = a
            .submit(
                "/admin",
                "/admin/accounts",
                &[("name", "intruder"), ("role", "owner")],
            )
            .await;
        assert_eq!(res.status(), 403, "{name}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Your role does not allow this")
        );
        let res = a
            .submit(
                "/admin",
                "/admin/accounts/camille",
                &[("action", "disable")],
            )
            .await;
        assert_eq!(res.status(), 403, "{name}");
    }
    assert_eq!(w.db.count(accounts).await, 3);
    // The owner may; the new account waits for its link.
    let mut o = Agent::logged_in(&w, "camille").await;
    let res = o
        .submit(
            "/admin/accounts",
            "/admin/accounts",
            &[("name", "noor"), ("role", "editor")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = o.page("/admin/accounts").await;
    assert!(page.contains("/admin/setup/") && page.contains("noor"));
    assert_eq!(w.db.count(accounts).await, 4);
    // Disabling ends the account's sessions at once.
    let mut e = Agent::logged_in(&w, "eda").await;
    let res = o
        .submit(
            "/admin/accounts",
            "/admin/accounts/eda",
            &[("action", "disable")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(e.get("/admin").await.status(), 303);
    assert_eq!(e.login("eda", PASSWORD).await.status(), 401);
    // The last owner stays one.
    let res = o
        .submit(
            "/admin/accounts",
            "/admin/accounts/camille",
            &[("action", "disable")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("last owner"));
    let entries = w
        .db
        .count("SELECT COUNT(*) FROM audit_log WHERE actor = 'camille' AND action IN ('account add', 'account disable')")
        .await;
    assert_eq!(entries, 2);
}

async fn https_cookie_is_host_prefixed_and_secure(backend: Backend) {
    let w = World::start(
        backend,
        "[server]\npublic_url = \"https://admin.localhost\"\n",
        &[],
    )
    .await;
    account(&w, "camille", "owner").await;
    let mut a = Agent::new(&w);
    a.origin = "https://admin.localhost".into();
    let res = a.login("camille", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-tribune_admin="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    // Our http origin is another origin for an https server.
    let mut b = Agent::new(&w);
    let res = b.login("camille", PASSWORD).await;
    assert_eq!(res.status(), 403);
}

async fn the_cli_writes_the_audit_log(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    w.cli.ok(&["block", "domain", "add", "spam.example"]).await;
    let out = w.cli.run(&["admin", "role", "camille", "editor"]).await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("last owner"), "{}", out.stderr);
    let out = w.cli.run(&["admin", "disable", "nobody"]).await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("no account named nobody"));
    let rows = w
        .db
        .count("SELECT COUNT(*) FROM audit_log WHERE via = 'cli' AND ((action = 'block domain' AND target = 'spam.example') OR action = 'account add')")
        .await;
    assert_eq!(rows, 2);
    // The last owner cannot lose the role.
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM admin_accounts WHERE role = 'owner'")
            .await,
        1
    );
    // The log is shown and exported.
    let mut a = Agent::logged_in(&w, "camille").await;
    let page = a.page("/admin/audit").await;
    assert!(page.contains("block domain") && page.contains("spam.example"));
    let res = a.get("/admin/audit.csv").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("id,at,actor,via,action,target,detail,address"));
    assert!(csv.contains(",cli,block domain,spam.example,"));
    assert!(csv.contains(",camille,web,login,camille,"));
}

/// An API token made by the account `name` on its tokens page.
pub async fn api_token(w: &World, name: &str) -> String {
    let mut a = Agent::logged_in(w, name).await;
    let res = a
        .submit("/admin/tokens", "/admin/tokens", &[("label", "script")])
        .await;
    assert_eq!(res.status(), 303);
    let page = a.page("/admin/tokens").await;
    let at = page.find("tribune_").expect("the new token, shown once");
    page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

async fn api_tokens_act_with_their_accounts_role(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    account(&w, "eda", "editor").await;
    account(&w, "mo", "moderator").await;
    let (eda, mo) = (api_token(&w, "eda").await, api_token(&w, "mo").await);
    let call = |method: reqwest::Method, path: &str, token: &str| {
        w.app
            .client
            .request(method, format!("{}/api/admin{path}", w.app.base))
            .header(header::AUTHORIZATION, format!("bearer {token}"))
    };
    let statement = "+++\nslug = \"appel\"\n[title]\nfr = \"Appel\"\nen = \"Call\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";
    // A moderator may not write…
    let res = call(reqwest::Method::POST, "/statements", &mo)
        .header(header::CONTENT_TYPE, "text/markdown")
        .body(statement)
        .send()
        .await
        .unwrap();
    assert_json_error(res, 403).await;
    // …an editor may (the scheme in lower case, as RFC 9110 allows).
    let res = call(reqwest::Method::POST, "/statements", &eda)
        .header(header::CONTENT_TYPE, "text/markdown")
        .body(statement)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for (method, path) in [
        (reqwest::Method::POST, "/members"),
        (reqwest::Method::POST, "/relay/reject"),
        (reqwest::Method::POST, "/statements/appel/cosigners/hide"),
    ] {
        let res = call(method, path, &eda).body("{}").send().await.unwrap();
        let error = assert_json_error(res, 403).await;
        assert!(error.contains("editor"), "{error}");
    }
    for (method, path) in [
        (reqwest::Method::PUT, "/statements/appel"),
        (reqwest::Method::POST, "/statements/appel/pin"),
        (reqwest::Method::DELETE, "/statements/appel"),
        (reqwest::Method::POST, "/statements/appel/signatories"),
    ] {
        let res = call(method, path, &mo)
            .body(statement)
            .send()
            .await
            .unwrap();
        assert_json_error(res, 403).await;
    }
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM statement_versions").await,
        1
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'eda' AND via = 'api' AND action = 'POST /api/admin/statements'")
            .await,
        1,
        "the change is in the audit log, the refusals are not"
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM audit_log WHERE via = 'api'")
            .await,
        1
    );
}

async fn an_ended_session_changes_nothing(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    let tokens = "SELECT COUNT(*) FROM admin_tokens";

    // Idle too long: the row's expiry has passed.
    let mut a = Agent::logged_in(&w, "camille").await;
    let token = csrf(&a.page("/admin/tokens").await);
    w.db.execute("UPDATE admin_sessions SET expires_at = 0")
        .await;
    let res = a
        .post("/admin/tokens", &[("csrf", &token), ("label", "late")])
        .await;
    assert_eq!(res.status(), 401);
    let text = res.text().await.unwrap();
    assert!(text.contains("Nothing was changed"), "{text}");
    assert_eq!(a.get("/admin").await.status(), 303);

    // Logged in longer ago than admin.session_max_hours, however busy since.
    let mut b = Agent::logged_in(&w, "camille").await;
    let token = csrf(&b.page("/admin/tokens").await);
    let data = w.db.text("SELECT data FROM admin_sessions").await.unwrap();
    let mut data: serde_json::Value = serde_json::from_str(&data).unwrap();
    let login_at = data["login_at"].as_i64().unwrap();
    data["login_at"] = serde_json::json!(login_at - 13 * 3_600_000);
    w.db.execute(&format!(
        "UPDATE admin_sessions SET data = '{}'",
        data.to_string().replace('\'', "''")
    ))
    .await;
    let res = b
        .post("/admin/tokens", &[("csrf", &token), ("label", "late")])
        .await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("Your session has ended"));
    assert_eq!(w.db.count(tokens).await, 0);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM admin_sessions").await,
        0,
        "the ended session's row is gone"
    );
}

async fn log_out_everywhere_ends_every_browser(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    account(&w, "camille", "owner").await;
    let mut a = Agent::logged_in(&w, "camille").await;
    let mut b = Agent::logged_in(&w, "camille").await;
    assert!(a.page("/admin").await.contains("<strong>2</strong>"));
    let res = a.submit("/admin", "/admin/logout-everywhere", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(b.get("/admin").await.status(), 303);
    assert_eq!(a.get("/admin").await.status(), 303);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM admin_sessions").await, 0);
}

on_both_backends!(
    an_ended_session_changes_nothing,
    log_out_everywhere_ends_every_browser,
    api_tokens_act_with_their_accounts_role,
    off_until_an_account_exists,
    one_time_link_login_and_logout,
    forms_need_this_sessions_token_and_our_origin,
    login_gives_a_new_session_id,
    logins_are_throttled,
    only_owners_govern_accounts,
    https_cookie_is_host_prefixed_and_secure,
    the_cli_writes_the_audit_log,
);
