//! Settings: layers, defaults and every refusal.

use super::*;

fn with(toml: &str) -> Result<Settings, ConfigError> {
    Settings::from_figment(&Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(toml)))
}

#[test]
fn defaults_are_valid_and_demo_friendly() {
    let s = Settings::defaults().unwrap();
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.server.public_url.url().as_str(), "http://localhost:8080/");
    assert_eq!(s.server.public_url.authority(), "localhost:8080");
    assert_eq!(s.database.url, "sqlite://data/tribune.db");
    assert_eq!(s.coalition.username.as_str(), "coalition");
    assert!(
        s.federation.allow_private_addresses,
        "localhost demo federates locally"
    );
    assert!(s.admin.token().is_none());
    assert_eq!(s.coalition.summary[0].0.as_str(), "fr");
    assert_eq!(s.statements.max_bytes_per_language, 100 * 1024);
}

#[test]
fn private_addresses_default_off_for_a_public_host() {
    let s = with("[server]\npublic_url = \"https://example.org\"").unwrap();
    assert!(!s.federation.allow_private_addresses);
    assert_eq!(s.server.public_url.authority(), "example.org");
    assert_eq!(
        s.server.public_url.join("/ap/x"),
        "https://example.org/ap/x"
    );
    let s = with(
        "[server]\npublic_url = \"https://example.org\"\n[federation]\nallow_private_addresses = true",
    )
    .unwrap();
    assert!(s.federation.allow_private_addresses);
}

#[test]
fn bad_values_name_their_setting() {
    for (toml, setting) in [
        (
            "[server]\npublic_url = \"https://example.org/sub\"",
            "server.public_url",
        ),
        (
            "[server]\npublic_url = \"ftp://example.org\"",
            "server.public_url",
        ),
        ("[server]\nlisten = \"nowhere\"", "server.listen"),
        ("[coalition]\nusername = \"écologie\"", "coalition.username"),
        ("[coalition]\nlanguages = []", "coalition.languages"),
        ("[coalition.summary]\nde = \"x\"", "coalition.summary.de"),
        ("[admin]\ntoken = \"short\"", "admin.token"),
        ("[metrics]\ntoken = \"short\"", "metrics.token"),
        (
            "[retention]\nreceived_activities_days = 0",
            "retention.received_activities_days",
        ),
        ("[database]\nurl = \"mysql://x\"", "database.url"),
        (
            "[statements]\nmax_bytes_per_language = 100",
            "statements.max_bytes_per_language",
        ),
        (
            "[statements]\nmax_bytes_per_language = 5000000",
            "statements.max_bytes_per_language",
        ),
        (
            "[statements]\nmax_bytes_per_language = \"big\"",
            "statements.max_bytes_per_language",
        ),
        (
            "[federation]\nallow_private_addresses = \"maybe\"",
            "federation.allow_private_addresses",
        ),
        ("[server]\nlisen = \"127.0.0.1:1\"", "lisen"),
    ] {
        let err = with(toml).unwrap_err().to_string();
        assert!(err.contains(setting), "{toml:?} gave {err:?}");
    }
}

#[test]
fn admin_token_is_never_printed() {
    let s = with("[admin]\ntoken = \"0123456789abcdefXYZ\"").unwrap();
    assert!(!format!("{s:?}").contains("0123456789abcdef"));
    assert_eq!(s.admin.token(), Some("0123456789abcdefXYZ"));
}

#[test]
fn a_database_password_is_never_shown() {
    let db = |url: &str| DatabaseSettings {
        url: url.into(),
        max_connections: 1,
    };
    assert_eq!(
        db("postgres://tribune:s3cret@db.example:5432/tribune").shown(),
        "postgres://tribune:***@db.example:5432/tribune"
    );
    assert_eq!(
        db("sqlite://data/tribune.db").shown(),
        "sqlite://data/tribune.db"
    );
}
