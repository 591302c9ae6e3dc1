//! The binary as an operator runs it: layered configuration, environment overrides, and
//! start-up refusing bad values with the setting's name.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::Value;

use crate::helpers::{WAIT, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_tribune");

/// A command with no TRIBUNE__ variable inherited from the caller, run in `dir`.
pub fn tribune(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBUNE__") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir).env("RUST_LOG", "info");
    cmd
}

fn refuses(cmd: &mut Command, setting: &str) {
    let out = cmd.output().expect("run tribune");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(78),
        "exit code for a bad setting; stderr: {stderr}"
    );
    assert!(
        stderr.contains(setting),
        "stderr should name {setting}: {stderr}"
    );
}

#[test]
fn bad_settings_stop_start_up_and_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    refuses(
        tribune(dir.path())
            .arg("serve")
            .env("TRIBUNE__SERVER__LISTEN", "not-an-address"),
        "server.listen",
    );
    refuses(
        tribune(dir.path())
            .arg("serve")
            .env("TRIBUNE__COALITION__USERNAME", "écologie"),
        "coalition.username",
    );
    refuses(
        tribune(dir.path()).arg("serve").env(
            "TRIBUNE__SERVER__PUBLIC_URL",
            "https://example.org/coalition",
        ),
        "server.public_url",
    );
    refuses(
        tribune(dir.path())
            .arg("serve")
            .env("TRIBUNE__FEDERATION__ALLOW_PRIVATE_ADDRESSES", "perhaps"),
        "federation.allow_private_addresses",
    );
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[coalition]\navatar = \"missing.png\"\n").unwrap();
    refuses(
        tribune(dir.path()).arg("--config").arg(&file).arg("serve"),
        "coalition.avatar",
    );
    refuses(
        tribune(dir.path()).args(["--config", "nowhere.toml", "serve"]),
        "nowhere.toml",
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created when the settings are bad"
    );
}

/// A child process killed when dropped, so that a failing test leaves nothing running.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `tribune serve` and wait for its "serving" line; returns the child and the port.
pub fn serve(cmd: &mut Command) -> (Running, u16) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tribune");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listen=127.0.0.1:").nth(1) {
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let _ = tx.send(port.parse::<u16>().unwrap());
            }
        }
    });
    let child = Running(child);
    let port = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tribune starts serving");
    (child, port)
}

#[tokio::test]
async fn file_then_environment_layers_apply() {
    tribune::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("coalition.toml");
    std::fs::write(
        &file,
        "[coalition]\nusername = \"from-file\"\nname = \"Name from the file\"\n",
    )
    .unwrap();
    let (mut child, port) = serve(
        tribune(dir.path())
            .arg("--config")
            .arg(&file)
            .arg("serve")
            .env("TRIBUNE__SERVER__LISTEN", "127.0.0.1:0")
            .env("TRIBUNE__SERVER__PUBLIC_URL", "http://localhost:4321")
            .env("TRIBUNE__DATABASE__URL", "sqlite://state/tribune.db")
            .env("TRIBUNE__COALITION__USERNAME", "hiatus")
            // Numeric-looking secrets are read as text.
            .env("TRIBUNE__ADMIN__TOKEN", "1234567890123456789")
            .env("TRIBUNE__FEDERATION__ALLOW_PRIVATE_ADDRESSES", "false"),
    );
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let res = client
        .get(format!(
            "{base}/.well-known/webfinger?resource=acct:hiatus@localhost:4321"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the environment overrides the file's username"
    );
    let jrd: Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], "acct:hiatus@localhost:4321");
    let actor: Value = client
        .get(format!("{base}/ap/hiatus"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        actor["name"], "Name from the file",
        "the file overrides the defaults"
    );
    assert_eq!(actor["id"], "http://localhost:4321/ap/hiatus");
    assert!(
        dir.path().join("state/tribune.db").is_file(),
        "the database URL is honoured"
    );

    // SIGTERM stops it cleanly.
    let pid = child.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut exited = None;
    eventually("tribune stops on SIGTERM", WAIT, async || {
        exited = child.0.try_wait().unwrap();
        exited.is_some()
    })
    .await;
    let status = exited.unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[test]
fn logs_can_be_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tribune(dir.path())
        .arg("serve")
        .env("TRIBUNE__SERVER__LISTEN", "127.0.0.1:0")
        .env("TRIBUNE__LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("tribune is serving") {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a serving line");
    let v: Value = serde_json::from_str(&line).expect("one JSON object a line");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["fields"]["message"], "tribune is serving");
    assert!(
        v["fields"]["listen"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    drop(child);
}
