//! The Atom feed of the statements.

use super::*;

/// The Atom feed of the statements, newest first.
pub(super) async fn feed(State(state): State<AppState>) -> Result<Response> {
    let rows = db::read::statements::list(&state.db, false).await?;
    let c = &state.coalition;
    atom(
        &state,
        &rows,
        &c.urls.base.join("/statements.atom"),
        c.name.clone(),
    )
    .await
}

/// A feed of `rows` (newest first), published at `self_url`.
pub(super) async fn atom(
    state: &AppState,
    rows: &[db::read::statements::StatementRow],
    self_url: &str,
    title: String,
) -> Result<Response> {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let c = &state.coalition;
    let mut entries = Vec::new();
    for row in rows.iter().take(50) {
        let texts = &row.texts;
        let url = statement_url(c, &row.slug);
        let title = texts
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        // The counts first, in each language of the text (a feed has no interface language).
        let tally = db::read::cosign::tally(&state.db, &row.slug).await?;
        let mut html: String = texts
            .iter()
            .filter_map(|t| Ui::from_tag(&t.lang))
            .map(|ui| {
                format!(
                    "<p lang=\"{}\">{}</p>",
                    ui.code(),
                    crate::util::escape_html(&signature_counts(ui, &tally))
                )
            })
            .collect();
        html.extend(texts.iter().map(|t| t.html.as_str()));
        let updated = row.updated_at.unwrap_or(row.published_at);
        entries.push(Entry {
            id: url.clone(),
            title: Text::plain(title),
            updated: updated.fixed_offset(),
            published: Some(row.published_at.fixed_offset()),
            links: vec![Link {
                href: url,
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            }],
            content: Some(Content {
                value: Some(html),
                content_type: Some("html".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    let updated = rows
        .iter()
        .map(|r| r.updated_at.unwrap_or(r.published_at))
        .max()
        .unwrap_or(c.published);
    let feed = Feed {
        id: self_url.to_owned(),
        title: Text::plain(title),
        updated: updated.fixed_offset(),
        authors: vec![Person {
            name: c.name.clone(),
            uri: Some(c.urls.profile.to_string()),
            ..Default::default()
        }],
        links: vec![
            Link {
                href: self_url.to_owned(),
                rel: "self".into(),
                ..Default::default()
            },
            Link {
                href: c.urls.profile.to_string(),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            },
        ],
        entries,
        ..Default::default()
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        feed.to_string(),
    )
        .into_response())
}
