//! A hashtag's page: the statements that carry it, with its own Atom feed. The Notes link
//! their hashtags here (`/tags/{tag}`, lower case), as Mastodon links its own.

use super::{profile::StatementCard, *};
use crate::domain::statement::Hashtag;

#[derive(Template)]
#[template(path = "tag.html")]
pub(super) struct TagPage {
    c: Chrome,
    tag: String,
    statements: Vec<StatementCard>,
}

/// The tag as the URLs spell it, or a 404 for what cannot be a tag.
fn tag_of(raw: &str) -> Result<String> {
    Hashtag::parse(raw)
        .map(|t| t.as_str().to_lowercase())
        .map_err(|_| HttpError::not_found("no such tag"))
}

/// The live statements that carry `tag` (compared in lower case), newest first.
async fn tagged(state: &AppState, tag: &str) -> Result<Vec<db::read::statements::StatementRow>> {
    Ok(db::read::statements::list(&state.db, false)
        .await?
        .into_iter()
        .filter(|r| r.tags.iter().any(|t| t.to_lowercase() == tag))
        .collect())
}

pub(super) async fn tag_page(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let tag = tag_of(&raw)?;
    let c = &state.coalition;
    let ui = Ui::choose(query.as_deref(), &headers, c.languages.first());
    let rows = tagged(&state, &tag).await?;
    let mut chrome = Chrome::new(
        &state,
        ui,
        format!("#{tag} · {}", c.name),
        c.urls.base.join(&format!("/tags/{tag}")),
    );
    chrome.feed = c.urls.base.join(&format!("/tags/{tag}/feed.atom"));
    let mut statements = Vec::new();
    for row in &rows {
        statements.push(profile::card(&state, row, ui).await?);
    }
    let status = if rows.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = TagPage {
        c: chrome,
        tag,
        statements,
    };
    Ok(page_response(ui, status, render(&page)?))
}

pub(super) async fn tag_feed(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response> {
    let tag = tag_of(&raw)?;
    let rows = tagged(&state, &tag).await?;
    let c = &state.coalition;
    feed::atom(
        &state,
        &rows,
        &c.urls.base.join(&format!("/tags/{tag}/feed.atom")),
        format!("#{tag} · {}", c.name),
    )
    .await
}
