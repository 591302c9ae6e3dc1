//! Accounts (owners only) and each account's own API tokens.

use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use serde::Deserialize;

use super::{ConsoleError, Frame, Result, Submitted, Volunteer, back, render};
use crate::{
    app::accounts::{self, AccountError},
    db::{self, read::accounts::AccountRow},
    domain::accounts::{AccountRule, Duty, Role},
    http::i18n::Ui,
    state::AppState,
};

/// An account rule in the interface language.
pub fn rule_text(ui: Ui, rule: AccountRule) -> String {
    match rule {
        AccountRule::Name => ui.say(
            "A name is 1 to 40 characters: letters, digits, '.', '_' or '-'.",
            "Un nom compte 1 à 40 caractères : lettres, chiffres, « . », « _ » ou « - ».",
        ),
        AccountRule::TooShort => ui.say(
            "A password is at least 12 characters long.",
            "Un mot de passe compte au moins 12 caractères.",
        ),
        AccountRule::TooLong => ui.say(
            "A password is at most 1024 bytes long.",
            "Un mot de passe compte au plus 1024 octets.",
        ),
        AccountRule::Mismatch => ui.say(
            "The two passwords differ.",
            "Les deux mots de passe diffèrent.",
        ),
    }
    .to_owned()
}

fn account_error(ui: Ui, e: &AccountError) -> ConsoleError {
    let text = match e {
        AccountError::Rule(rule) => rule_text(ui, *rule),
        AccountError::Taken(name) => match ui {
            Ui::En => format!("An account named {name} exists already."),
            Ui::Fr => format!("Un compte nommé {name} existe déjà."),
        },
        AccountError::Unknown(name) => match ui {
            Ui::En => format!("No account named {name}."),
            Ui::Fr => format!("Aucun compte nommé {name}."),
        },
        AccountError::LastOwner => ui
            .say(
                "The last owner cannot be disabled or lose the owner role.",
                "Le dernier compte propriétaire ne peut être désactivé ni perdre ce rôle.",
            )
            .to_owned(),
        AccountError::NoToken(_) => ui
            .say(
                "No such token of yours is in use.",
                "Aucun de vos jetons en service ne correspond.",
            )
            .to_owned(),
        AccountError::BadLink | AccountError::Internal(_) => {
            return ConsoleError::Internal(anyhow::anyhow!("{e}"));
        }
    };
    ConsoleError::Invalid(ui, text)
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    f: Frame,
    accounts: Vec<AccountRow>,
    roles: [Role; 3],
}

pub async fn page(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Govern)?;
    let accounts = db::read::accounts::list(&state.db).await?;
    let f = Frame::new(&state, &v, v.say("Accounts", "Comptes"), "/admin/accounts").await;
    Ok(render(&AccountsPage {
        f,
        accounts,
        roles: Role::ALL,
    }))
}

#[derive(Deserialize)]
pub struct NewAccount {
    name: String,
    role: String,
}

pub async fn add(State(state): State<AppState>, s: Submitted<NewAccount>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Govern)?;
    let role = Role::parse(&s.form.role).ok_or_else(|| {
        ConsoleError::Invalid(v.ui, v.say("Choose a role.", "Choisissez un rôle.").into())
    })?;
    let name = s.form.name.trim();
    let link = accounts::add(&state, name, role, &v.who())
        .await
        .map_err(|e| account_error(v.ui, &e))?;
    let text = match v.ui {
        Ui::En => format!(
            "Account {name} created. Give its holder this link, valid 24 hours, to choose a password: {link}"
        ),
        Ui::Fr => format!(
            "Compte {name} créé. Transmettez ce lien, valable 24 heures, pour choisir un mot de passe : {link}"
        ),
    };
    v.notice(&text).await?;
    Ok(back("/admin/accounts"))
}

#[derive(Deserialize)]
pub struct Change {
    /// `reset`, `disable`, `enable` or `role`.
    action: String,
    #[serde(default)]
    role: String,
}

pub async fn change(
    State(state): State<AppState>,
    Path(name): Path<String>,
    s: Submitted<Change>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Govern)?;
    let who = v.who();
    let ui = v.ui;
    let text = match s.form.action.as_str() {
        "reset" => {
            let link = accounts::reset(&state, &name, &who)
                .await
                .map_err(|e| account_error(ui, &e))?;
            match ui {
                Ui::En => format!(
                    "{name}'s password is forgotten and their sessions ended. New link, valid 24 hours: {link}"
                ),
                Ui::Fr => format!(
                    "Le mot de passe de {name} est effacé et ses sessions fermées. Nouveau lien, valable 24 heures : {link}"
                ),
            }
        }
        "disable" | "enable" => {
            let disable = s.form.action == "disable";
            accounts::set_disabled(&state, &name, disable, &who)
                .await
                .map_err(|e| account_error(ui, &e))?;
            match (ui, disable) {
                (Ui::En, true) => format!("{name} is disabled: logged out, tokens refused."),
                (Ui::En, false) => format!("{name} is enabled again."),
                (Ui::Fr, true) => format!("{name} est désactivé : déconnecté, jetons refusés."),
                (Ui::Fr, false) => format!("{name} est de nouveau actif."),
            }
        }
        "role" => {
            let role = Role::parse(&s.form.role).ok_or_else(|| {
                ConsoleError::Invalid(ui, ui.say("Choose a role.", "Choisissez un rôle.").into())
            })?;
            accounts::set_role(&state, &name, role, &who)
                .await
                .map_err(|e| account_error(ui, &e))?;
            match ui {
                Ui::En => format!("{name} is now {role}."),
                Ui::Fr => format!("{name} a maintenant le rôle {role}."),
            }
        }
        _ => {
            return Err(ConsoleError::Invalid(
                ui,
                ui.say("Unknown action.", "Action inconnue.").into(),
            ));
        }
    };
    v.notice(&text).await?;
    Ok(back("/admin/accounts"))
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    f: Frame,
    tokens: Vec<db::read::accounts::TokenRow>,
}

pub async fn tokens(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    let tokens = db::read::accounts::tokens_of(&state.db, &v.account.name).await?;
    let f = Frame::new(
        &state,
        &v,
        v.say("API tokens", "Jetons d'API"),
        "/admin/tokens",
    )
    .await;
    Ok(render(&TokensPage { f, tokens }))
}

#[derive(Deserialize)]
pub struct NewToken {
    label: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    s: Submitted<NewToken>,
) -> Result<Response> {
    let v = &s.who;
    let label = s.form.label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(ConsoleError::Invalid(
            v.ui,
            v.say(
                "A label is 1 to 80 characters.",
                "Un libellé compte 1 à 80 caractères.",
            )
            .into(),
        ));
    }
    let secret = accounts::create_token(&state, &v.who(), label)
        .await
        .map_err(|e| account_error(v.ui, &e))?;
    let text = match v.ui {
        Ui::En => format!("Token “{label}” created. Copy it now, it is not shown again: {secret}"),
        Ui::Fr => format!(
            "Jeton « {label} » créé. Copiez-le maintenant, il ne sera plus affiché : {secret}"
        ),
    };
    v.notice(&text).await?;
    Ok(back("/admin/tokens"))
}

#[derive(Deserialize)]
pub struct Revoke {
    token: String,
}

pub async fn revoke_token(State(state): State<AppState>, s: Submitted<Revoke>) -> Result<Response> {
    let v = &s.who;
    accounts::revoke_token(&state, &v.who(), &s.form.token)
        .await
        .map_err(|e| account_error(v.ui, &e))?;
    v.notice(v.say("Token revoked.", "Jeton révoqué.")).await?;
    Ok(back("/admin/tokens"))
}
