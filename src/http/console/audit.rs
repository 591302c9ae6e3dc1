//! The audit log, as a page (newest first) and as a CSV file.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ConsoleError, Frame, Result, Volunteer, render};
use crate::{db, db::read::accounts::AuditRow, state::AppState};

const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    f: Frame,
    rows: Vec<AuditRow>,
    older: Option<i64>,
}

#[derive(Deserialize)]
pub struct Before {
    before: Option<i64>,
}

pub async fn page(
    State(state): State<AppState>,
    v: Volunteer,
    Query(q): Query<Before>,
) -> Result<Response> {
    let rows = db::read::accounts::audit_page(&state.db, q.before, PAGE).await?;
    let older = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let f = Frame::new(
        &state,
        &v,
        v.say("Audit log", "Journal des actions"),
        "/admin/audit",
    )
    .await;
    Ok(render(&AuditPage { f, rows, older }))
}

/// Every entry, oldest first, as CSV.
pub async fn export(State(state): State<AppState>, _v: Volunteer) -> Result<Response> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let rows = db::read::accounts::audit_page(&state.db, before, 1000).await?;
        let done = rows.len() < 1000;
        before = rows.last().map(|r| r.id);
        all.extend(rows);
        if done {
            break;
        }
    }
    all.reverse();
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ConsoleError::Internal(e.into());
    out.write_record([
        "id", "at", "actor", "via", "action", "target", "detail", "address",
    ])
    .map_err(fail)?;
    for r in &all {
        out.write_record([
            r.id.to_string().as_str(),
            &r.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            &r.actor,
            &r.via,
            &r.action,
            r.target.as_deref().unwrap_or_default(),
            r.detail.as_deref().unwrap_or_default(),
            r.address.as_deref().unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ConsoleError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
