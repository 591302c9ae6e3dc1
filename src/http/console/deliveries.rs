//! Deliveries (docs/admin.md, docs/interop.md §7): how far each recent activity has gone out,
//! its hosts, the hosts that fail, and "retry now" per host. The page reloads itself while
//! something is pending (a meta refresh: no JavaScript).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ConsoleError, Frame, Refusal, Result, Submitted, Volunteer, back, render};
use crate::{
    app::{
        audit,
        deliveries::{self, DeliveryError},
    },
    db::{
        self,
        read::deliveries::{ActivityProgress, HostProgress},
    },
    domain::accounts::Duty,
    http::i18n::Ui,
    state::AppState,
};

const ACTIVITIES: i64 = 30;
const HOSTS: i64 = 50;
/// Seconds between reloads while deliveries are pending.
const REFRESH: u32 = 5;

/// One activity's line: its counts, and the share done for the progress bar.
pub struct Line {
    pub p: ActivityProgress,
    pub total: i64,
    /// Delivered, refused or given up: nothing more will happen without a retry.
    pub done: i64,
    pub percent: i64,
}

impl Line {
    fn new(p: ActivityProgress) -> Line {
        let total = p.delivered + p.pending + p.failed + p.given_up;
        let done = total - p.pending;
        let percent = if total == 0 { 100 } else { done * 100 / total };
        Line {
            p,
            total,
            done,
            percent,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/deliveries.html")]
struct DeliveriesPage {
    f: Frame,
    lines: Vec<Line>,
    failing: Vec<HostProgress>,
    may_retry: bool,
}

#[derive(Template)]
#[template(path = "admin/deliveries_activity.html")]
struct ActivityPage {
    f: Frame,
    line: Line,
    hosts: Vec<HostProgress>,
    may_retry: bool,
    here: String,
}

#[derive(Deserialize)]
pub struct Which {
    activity: Option<String>,
}

fn failing(h: &HostProgress) -> bool {
    h.failed + h.given_up > 0 || h.last_error.is_some()
}

/// `/admin/deliveries`, or with `?activity=ID` that activity's hosts.
pub async fn page(
    State(state): State<AppState>,
    v: Volunteer,
    Query(q): Query<Which>,
) -> Result<Response> {
    v.require(Duty::Look)?;
    let may_retry = v.account.role.may(Duty::Moderate);
    let title = v.say("Deliveries", "Envois");
    if let Some(id) = q
        .activity
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let Some(p) = db::read::deliveries::progress_of(&state.db, id).await? else {
            return Ok(Refusal::new(
                StatusCode::NOT_FOUND,
                v.ui,
                v.say(
                    "No such activity was sent.",
                    "Aucune activité de ce nom n'a été envoyée.",
                ),
            )
            .into_response());
        };
        let hosts = db::read::deliveries::activity_hosts(&state.db, id, HOSTS * 4).await?;
        let mut f = Frame::new(&state, &v, title, "/admin/deliveries").await;
        let line = Line::new(p);
        if line.p.pending > 0 {
            f.refresh = Some(REFRESH);
        }
        let here = format!(
            "/admin/deliveries?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("activity", id)
                .finish()
        );
        return Ok(render(&ActivityPage {
            f,
            line,
            hosts,
            may_retry,
            here,
        }));
    }
    let lines: Vec<Line> = db::read::deliveries::progress(&state.db, ACTIVITIES)
        .await?
        .into_iter()
        .map(Line::new)
        .collect();
    let failing = db::read::deliveries::hosts(&state.db, HOSTS)
        .await?
        .into_iter()
        .filter(failing)
        .collect();
    let mut f = Frame::new(&state, &v, title, "/admin/deliveries").await;
    if lines.iter().any(|l| l.p.pending > 0) {
        f.refresh = Some(REFRESH);
    }
    Ok(render(&DeliveriesPage {
        f,
        lines,
        failing,
        may_retry,
    }))
}

#[derive(Deserialize)]
pub struct Retry {
    host: String,
    /// The page to go back to (ours only).
    #[serde(default)]
    back: String,
}

/// "Retry now" for one host.
pub async fn retry(State(state): State<AppState>, s: Submitted<Retry>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let ui = v.ui;
    let host = s.form.host.trim();
    let n = match deliveries::retry_host(&state, host).await {
        Ok(n) => n,
        Err(DeliveryError::BadHost(h)) => {
            let text = match ui {
                Ui::En => format!("“{h}” is not a host: give it as host or host:port."),
                Ui::Fr => format!("« {h} » n'est pas un hôte : écrivez-le hôte ou hôte:port."),
            };
            return Err(ConsoleError::Invalid(ui, text));
        }
        Err(DeliveryError::UnknownHost(h)) => {
            let text = match ui {
                Ui::En => format!("No delivery to {h} is recorded. Nothing was changed."),
                Ui::Fr => format!("Aucun envoi vers {h} n'est enregistré. Rien n'a été modifié."),
            };
            return Ok(Refusal::new(StatusCode::NOT_FOUND, ui, &text).into_response());
        }
        Err(DeliveryError::Internal(e)) => return Err(ConsoleError::Internal(e)),
    };
    audit::record(
        &state,
        &v.who(),
        "deliveries retry",
        Some(host),
        Some(&n.to_string()),
    )
    .await?;
    let text = match ui {
        Ui::En => format!("{host}: {n} deliveries are due now."),
        Ui::Fr => format!("{host} : {n} envois sont à faire maintenant."),
    };
    v.notice(&text).await?;
    let ours = s.form.back.starts_with("/admin/deliveries")
        && !s.form.back.contains("//")
        && s.form.back.bytes().all(|b| b.is_ascii_graphic());
    let to = if ours {
        s.form.back.as_str()
    } else {
        "/admin/deliveries"
    };
    Ok(back(to))
}
