//! The profile: bio, pinned and latest statements, counts, members, the follow form.

use super::*;

pub(super) struct SummaryBlock {
    lang: String,
    html: String,
}

pub(super) struct FieldView {
    name: String,
    value_html: String,
}

pub(super) struct StatementCard {
    pub(super) lang: String,
    pub(super) title: String,
    pub(super) url: String,
    pub(super) html: String,
    /// The link to the whole text and its words, when the card shows only its start.
    pub(super) more: Option<(String, &'static str)>,
    pub(super) date: String,
    /// Every current signatory, recorded and on the fediverse.
    pub(super) signatures: u64,
    /// The same in words, both kinds told apart.
    pub(super) counts: String,
}

impl StatementCard {
    /// The card without its text, for the list.
    fn clone_light(&self) -> StatementCard {
        StatementCard {
            lang: self.lang.clone(),
            title: self.title.clone(),
            url: self.url.clone(),
            html: String::new(),
            more: None,
            date: self.date.clone(),
            signatures: self.signatures,
            counts: self.counts.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "profile.html")]
pub(super) struct ProfilePage {
    c: Chrome,
    name: String,
    handle: String,
    actor_id: String,
    avatar_url: String,
    avatar_alt: String,
    header_url: String,
    header_alt: String,
    summary: Vec<SummaryBlock>,
    fields: Vec<FieldView>,
    members: Vec<MemberView>,
    pinned: Vec<StatementCard>,
    latest: Vec<StatementCard>,
    followers: u64,
    cosignatures: u64,
}

/// Characters of a statement's text on its card.
const CARD_EXCERPT: usize = 300;

pub(super) async fn card(
    state: &AppState,
    row: &db::read::statements::StatementRow,
    ui: Ui,
) -> Result<StatementCard> {
    let texts = &row.texts;
    let text = text_for(texts, ui).cloned().unwrap_or(StoredText {
        lang: String::new(),
        title: row.slug.clone(),
        markdown: String::new(),
        html: String::new(),
    });
    let tally = db::read::cosign::tally(&state.db, &row.slug).await?;
    // A real excerpt: the first paragraph or so, cut between paragraphs, sentences or words,
    // so that the list, the members and the follow form stay near the top.
    let excerpt = crate::domain::excerpt::excerpt(&text.markdown, CARD_EXCERPT);
    let read_more = excerpt
        .cut
        .then(|| crate::domain::excerpt::read_more(&text.lang));
    let url = statement_url(&state.coalition, &row.slug);
    Ok(StatementCard {
        more: read_more.map(|words| (format!("{url}?lang={}", text.lang), words)),
        lang: text.lang,
        title: text.title,
        url,
        html: excerpt.html,
        date: day(row.published_at),
        signatures: tally.total(),
        counts: signature_counts(ui, &tally),
    })
}

/// The profile page, also served at the actor id to browsers.
pub async fn profile_response(
    state: &AppState,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response> {
    let c = &state.coalition;
    let ui = Ui::choose(query, headers, c.languages.first());
    let mut chrome = Chrome::new(
        state,
        ui,
        format!("{} (@{})", c.name, c.handle()),
        c.urls.profile.to_string(),
    );
    chrome.og_type = "profile";
    chrome.activitypub = Some(c.urls.actor.to_string());
    let statements = db::read::statements::list(&state.db, false).await?;
    let mut pinned = Vec::new();
    let mut latest = Vec::new();
    let mut cosignatures = 0;
    for row in &statements {
        let card = card(state, row, ui).await?;
        cosignatures += card.signatures;
        if latest.len() < 20 {
            latest.push(card.clone_light());
        }
        if row.pinned {
            pinned.push(card);
        }
    }
    let page = ProfilePage {
        c: chrome,
        name: c.name.clone(),
        handle: c.handle(),
        actor_id: c.urls.actor.to_string(),
        avatar_url: c.urls.media(&c.avatar)?.to_string(),
        avatar_alt: c.avatar.alt.clone(),
        header_url: c.urls.media(&c.header)?.to_string(),
        header_alt: c.header.alt.clone(),
        summary: c
            .summary
            .iter()
            .map(|(lang, text)| SummaryBlock {
                lang: lang.to_string(),
                html: text_to_html_paragraphs(text),
            })
            .collect(),
        fields: c
            .fields
            .iter()
            .map(|(name, value)| FieldView {
                name: name.clone(),
                value_html: field_value_html(value),
            })
            .collect(),
        members: members_of(state).await?,
        pinned,
        latest,
        followers: db::read::followers::count(
            &state.db,
            db::read::followers::FollowState::Accepted,
        )
        .await?,
        cosignatures,
    };
    Ok(page_response(ui, StatusCode::OK, render(&page)?))
}

pub(super) async fn root(State(state): State<AppState>) -> Redirect {
    Redirect::to(state.coalition.urls.profile.path())
}

/// `/@username`: the profile for people; ActivityPub clients are sent to the actor id, so
/// that what they fetch has `id` equal to the URL they asked for.
pub(super) async fn profile(
    State(state): State<AppState>,
    Path(at_username): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let Some(username) = at_username.strip_prefix('@') else {
        return Err(HttpError::not_found("not found"));
    };
    if !state.coalition.username.matches(username) {
        return Err(HttpError::not_found("no such actor"));
    }
    if wants_activitypub(&headers) {
        return Ok((
            StatusCode::FOUND,
            [
                (header::LOCATION, state.coalition.urls.actor.as_str()),
                (header::VARY, "Accept"),
            ],
        )
            .into_response());
    }
    profile_response(&state, query.as_deref(), &headers).await
}
