//! The settings exactly as read, section by section, before validation.

use super::*;

/// The settings exactly as read from files and environment, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) server: RawServer,
    pub(super) database: RawDatabase,
    pub(super) coalition: RawCoalition,
    #[serde(default)]
    pub(super) federation: RawFederation,
    pub(super) inbox: InboxSettings,
    pub(super) delivery: DeliverySettings,
    pub(super) cosign: CosignSettings,
    pub(super) statements: StatementSettings,
    pub(super) relay: RelaySettings,
    pub(super) retention: RetentionSettings,
    pub(super) metrics: MetricsSettings,
    pub(super) log: LogSettings,
    pub(super) admin: RawAdmin,
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

/// How long what is no longer needed is kept.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub received_activities_days: u32,
    pub finished_deliveries_days: u32,
}

/// What a statement may hold.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementSettings {
    /// Bytes of one language's title and text, as written in the statement file.
    pub max_bytes_per_language: usize,
}

impl StatementSettings {
    /// Below this, a paragraph and its title would not fit.
    pub const MIN_BYTES_PER_LANGUAGE: usize = 1024;
    /// The admin API reads a whole statement in one request body, sized from this setting.
    pub const MAX_BYTES_PER_LANGUAGE: usize = 4 * 1024 * 1024;
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
pub(super) struct RawServer {
    pub(super) listen: SocketAddr,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) public_url: String,
    pub(super) header_timeout_seconds: u64,
    pub(super) max_connections_per_address: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) url: String,
    pub(super) max_connections: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCoalition {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) username: String,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) name: String,
    pub(super) languages: Vec<String>,
    #[serde(default)]
    pub(super) summary: BTreeMap<String, String>,
    pub(super) avatar: PathBuf,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) avatar_alt: String,
    pub(super) header: PathBuf,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) header_alt: String,
    pub(super) discoverable: bool,
    pub(super) indexable: bool,
    pub(super) manually_approves_followers: bool,
    #[serde(default)]
    pub(super) fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFederation {
    pub(super) allow_private_addresses: Option<bool>,
    #[serde(default)]
    pub(super) authorized_fetch: bool,
    #[serde(default)]
    pub(super) blocked_domains: Vec<String>,
    #[serde(default)]
    pub(super) blocked_actors: Vec<String>,
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
pub(super) struct RawAdmin {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) token: String,
    pub(super) session_idle_minutes: u32,
    pub(super) session_max_hours: u32,
    pub(super) login_attempts_per_minute: u32,
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
