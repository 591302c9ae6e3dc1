//! A headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`,
//! installed by .ci/run): for the tests that must act as a visitor does (type, submit, follow
//! redirects), which a DOM dump cannot.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver process and one browser session on it; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn installed(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is not installed",
        path.display()
    );
    eprintln!("skipped: {} is not installed", path.display());
    None
}

impl Browser {
    /// Start chromedriver and a headless Chromium `width` pixels wide; `None` (the test
    /// skips) when they are not installed, outside CI.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let chromium = installed("CHROMIUM", "/usr/bin/chromium")?;
        let chromedriver = installed("CHROMEDRIVER", "/usr/bin/chromedriver")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let mut caps = serde_json::Map::new();
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        // A window narrower than Chromium's minimum (500 px) needs a phone's metrics.
        if width < 500 {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}
            });
        }
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last:?}");
    }

    /// Load `url` and wait until the document is loaded.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("load a page");
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// Type `text` into the field `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no field {css}: {e}"));
        field.clear().await.expect("clear a field");
        field.send_keys(text).await.expect("type into a field");
    }

    /// Choose the file at `path` in the file field `css`, as a volunteer picking it does.
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no file field {css}: {e}"))
            .send_keys(&path.display().to_string())
            .await
            .expect("choose a file");
    }

    /// Click the element `css` (a submit button, a link).
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Run `script` in the page and return its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("run a script in the page")
    }

    /// Wait until the page holds an element `css` (after a form's answer, which a click does
    /// not wait for: the browser submits it after the click returns).
    pub async fn wait_for(&self, css: &str) {
        let script = format!("return document.querySelector({css:?}) !== null;");
        for _ in 0..100 {
            if self.eval(&script).await == serde_json::Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never held {css}");
    }

    /// Wait until the browser's URL satisfies `ok`, and return it.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let mut url = String::new();
        for _ in 0..100 {
            url = self.url().await;
            if ok(&url) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never reached {what}; it is at {url}");
    }

    /// Save a PNG of the viewport under the temp directory's `tribune-screenshots`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = std::env::temp_dir().join("tribune-screenshots");
        std::fs::create_dir_all(&dir).expect("a screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write a screenshot");
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
