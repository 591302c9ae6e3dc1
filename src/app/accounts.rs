//! The web admin's accounts (docs/admin.md): made by the CLI with a one-time link, a
//! password hashed with Argon2id, a login throttled per account, API tokens of their own.
//! Every change is written to the audit log (`audit::record`).

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use chrono::Utc;
use rand::RngCore;

use super::audit::{self, Who};
use crate::{
    db::{self, accounts::AccountRow},
    domain::accounts::{AccountRule, Role, check_name, check_password},
    state::AppState,
    util::{now_ms, token_hash},
};

/// A one-time link stays valid this long.
pub const SETUP_HOURS: i64 = 24;
/// Failed logins in a row before an account is locked, and for how long.
pub const LOCK_AFTER: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Rule(#[from] AccountRule),
    #[error("an account named {0} exists already")]
    Taken(String),
    #[error("no account named {0}")]
    Unknown(String),
    #[error("the last owner cannot be disabled or lose the owner role")]
    LastOwner,
    #[error("this link is not valid (used, expired or unknown): ask an owner for a new one")]
    BadLink,
    #[error("no API token {0} of yours is in use")]
    NoToken(String),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for AccountError {
    fn from(e: db::DbError) -> Self {
        AccountError::Internal(e.into())
    }
}

/// Why a login was refused. The message never says whether the account exists.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong name or password")]
    Wrong,
    #[error("too many failed attempts: this account is locked for {0} more minute(s)")]
    Locked(i64),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for LoginError {
    fn from(e: db::DbError) -> Self {
        LoginError::Internal(e.into())
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub role: Role,
}

/// 32 random bytes as hex: one-time links, API tokens, the sessions' CSRF tokens.
pub fn secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(s: &str) -> String {
    token_hash(s).iter().map(|b| format!("{b:02x}")).collect()
}

/// The link that lets the account's holder choose a password.
fn setup_link(state: &AppState, secret: &str) -> String {
    format!(
        "{}/admin/setup/{secret}",
        state
            .settings
            .server
            .public_url
            .url()
            .as_str()
            .trim_end_matches('/')
    )
}

fn new_setup() -> (String, String, i64) {
    let s = secret();
    let sha = sha256_hex(&s);
    (s, sha, now_ms() + SETUP_HOURS * 3_600_000)
}

/// Create an account; returns its one-time link.
pub async fn add(
    state: &AppState,
    name: &str,
    role: Role,
    who: &Who,
) -> Result<String, AccountError> {
    let name = check_name(name)?;
    let (secret, sha, expires) = new_setup();
    if !db::accounts::insert(
        &state.db,
        name,
        role.as_str(),
        (&sha, expires),
        &who.actor,
        Utc::now(),
    )
    .await?
    {
        return Err(AccountError::Taken(name.to_owned()));
    }
    audit::record(state, who, "account add", Some(name), Some(role.as_str())).await?;
    Ok(setup_link(state, &secret))
}

/// Forget the password, end the sessions, and make a new one-time link.
pub async fn reset(state: &AppState, name: &str, who: &Who) -> Result<String, AccountError> {
    let (secret, sha, expires) = new_setup();
    if !db::accounts::reset(&state.db, name, (&sha, expires)).await? {
        return Err(AccountError::Unknown(name.to_owned()));
    }
    audit::record(state, who, "account reset", Some(name), None).await?;
    Ok(setup_link(state, &secret))
}

async fn owners_left_without(state: &AppState, name: &str) -> Result<usize, AccountError> {
    Ok(db::accounts::list(&state.db)
        .await?
        .iter()
        .filter(|a| a.name != name && a.disabled_at.is_none() && a.role == "owner")
        .count())
}

async fn known(state: &AppState, name: &str) -> Result<AccountRow, AccountError> {
    db::accounts::get(&state.db, name)
        .await?
        .ok_or_else(|| AccountError::Unknown(name.to_owned()))
}

/// Disable (its sessions and tokens stop working) or enable an account.
pub async fn set_disabled(
    state: &AppState,
    name: &str,
    disabled: bool,
    who: &Who,
) -> Result<(), AccountError> {
    let account = known(state, name).await?;
    if disabled && account.role == "owner" && owners_left_without(state, name).await? == 0 {
        return Err(AccountError::LastOwner);
    }
    db::accounts::set_disabled(&state.db, name, disabled.then(Utc::now)).await?;
    let action = if disabled {
        "account disable"
    } else {
        "account enable"
    };
    audit::record(state, who, action, Some(name), None).await?;
    Ok(())
}

pub async fn set_role(
    state: &AppState,
    name: &str,
    role: Role,
    who: &Who,
) -> Result<(), AccountError> {
    let account = known(state, name).await?;
    if role != Role::Owner
        && account.role == "owner"
        && owners_left_without(state, name).await? == 0
    {
        return Err(AccountError::LastOwner);
    }
    db::accounts::set_role(&state.db, name, role.as_str()).await?;
    audit::record(state, who, "account role", Some(name), Some(role.as_str())).await?;
    Ok(())
}

async fn hash(password: String) -> Result<String, anyhow::Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

/// Argon2id check off the async threads. A missing hash is checked against a fixed one, so
/// that an unknown name takes as long as a wrong password.
async fn verify(password: String, stored: Option<String>) -> Result<bool, anyhow::Error> {
    tokio::task::spawn_blocking(move || {
        let stored = match stored {
            Some(s) => s,
            None => dummy_hash()?,
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// The hash of a password nobody has, with the default parameters, made once.
fn dummy_hash() -> Result<String, anyhow::Error> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h.clone());
    }
    let salt = SaltString::generate(&mut OsRng);
    let h = Argon2::default()
        .hash_password(secret().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string();
    Ok(DUMMY.get_or_init(|| h).clone())
}

/// Set a password directly (the CLI's `--password-stdin`), spending any one-time link.
pub async fn set_password(
    state: &AppState,
    name: &str,
    password: &str,
    again: &str,
    who: &Who,
) -> Result<(), AccountError> {
    check_password(password, again)?;
    known(state, name).await?;
    let h = hash(password.to_owned()).await?;
    db::accounts::set_password(&state.db, name, &h).await?;
    db::accounts::end_sessions(&state.db, name).await?;
    audit::record(state, who, "account password", Some(name), None).await?;
    Ok(())
}

/// The account a one-time link opens (to show its name on the form), if the link is valid.
pub async fn link_holder(state: &AppState, secret: &str) -> Result<Account, AccountError> {
    let row = db::accounts::by_setup(&state.db, &sha256_hex(secret), now_ms())
        .await?
        .ok_or(AccountError::BadLink)?;
    account(&row).ok_or(AccountError::BadLink)
}

/// Choose a password through a one-time link; the account is then logged in.
pub async fn complete_setup(
    state: &AppState,
    secret: &str,
    password: &str,
    again: &str,
    address: Option<&str>,
) -> Result<Account, AccountError> {
    let holder = link_holder(state, secret).await?;
    check_password(password, again)?;
    let h = hash(password.to_owned()).await?;
    db::accounts::set_password(&state.db, &holder.name, &h).await?;
    db::accounts::logged_in(&state.db, &holder.name, Utc::now()).await?;
    let who = Who::web(&holder.name, address);
    audit::record(
        state,
        &who,
        "account password",
        Some(&holder.name),
        Some("one-time link"),
    )
    .await?;
    Ok(holder)
}

fn account(row: &AccountRow) -> Option<Account> {
    Some(Account {
        name: row.name.clone(),
        role: Role::parse(&row.role)?,
    })
}

/// The account, while it exists and is enabled (checked on every admin request).
pub async fn active(state: &AppState, name: &str) -> Result<Option<Account>, AccountError> {
    Ok(db::accounts::get(&state.db, name)
        .await?
        .filter(|a| a.disabled_at.is_none() && a.password_hash.is_some())
        .as_ref()
        .and_then(account))
}

/// Check a name and password. Locked accounts are refused before the password is looked
/// at; each failure counts towards the lock.
pub async fn login(
    state: &AppState,
    name: &str,
    password: &str,
    address: Option<&str>,
) -> Result<Account, LoginError> {
    let now = now_ms();
    let row = db::accounts::get(&state.db, name).await?;
    if let Some(until) = row
        .as_ref()
        .and_then(|r| r.locked_until)
        .filter(|t| *t > now)
    {
        return Err(LoginError::Locked(
            (until - now + 59_999).div_euclid(60_000),
        ));
    }
    let usable = row.as_ref().filter(|r| r.disabled_at.is_none());
    let stored = usable.and_then(|r| r.password_hash.clone());
    let has_hash = stored.is_some();
    let good = verify(password.chars().take(4096).collect(), stored).await? && has_hash;
    let Some(account) = usable.filter(|_| good).and_then(account) else {
        if row.is_some() {
            let lock = LOCK_MINUTES * 60_000;
            if let Some(until) =
                db::accounts::failed_login(&state.db, name, LOCK_AFTER, lock, now).await?
            {
                audit::record(
                    state,
                    &Who::web(name, address),
                    "login locked",
                    Some(name),
                    None,
                )
                .await?;
                return Err(LoginError::Locked(
                    (until - now + 59_999).div_euclid(60_000),
                ));
            }
        }
        return Err(LoginError::Wrong);
    };
    db::accounts::logged_in(&state.db, name, Utc::now()).await?;
    audit::record(state, &Who::web(name, address), "login", Some(name), None).await?;
    Ok(account)
}

/// End every session of the account (every browser it is logged in on).
pub async fn logout_everywhere(state: &AppState, who: &Who) -> Result<u64, AccountError> {
    let n = db::accounts::end_sessions(&state.db, &who.actor).await?;
    let detail = format!("{n} session(s)");
    audit::record(
        state,
        who,
        "logout everywhere",
        Some(&who.actor),
        Some(&detail),
    )
    .await?;
    Ok(n)
}

/// End every session of a named account (an owner's or the CLI's doing).
pub async fn end_sessions_of(state: &AppState, name: &str, who: &Who) -> Result<u64, AccountError> {
    known(state, name).await?;
    let n = db::accounts::end_sessions(&state.db, name).await?;
    let detail = format!("{n} session(s)");
    audit::record(state, who, "logout everywhere", Some(name), Some(&detail)).await?;
    Ok(n)
}

/// A new API token for the account's scripts; the secret is shown once.
pub async fn create_token(
    state: &AppState,
    who: &Who,
    label: &str,
) -> Result<String, AccountError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(AccountError::NoToken("label: 1 to 80 characters".into()));
    }
    let secret = format!("tribune_{}", secret());
    db::api_tokens::insert(
        &state.db,
        &sha256_hex(&secret),
        &who.actor,
        label,
        Utc::now(),
    )
    .await?;
    audit::record(state, who, "token create", Some(label), None).await?;
    Ok(secret)
}

/// Revoke one of the account's own tokens, named by the start of its hash.
pub async fn revoke_token(state: &AppState, who: &Who, sha256: &str) -> Result<(), AccountError> {
    if !db::api_tokens::revoke(&state.db, &who.actor, sha256, Utc::now()).await? {
        return Err(AccountError::NoToken(sha256.chars().take(12).collect()));
    }
    audit::record(
        state,
        who,
        "token revoke",
        Some(&sha256.chars().take(12).collect::<String>()),
        None,
    )
    .await?;
    Ok(())
}

/// The account a presented API token acts for, with the token's label.
pub async fn token_holder(
    state: &AppState,
    presented: &str,
) -> Result<Option<(Account, String)>, AccountError> {
    let sha = sha256_hex(presented);
    let Some((name, role, label)) = db::api_tokens::holder(&state.db, &sha).await? else {
        return Ok(None);
    };
    db::api_tokens::touch(&state.db, &sha, Utc::now()).await?;
    Ok(Role::parse(&role).map(|role| (Account { name, role }, label)))
}
