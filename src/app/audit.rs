//! The audit log (docs/admin.md): who did what, when, through which door (web, API, CLI)
//! and from which address. Written by the use cases' callers after each change succeeded.

use chrono::Utc;

use crate::{db, state::AppState};

/// Who acts, through what, from where.
#[derive(Debug, Clone)]
pub struct Who {
    /// An account's name, or for the CLI the operating-system user.
    pub actor: String,
    pub via: Via,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Web,
    Api,
    Cli,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
            Via::Cli => "cli",
        }
    }
}

impl Who {
    pub fn web(account: &str, address: Option<&str>) -> Who {
        Who {
            actor: account.to_owned(),
            via: Via::Web,
            address: address.map(str::to_owned),
        }
    }

    pub fn api(account: &str, address: Option<&str>) -> Who {
        Who {
            actor: account.to_owned(),
            via: Via::Api,
            address: address.map(str::to_owned),
        }
    }

    /// The CLI acts as the operating-system user running it.
    pub fn cli() -> Who {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Who {
            actor: user,
            via: Via::Cli,
            address: None,
        }
    }
}

/// Add an entry.
pub async fn record(
    state: &AppState,
    who: &Who,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
) -> Result<(), db::DbError> {
    let entry = db::audit::NewEntry {
        actor: &who.actor,
        via: who.via.as_str(),
        action,
        target,
        detail,
        address: who.address.as_deref(),
    };
    db::audit::insert(&state.db, &entry, Utc::now()).await
}
