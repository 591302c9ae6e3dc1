//! Typed settings: the compiled-in `config/default.toml`, then an optional file, then
//! `TRIBUNE__SECTION__KEY` environment variables. Everything is checked once, at start-up, and
//! a bad value is reported with the name of its setting.

use std::{collections::BTreeMap, fmt, net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::{Deserialize, Deserializer};
use url::Url;

use crate::domain::{LanguageTag, Username};

/// The defaults, kept in one documented file that is also the binary's first layer.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// A configuration problem, always naming the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(String),
    #[error("configuration: {setting}: {problem}")]
    Invalid { setting: String, problem: String },
}

impl ConfigError {
    fn invalid(setting: &str, problem: impl Into<String>) -> Self {
        ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: problem.into(),
        }
    }
}

/// The settings exactly as read from files and environment, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    server: RawServer,
    database: RawDatabase,
    coalition: RawCoalition,
    #[serde(default)]
    federation: RawFederation,
    inbox: InboxSettings,
    delivery: DeliverySettings,
    cosign: CosignSettings,
    relay: RelaySettings,
    metrics: MetricsSettings,
    log: LogSettings,
    admin: RawAdmin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    #[serde(deserialize_with = "lenient_string")]
    pub token: String,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    pub max_per_member_per_hour: u32,
    pub undo_on_member_removal: bool,
    pub announce_create_to_lemmy_family: bool,
}

/// Whose boosts count as co-signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CosignAccept {
    Anyone,
    Organisations,
    Members,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosignSettings {
    pub accept: CosignAccept,
    pub refresh_debounce_seconds: u64,
    pub max_per_actor_per_minute: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: SocketAddr,
    #[serde(deserialize_with = "lenient_string")]
    public_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    #[serde(deserialize_with = "lenient_string")]
    url: String,
    max_connections: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoalition {
    #[serde(deserialize_with = "lenient_string")]
    username: String,
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    languages: Vec<String>,
    #[serde(default)]
    summary: BTreeMap<String, String>,
    avatar: PathBuf,
    #[serde(deserialize_with = "lenient_string")]
    avatar_alt: String,
    header: PathBuf,
    #[serde(deserialize_with = "lenient_string")]
    header_alt: String,
    discoverable: bool,
    indexable: bool,
    manually_approves_followers: bool,
    #[serde(default)]
    fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_string")]
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFederation {
    allow_private_addresses: Option<bool>,
    #[serde(default)]
    authorized_fetch: bool,
    #[serde(default)]
    blocked_domains: Vec<String>,
    #[serde(default)]
    blocked_actors: Vec<String>,
}

/// Limits on what the inboxes take.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxSettings {
    pub max_per_host_per_minute: u32,
    pub max_per_ip_per_minute: u32,
    pub max_concurrent: usize,
}

/// The persistent delivery queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub breaker_failures: u32,
    pub breaker_open_seconds: u64,
    pub backoff_unit_ms: u64,
    pub max_attempts: u32,
    pub timeout_seconds: u64,
    pub connect_timeout_seconds: u64,
    pub lease_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    #[serde(deserialize_with = "lenient_string")]
    token: String,
}

/// Environment values are parsed TOML-like (`TRIBUNE__ADMIN__TOKEN=1234` is a number), so the
/// text settings also take numbers and booleans, as they were written.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Text(String),
        Unsigned(u64),
        Signed(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(match Lenient::deserialize(d)? {
        Lenient::Text(s) => s,
        Lenient::Unsigned(n) => n.to_string(),
        Lenient::Signed(n) => n.to_string(),
        Lenient::Float(n) => n.to_string(),
        Lenient::Bool(b) => b.to_string(),
    })
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub coalition: CoalitionSettings,
    pub federation: FederationSettings,
    pub inbox: InboxSettings,
    pub delivery: DeliverySettings,
    pub cosign: CosignSettings,
    pub relay: RelaySettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    pub admin: AdminSettings,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Scheme, host and port; no path, no trailing slash in `as_str()` joins.
    pub public_url: PublicUrl,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct CoalitionSettings {
    pub username: Username,
    pub name: String,
    pub languages: Vec<LanguageTag>,
    /// In the order of `languages`.
    pub summary: Vec<(LanguageTag, String)>,
    pub avatar: Option<PathBuf>,
    pub avatar_alt: String,
    pub header: Option<PathBuf>,
    pub header_alt: String,
    pub discoverable: bool,
    pub indexable: bool,
    pub manually_approves_followers: bool,
    pub fields: Vec<ProfileField>,
}

#[derive(Debug, Clone)]
pub struct ProfileField {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct FederationSettings {
    pub allow_private_addresses: bool,
    /// ActivityPub GETs of objects and collections must be signed.
    pub authorized_fetch: bool,
    /// Lower-cased host names (with a port where one was given).
    pub blocked_domains: Vec<String>,
    pub blocked_actors: Vec<url::Url>,
}

#[derive(Clone)]
pub struct AdminSettings {
    /// Empty when the admin API is disabled.
    token: String,
}

impl AdminSettings {
    pub fn token(&self) -> Option<&str> {
        (!self.token.is_empty()).then_some(self.token.as_str())
    }
}

impl fmt::Debug for AdminSettings {
    // The token is a secret: it never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminSettings")
            .field(
                "token",
                &if self.token.is_empty() {
                    "<unset>"
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

/// The server's public base URL: http(s), a host, maybe a port, no path, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(Url);

impl PublicUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = Url::parse(s).map_err(|e| format!("not a URL ({e}): {s:?}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("must be an http or https URL, got {s:?}"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("must name a host, got {s:?}"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "must be scheme, host and port only, without a path, query or fragment, got {s:?}"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("must not contain credentials, got {s:?}"));
        }
        Ok(PublicUrl(url))
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host as it appears in handles and WebFinger subjects: `example.org`, or
    /// `localhost:8080` when a non-default port is part of the URL.
    pub fn authority(&self) -> String {
        match (self.0.host_str(), self.0.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        }
    }

    /// `base + path`, where `path` starts with `/`.
    pub fn join(&self, path: &str) -> String {
        let base = self.0.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// True for `localhost`, names under `.localhost` and loopback addresses.
    pub fn is_local(&self) -> bool {
        match self.0.host() {
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }
}

/// Where the configuration comes from.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// The `--config FILE` layer.
    pub file: Option<PathBuf>,
    /// Read `TRIBUNE__*` environment variables (off in tests that build settings directly).
    pub environment: bool,
}

impl Settings {
    /// Load the layers and validate them.
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(file) = &sources.file {
            if !file.is_file() {
                return Err(ConfigError::Load(format!(
                    "--config {}: no such file",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        if sources.environment {
            figment = figment.merge(Env::prefixed("TRIBUNE__").split("__"));
        }
        Self::from_figment(&figment)
    }

    /// Validate settings given as a figment (tests build one from strings).
    pub fn from_figment(figment: &Figment) -> Result<Settings, ConfigError> {
        let raw: RawSettings = figment.extract().map_err(describe_figment_error)?;
        raw.validate()
    }

    /// The demo defaults, with no file and no environment.
    pub fn defaults() -> Result<Settings, ConfigError> {
        Self::load(&Sources::default())
    }
}

/// Figment names the key in its own words; put the setting first, as for our own checks.
fn describe_figment_error(err: figment::Error) -> ConfigError {
    let mut lines = Vec::new();
    for e in err {
        let setting = e.path.join(".");
        let origin = e
            .metadata
            .as_ref()
            .map(|m| match &m.source {
                Some(source) => format!(" (from {} {source})", m.name),
                None => format!(" (from {})", m.name),
            })
            .unwrap_or_default();
        let kind = e.kind.to_string();
        if setting.is_empty() {
            lines.push(format!("{kind}{origin}"));
        } else {
            lines.push(format!("{setting}: {kind}{origin}"));
        }
    }
    ConfigError::Load(lines.join("; "))
}

impl RawSettings {
    fn validate(self) -> Result<Settings, ConfigError> {
        let public_url = PublicUrl::parse(self.server.public_url.trim())
            .map_err(|p| ConfigError::invalid("server.public_url", p))?;

        let db_url = self.database.url.trim().to_owned();
        if !(db_url.starts_with("sqlite:")
            || db_url.starts_with("postgres://")
            || db_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::invalid(
                "database.url",
                format!("must start with sqlite:// or postgres://, got {db_url:?}"),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::invalid(
                "database.max_connections",
                "must be at least 1",
            ));
        }

        let c = self.coalition;
        let username = Username::parse(&c.username)
            .map_err(|p| ConfigError::invalid("coalition.username", p))?;
        let name = c.name.trim().to_owned();
        if name.is_empty() {
            return Err(ConfigError::invalid("coalition.name", "must not be empty"));
        }
        if c.languages.is_empty() {
            return Err(ConfigError::invalid(
                "coalition.languages",
                "name at least one language, the primary one first",
            ));
        }
        let mut languages: Vec<LanguageTag> = Vec::new();
        for l in &c.languages {
            let tag = LanguageTag::parse(l)
                .map_err(|p| ConfigError::invalid("coalition.languages", p))?;
            if languages.contains(&tag) {
                return Err(ConfigError::invalid(
                    "coalition.languages",
                    format!("{tag} is listed twice"),
                ));
            }
            languages.push(tag);
        }
        let mut summary = Vec::new();
        for (lang, text) in &c.summary {
            let tag = LanguageTag::parse(lang)
                .map_err(|p| ConfigError::invalid(&format!("coalition.summary.{lang}"), p))?;
            if !languages.contains(&tag) {
                return Err(ConfigError::invalid(
                    &format!("coalition.summary.{lang}"),
                    format!("{tag} is not one of coalition.languages"),
                ));
            }
            summary.push((tag, text.trim().to_owned()));
        }
        summary.sort_by_key(|(tag, _)| languages.iter().position(|l| l == tag));

        if c.fields.len() > 50 {
            return Err(ConfigError::invalid(
                "coalition.fields",
                "at most 50 fields (Mastodon reads no more)",
            ));
        }
        let mut fields = Vec::new();
        for (i, f) in c.fields.into_iter().enumerate() {
            let (name, value) = (f.name.trim().to_owned(), f.value.trim().to_owned());
            if name.is_empty() || value.is_empty() {
                return Err(ConfigError::invalid(
                    &format!("coalition.fields[{i}]"),
                    "both name and value must be given",
                ));
            }
            fields.push(ProfileField { name, value });
        }

        let path_setting = |p: PathBuf| (!p.as_os_str().is_empty()).then_some(p);

        let token = self.admin.token.trim().to_owned();
        if !token.is_empty() && token.len() < 16 {
            return Err(ConfigError::invalid(
                "admin.token",
                "must be at least 16 characters long (or empty to disable the admin API)",
            ));
        }

        let mut blocked_domains = Vec::new();
        for d in &self.federation.blocked_domains {
            let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
            if d.is_empty() || d.contains(['/', '@', ' ']) {
                return Err(ConfigError::invalid(
                    "federation.blocked_domains",
                    format!("{d:?} is not a domain name"),
                ));
            }
            blocked_domains.push(d);
        }
        let mut blocked_actors = Vec::new();
        for a in &self.federation.blocked_actors {
            let url = Url::parse(a.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| {
                    ConfigError::invalid(
                        "federation.blocked_actors",
                        format!("{a:?} is not an actor URL"),
                    )
                })?;
            blocked_actors.push(url);
        }
        let d = &self.delivery;
        for (setting, value) in [
            (
                "inbox.max_per_host_per_minute",
                u64::from(self.inbox.max_per_host_per_minute),
            ),
            (
                "inbox.max_per_ip_per_minute",
                u64::from(self.inbox.max_per_ip_per_minute),
            ),
            ("inbox.max_concurrent", self.inbox.max_concurrent as u64),
            ("delivery.concurrency", d.concurrency as u64),
            (
                "delivery.per_host_concurrency",
                d.per_host_concurrency as u64,
            ),
            ("delivery.breaker_failures", u64::from(d.breaker_failures)),
            ("delivery.breaker_open_seconds", d.breaker_open_seconds),
            ("delivery.backoff_unit_ms", d.backoff_unit_ms),
            ("delivery.max_attempts", u64::from(d.max_attempts)),
            ("delivery.timeout_seconds", d.timeout_seconds),
            (
                "delivery.connect_timeout_seconds",
                d.connect_timeout_seconds,
            ),
            ("delivery.lease_seconds", d.lease_seconds),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(setting, "must be at least 1"));
            }
        }
        if self.cosign.max_per_actor_per_minute == 0 {
            return Err(ConfigError::invalid(
                "cosign.max_per_actor_per_minute",
                "must be at least 1",
            ));
        }
        if d.lease_seconds <= d.timeout_seconds {
            return Err(ConfigError::invalid(
                "delivery.lease_seconds",
                "must be longer than delivery.timeout_seconds, or a slow delivery could be sent twice",
            ));
        }

        let allow_private_addresses = self
            .federation
            .allow_private_addresses
            .unwrap_or_else(|| public_url.is_local());

        Ok(Settings {
            server: ServerSettings {
                listen: self.server.listen,
                public_url,
            },
            database: DatabaseSettings {
                url: db_url,
                max_connections: self.database.max_connections,
            },
            coalition: CoalitionSettings {
                username,
                name,
                languages,
                summary,
                avatar: path_setting(c.avatar),
                avatar_alt: c.avatar_alt.trim().to_owned(),
                header: path_setting(c.header),
                header_alt: c.header_alt.trim().to_owned(),
                discoverable: c.discoverable,
                indexable: c.indexable,
                manually_approves_followers: c.manually_approves_followers,
                fields,
            },
            federation: FederationSettings {
                allow_private_addresses,
                authorized_fetch: self.federation.authorized_fetch,
                blocked_domains,
                blocked_actors,
            },
            inbox: self.inbox,
            delivery: self.delivery,
            cosign: self.cosign,
            relay: self.relay,
            metrics: self.metrics,
            log: self.log,
            admin: AdminSettings { token },
        })
    }
}

#[cfg(test)]
mod tests {
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
            ("[database]\nurl = \"mysql://x\"", "database.url"),
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
}
