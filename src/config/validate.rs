//! Validation: the raw settings become typed ones, or an error naming the setting.

use super::*;

impl RawSettings {
    pub(super) fn validate(self) -> Result<Settings, ConfigError> {
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

        for (name, value) in [
            (
                "admin.session_idle_minutes",
                self.admin.session_idle_minutes,
            ),
            ("admin.session_max_hours", self.admin.session_max_hours),
            (
                "admin.login_attempts_per_minute",
                self.admin.login_attempts_per_minute,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(name, "must be at least 1"));
            }
        }

        let metrics_token = self.metrics.token.trim();
        if !metrics_token.is_empty() && metrics_token.len() < 16 {
            return Err(ConfigError::invalid(
                "metrics.token",
                "must be at least 16 characters long (or empty to serve /metrics without one)",
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
            (
                "server.header_timeout_seconds",
                self.server.header_timeout_seconds,
            ),
            (
                "server.max_connections_per_address",
                self.server.max_connections_per_address as u64,
            ),
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
            (
                "retention.received_activities_days",
                u64::from(self.retention.received_activities_days),
            ),
            (
                "retention.finished_deliveries_days",
                u64::from(self.retention.finished_deliveries_days),
            ),
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
        let max_text = self.statements.max_bytes_per_language;
        if !(StatementSettings::MIN_BYTES_PER_LANGUAGE..=StatementSettings::MAX_BYTES_PER_LANGUAGE)
            .contains(&max_text)
        {
            return Err(ConfigError::invalid(
                "statements.max_bytes_per_language",
                format!(
                    "must be between {} and {} bytes, got {max_text}",
                    StatementSettings::MIN_BYTES_PER_LANGUAGE,
                    StatementSettings::MAX_BYTES_PER_LANGUAGE
                ),
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
                header_timeout_seconds: self.server.header_timeout_seconds,
                max_connections_per_address: self.server.max_connections_per_address,
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
            statements: self.statements,
            relay: self.relay,
            retention: self.retention,
            metrics: self.metrics,
            log: self.log,
            admin: AdminSettings {
                token,
                session_idle_minutes: self.admin.session_idle_minutes,
                session_max_hours: self.admin.session_max_hours,
                login_attempts_per_minute: self.admin.login_attempts_per_minute,
            },
        })
    }
}
