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
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// A configuration problem, always naming the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(String),
    #[error("configuration: {setting}: {problem}")]
    Invalid { setting: String, problem: String },
    /// `server.listen` names an address this process cannot listen on.
    #[error("configuration: server.listen: cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl ConfigError {
    fn invalid(setting: &str, problem: impl Into<String>) -> Self {
        ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: problem.into(),
        }
    }
}

mod raw;
mod validate;

use raw::*;
pub use raw::{
    CosignAccept, CosignSettings, DeliverySettings, InboxSettings, LogFormat, LogSettings,
    MetricsSettings, RelaySettings, RetentionSettings, StatementSettings,
};

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
    pub statements: StatementSettings,
    pub relay: RelaySettings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    pub admin: AdminSettings,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Scheme, host and port; no path, no trailing slash in `as_str()` joins.
    pub public_url: PublicUrl,
    pub header_timeout_seconds: u64,
    pub max_connections_per_address: usize,
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
    /// The web admin logs a browser out after this long without a request…
    pub session_idle_minutes: u32,
    /// …and in any case this long after its login.
    pub session_max_hours: u32,
    /// Login attempts one client address may make per minute.
    pub login_attempts_per_minute: u32,
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

impl Sources {
    /// Settings the `--config` file gives that an environment variable overrides, as
    /// `(setting, variable)`: the environment wins (README, Configuration), and a command
    /// says so rather than act on another database without a word.
    pub fn overridden(&self) -> Vec<(String, String)> {
        let Some(table) = self
            .file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|text| text.parse::<toml::Table>().ok())
        else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        flatten("", &table, &mut keys);
        let vars: Vec<String> = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("TRIBUNE__"))
            .collect();
        keys.into_iter()
            .filter_map(|key| {
                let wanted = format!("TRIBUNE__{}", key.replace('.', "__"));
                vars.iter()
                    .find(|v| v.eq_ignore_ascii_case(&wanted))
                    .map(|v| (key, v.clone()))
            })
            .collect()
    }
}

/// A TOML table's settings as `section.key` names.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (k, v) in table {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) => flatten(&name, inner, out),
            _ => out.push(name),
        }
    }
}

impl DatabaseSettings {
    /// The URL as messages show it: without its password.
    pub fn shown(&self) -> String {
        match Url::parse(&self.url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.url.clone(),
        }
    }
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

#[cfg(test)]
mod tests;
