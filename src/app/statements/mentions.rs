//! The actors a statement mentions, resolved before it is published: each one's id, name
//! and page for the Note's `tag`, and the inbox that delivers it to them.

use serde_json::Value;

use super::StatementError;
use crate::{
    domain::statement::{InputError, Mentioned, StatementDraft},
    state::AppState,
};

/// A mentioned actor, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub mentioned: Mentioned,
    /// Where the statement is delivered to reach it.
    pub inbox: url::Url,
}

/// Resolve the draft's mentions (WebFinger for handles); an unknown one is an input error
/// naming it.
pub async fn resolve_mentions(
    data: &activitypub_federation::config::Data<AppState>,
    draft: &StatementDraft,
) -> Result<Vec<Resolved>, StatementError> {
    let mut out = Vec::new();
    for (i, m) in draft.mentions.iter().enumerate() {
        let actor = crate::app::following::resolve(data, m)
            .await
            .map_err(|e| InputError {
                field: format!("mentions[{i}]"),
                problem: e.to_string(),
            })?;
        let doc = actor
            .document()
            .map_err(|e| StatementError::Internal(e.into()))?;
        let url = doc
            .raw
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or(actor.id.as_str())
            .to_owned();
        let name = match &actor.row.preferred_username {
            Some(u) => format!("@{u}@{}", actor.row.host),
            None => m.clone(),
        };
        let inbox = actor
            .row
            .shared_inbox
            .as_deref()
            .unwrap_or(&actor.row.inbox);
        out.push(Resolved {
            mentioned: Mentioned {
                id: actor.id.to_string(),
                name,
                url,
            },
            inbox: url::Url::parse(inbox).map_err(|e| StatementError::Internal(e.into()))?,
        });
    }
    Ok(out)
}
