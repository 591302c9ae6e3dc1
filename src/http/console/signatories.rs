//! Signatories of a statement (docs/admin.md): record founding signatories one by one or as
//! a CSV file chosen or pasted in the form (all or nothing), withdraw one; the page also lists the co-signers
//! (hidden or shown in `cosigners`) and the ledger's check. Every change is an entry of the
//! statement's ledger (`app::signatories`) and of the audit log.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ConsoleError, Frame, Refusal, Result, Submitted, Volunteer, render};
use crate::{
    app::{
        ledger::{self, LedgerError},
        signatories::{self, Recording, SignatoriesError},
    },
    db::{
        self,
        read::{cosign::SignatureRow, signatories::SignatoryRow, statements::StatementRow},
    },
    domain::{
        accounts::Duty,
        signatories::{RawSignatory, SignatoryError, check_list, from_csv},
        statement::Slug,
    },
    http::i18n::Ui,
    state::AppState,
};

/// A statement in the index.
pub struct Listed {
    pub slug: String,
    pub title: String,
}

fn title(row: &StatementRow) -> String {
    row.texts
        .first()
        .map(|t| t.title.clone())
        .unwrap_or_else(|| row.slug.clone())
}

#[derive(Template)]
#[template(path = "admin/signatories_index.html")]
struct IndexPage {
    f: Frame,
    statements: Vec<Listed>,
}

/// `/admin/signatories`: the statements, each linking to its signatories.
pub async fn index(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Look)?;
    let statements = db::read::statements::list(&state.db, false)
        .await?
        .iter()
        .map(|r| Listed {
            slug: r.slug.clone(),
            title: title(r),
        })
        .collect();
    let f = Frame::new(
        &state,
        &v,
        v.say("Signatories", "Signataires"),
        "/admin/signatories",
    )
    .await;
    Ok(render(&IndexPage { f, statements }))
}

#[derive(Template)]
#[template(path = "admin/signatories.html")]
struct StatementPage {
    f: Frame,
    slug: String,
    statement: String,
    recorded: Vec<SignatoryRow>,
    cosigners: Vec<SignatureRow>,
    ledger: String,
    ledger_ok: bool,
    may_sign: bool,
    may_moderate: bool,
}

/// The slug of the path, checked, and the statement (404 page when there is none).
pub(super) async fn statement(
    state: &AppState,
    ui: Ui,
    raw: &str,
) -> Result<Result<StatementRow, Response>> {
    let Ok(slug) = Slug::parse(raw) else {
        return Ok(Err(missing(ui, raw)));
    };
    match db::read::statements::get(&state.db, slug.as_str()).await? {
        Some(row) => Ok(Ok(row)),
        None => Ok(Err(missing(ui, slug.as_str()))),
    }
}

fn missing(ui: Ui, slug: &str) -> Response {
    let text = match ui {
        Ui::En => format!("No statement {slug}."),
        Ui::Fr => format!("Aucune déclaration {slug}."),
    };
    Refusal::new(StatusCode::NOT_FOUND, ui, &text).into_response()
}

/// The ledger's check in one line, and whether it holds.
async fn ledger_status(state: &AppState, ui: Ui, slug: &str) -> Result<(String, bool)> {
    Ok(match ledger::check_stored(state, slug).await {
        Ok(c) => {
            let text = match (ui, c.head.is_some()) {
                (Ui::En, true) => format!(
                    "Verified: {} entries, chain intact, head signed.",
                    c.entries
                ),
                (Ui::Fr, true) => format!(
                    "Vérifié : {} entrées, chaîne intacte, tête signée.",
                    c.entries
                ),
                (Ui::En, false) => format!("Verified: {} entries, chain intact.", c.entries),
                (Ui::Fr, false) => format!("Vérifié : {} entrées, chaîne intacte.", c.entries),
            };
            (text, true)
        }
        Err(LedgerError::Entry(b)) => {
            let text = match ui {
                Ui::En => format!("Broken at entry {}: {}", b.seq, b.problem),
                Ui::Fr => format!("Rompu à l'entrée {} : {}", b.seq, b.problem),
            };
            (text, false)
        }
        Err(LedgerError::Head(p)) => {
            let text = match ui {
                Ui::En => format!("Broken at its signed head: {p}"),
                Ui::Fr => format!("Rompu à sa tête signée : {p}"),
            };
            (text, false)
        }
        Err(e) => return Err(ConsoleError::Internal(anyhow::anyhow!("{e}"))),
    })
}

/// `/admin/statements/{slug}/signatories`.
pub async fn page(
    State(state): State<AppState>,
    v: Volunteer,
    Path(raw): Path<String>,
) -> Result<Response> {
    v.require(Duty::Look)?;
    let row = match statement(&state, v.ui, &raw).await? {
        Ok(row) => row,
        Err(refused) => return Ok(refused),
    };
    let slug = row.slug.clone();
    let recorded = db::read::signatories::all(&state.db, &slug).await?;
    let cosigners = db::read::cosign::current(&state.db, &slug, true).await?;
    let (ledger, ledger_ok) = ledger_status(&state, v.ui, &slug).await?;
    let f = Frame::new(
        &state,
        &v,
        v.say("Signatories", "Signataires"),
        "/admin/signatories",
    )
    .await;
    Ok(render(&StatementPage {
        f,
        statement: title(&row),
        slug,
        recorded,
        cosigners,
        ledger,
        ledger_ok,
        may_sign: v.account.role.may(Duty::Sign),
        may_moderate: v.account.role.may(Duty::Moderate),
    }))
}

/// A list's problem, its line named (in a CSV, the file's line, the header being line 1).
fn invalid(ui: Ui, e: &SignatoryError) -> ConsoleError {
    let text = match ui {
        Ui::En => format!(
            "Line {}, {}: {}. Nothing was recorded.",
            e.line, e.field, e.problem
        ),
        Ui::Fr => format!(
            "Ligne {}, {} : {}. Rien n'a été enregistré.",
            e.line, e.field, e.problem
        ),
    };
    ConsoleError::Invalid(ui, text)
}

/// `offset` turns a line of the list into the one the volunteer sees (a CSV's header).
fn recording_error(ui: Ui, e: &SignatoriesError, offset: usize) -> Result<Response> {
    let text = match (e, ui) {
        (SignatoriesError::NoStatement(slug), _) => return Ok(missing(ui, slug)),
        (SignatoriesError::Invalid(v), _) => return Err(invalid(ui, v)),
        (SignatoriesError::Deleted(slug), Ui::En) => {
            format!("The statement {slug} is deleted. Nothing was recorded.")
        }
        (SignatoriesError::Deleted(slug), Ui::Fr) => {
            format!("La déclaration {slug} est supprimée. Rien n'a été enregistré.")
        }
        (SignatoriesError::AlreadyRecorded { line, n, name }, Ui::En) => format!(
            "Line {}: {name} is already recorded as number {n}. Nothing was recorded.",
            line + offset
        ),
        (SignatoriesError::AlreadyRecorded { line, n, name }, Ui::Fr) => format!(
            "Ligne {} : {name} est déjà enregistré·e sous le numéro {n}. Rien n'a été enregistré.",
            line + offset
        ),
        (SignatoriesError::NoSignatory(n), Ui::En) => {
            format!("No current signatory number {n}. Nothing was changed.")
        }
        (SignatoriesError::NoSignatory(n), Ui::Fr) => {
            format!("Aucun signataire actuel numéro {n}. Rien n'a été modifié.")
        }
        (SignatoriesError::Cosign(_), _) => {
            return Err(ConsoleError::Internal(anyhow::anyhow!("{e}")));
        }
    };
    let status = if matches!(e, SignatoriesError::NoSignatory(_)) {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(Refusal::new(status, ui, &text).into_response())
}

pub(super) fn here(slug: &str) -> String {
    format!("/admin/statements/{slug}/signatories")
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
pub struct NewSignatory {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    source: String,
}

/// Record one signatory.
pub async fn add(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    s: Submitted<NewSignatory>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Sign)?;
    let row = match statement(&state, v.ui, &raw).await? {
        Ok(row) => row,
        Err(refused) => return Ok(refused),
    };
    let f = &s.form;
    let one = RawSignatory {
        name: f.name.clone(),
        role: some(&f.role),
        organisation: some(&f.organisation),
        kind: some(&f.kind),
        link: some(&f.link),
        handle: some(&f.handle),
    };
    let list = check_list(&[one], 1).map_err(|e| invalid(v.ui, &e))?;
    let source = some(&f.source);
    let how = Recording {
        by: &v.account.name,
        source: source.as_deref(),
        skip_known: false,
    };
    let numbers = match signatories::record(&state, &row.slug, &list, how).await {
        Ok(n) => n,
        Err(e) => return recording_error(v.ui, &e, 0),
    };
    let name = list.first().map(|s| s.name.as_str()).unwrap_or_default();
    let text = match (v.ui, numbers.first()) {
        (Ui::En, Some(n)) => format!("{name} is recorded as signatory {n}."),
        (Ui::Fr, Some(n)) => format!("{name} est enregistré·e comme signataire {n}."),
        (Ui::En, None) => format!("{name} was recorded already."),
        (Ui::Fr, None) => format!("{name} était déjà enregistré·e."),
    };
    v.done(
        &state,
        ("signatory add", Some(&row.slug), Some(name)),
        &text,
        &here(&row.slug),
    )
    .await
}

#[derive(Deserialize)]
pub struct Import {
    #[serde(default)]
    csv: String,
    #[serde(default)]
    source: String,
}

/// Record the signatories of a CSV file chosen in the form, or pasted in it: all or nothing.
pub async fn import(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    s: Submitted<Import>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Sign)?;
    let row = match statement(&state, v.ui, &raw).await? {
        Ok(row) => row,
        Err(refused) => return Ok(refused),
    };
    let pasted = s.form.csv.trim();
    let text = match (s.file("csv_file"), pasted.is_empty()) {
        (Some(_), false) => {
            return Err(ConsoleError::Invalid(
                v.ui,
                v.say(
                    "Choose a CSV file or paste the CSV, not both.",
                    "Choisissez un fichier CSV ou collez le CSV, pas les deux.",
                )
                .into(),
            ));
        }
        (Some(file), true) => std::str::from_utf8(&file.bytes).map_err(|_| {
            let text = match v.ui {
                Ui::En => format!(
                    "{} is not UTF-8 text: export the CSV as UTF-8.",
                    file.file_name
                ),
                Ui::Fr => format!(
                    "{} n'est pas du texte UTF-8 : exportez le CSV en UTF-8.",
                    file.file_name
                ),
            };
            ConsoleError::Invalid(v.ui, text)
        })?,
        (None, _) => pasted,
    };
    // Spreadsheets often begin a UTF-8 export with a byte order mark.
    let text = text.trim_start_matches('\u{feff}');
    let list = from_csv(text.trim().as_bytes()).map_err(|e| invalid(v.ui, &e))?;
    if list.is_empty() {
        return Err(ConsoleError::Invalid(
            v.ui,
            v.say(
                "The CSV has no signatory: a header line (name, role, organisation, kind, link, handle), then one line each.",
                "Le CSV ne contient aucun signataire : une ligne d'en-tête (name, role, organisation, kind, link, handle), puis une ligne chacun.",
            )
            .into(),
        ));
    }
    let source = some(&s.form.source);
    let how = Recording {
        by: &v.account.name,
        source: source.as_deref(),
        skip_known: false,
    };
    let numbers = match signatories::record(&state, &row.slug, &list, how).await {
        Ok(n) => n,
        // The list's lines are the file's minus its header.
        Err(e) => return recording_error(v.ui, &e, 1),
    };
    let detail = numbers.len().to_string();
    let text = match v.ui {
        Ui::En => format!("{detail} signatories recorded."),
        Ui::Fr => format!("{detail} signataires enregistré·es."),
    };
    v.done(
        &state,
        ("signatories import", Some(&row.slug), Some(&detail)),
        &text,
        &here(&row.slug),
    )
    .await
}

#[derive(Deserialize)]
pub struct Withdraw {
    #[serde(default)]
    n: String,
}

/// Withdraw recorded signatory number `n` (a withdrawal entry; nothing is deleted).
pub async fn withdraw(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    s: Submitted<Withdraw>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Sign)?;
    let row = match statement(&state, v.ui, &raw).await? {
        Ok(row) => row,
        Err(refused) => return Ok(refused),
    };
    let Ok(n) = s.form.n.trim().parse::<i64>() else {
        return Err(ConsoleError::Invalid(
            v.ui,
            v.say(
                "Give a signatory's number.",
                "Indiquez le numéro d'un signataire.",
            )
            .into(),
        ));
    };
    if let Err(e) = signatories::remove(&state, &row.slug, n, &v.account.name).await {
        return recording_error(v.ui, &e, 0);
    }
    let detail = n.to_string();
    let text = match v.ui {
        Ui::En => format!("Signatory {n} is withdrawn."),
        Ui::Fr => format!("Le signataire {n} est retiré."),
    };
    v.done(
        &state,
        ("signatory withdraw", Some(&row.slug), Some(&detail)),
        &text,
        &here(&row.slug),
    )
    .await
}
