//! Co-signers of a statement in the web admin (docs/admin.md): hide a co-signature with a
//! reason or lift it (`app::moderation`); they are listed with the signatories.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    ConsoleError, Refusal, Result, Submitted, back,
    signatories::{here, statement},
};
use crate::{
    app::{audit, cosign::CosignError, moderation},
    domain::accounts::Duty,
    http::i18n::Ui,
    state::AppState,
};

#[derive(Deserialize)]
pub struct Moderation {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    reason: String,
}

/// Hide an actor's co-signature with a reason, or (`unhide`) lift it.
pub async fn moderate(
    State(state): State<AppState>,
    Path((raw, action)): Path<(String, String)>,
    s: Submitted<Moderation>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let ui = v.ui;
    let row = match statement(&state, ui, &raw).await? {
        Ok(row) => row,
        Err(refused) => return Ok(refused),
    };
    let actor = s.form.actor.trim();
    let reason = s.form.reason.trim();
    let none = || {
        let text = match ui {
            Ui::En => format!("{actor} has no such co-signature here. Nothing was changed."),
            Ui::Fr => format!("{actor} n'a pas une telle co-signature ici. Rien n'a été modifié."),
        };
        Refusal::new(StatusCode::NOT_FOUND, ui, &text).into_response()
    };
    let text = match action.as_str() {
        "hide" => {
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(ConsoleError::Invalid(
                    ui,
                    ui.say(
                        "Say why, in 1 to 500 characters.",
                        "Dites pourquoi, en 1 à 500 caractères.",
                    )
                    .into(),
                ));
            }
            let hidden = moderation::hide(&state, &row.slug, actor, reason)
                .await
                .map_err(|e| ConsoleError::Internal(anyhow::anyhow!("{e}")))?;
            if hidden.is_empty() {
                return Ok(none());
            }
            audit::record(
                &state,
                &v.who(),
                "cosigner hide",
                Some(&row.slug),
                Some(actor),
            )
            .await?;
            ui.say(
                "The co-signature is hidden.",
                "La co-signature est masquée.",
            )
        }
        "unhide" => {
            match moderation::unhide(&state, &row.slug, actor).await {
                Ok(_) => {}
                Err(CosignError::NotHidden) => return Ok(none()),
                Err(e) => return Err(ConsoleError::Internal(anyhow::anyhow!("{e}"))),
            }
            audit::record(
                &state,
                &v.who(),
                "cosigner unhide",
                Some(&row.slug),
                Some(actor),
            )
            .await?;
            ui.say(
                "The co-signature is shown again.",
                "La co-signature est de nouveau affichée.",
            )
        }
        _ => {
            let text = ui.say("Unknown action.", "Action inconnue.");
            return Ok(Refusal::new(StatusCode::NOT_FOUND, ui, text).into_response());
        }
    };
    v.notice(text).await?;
    Ok(back(&here(&row.slug)))
}
