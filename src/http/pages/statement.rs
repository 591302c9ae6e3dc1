//! A statement: every language, the co-sign form, the signatories, the chart, the versions.

use super::*;
use crate::db::states::SignerClass;

pub(super) struct TextView {
    lang: String,
    title: String,
    body_html: String,
}

pub(super) struct SignerView {
    name: String,
    handle: String,
    url: String,
    icon: Option<String>,
    date: String,
    version: i32,
}

/// A signatory the coalition recorded off the fediverse.
pub(super) struct RecordedView {
    number: i64,
    name: String,
    /// "Role, Organisation", as much as is known.
    role: String,
    link: Option<String>,
    handle: String,
    /// The same handle signed on the fediverse too.
    also_fediverse: bool,
}

pub(super) struct Group {
    title: &'static str,
    signers: Vec<SignerView>,
}

/// The ledger's signed head, as the page shows it (docs/ledger.md).
pub(super) struct HeadView {
    seq: i64,
    /// The first characters of the last entry's hash.
    hash: String,
    ledger: String,
}

pub(super) struct VersionView {
    number: i32,
    date: String,
}

#[derive(Template)]
#[template(path = "statement.html")]
pub(super) struct StatementPage {
    c: Chrome,
    url: String,
    actor_id: String,
    text: Option<TextView>,
    published: String,
    updated: Option<String>,
    shown_version: i32,
    current_version: i32,
    older: bool,
    signatures: u64,
    recorded_count: u64,
    likes: u64,
    recorded: Vec<RecordedView>,
    /// (as written, as the URL spells it).
    tags: Vec<(String, String)>,
    groups: Vec<Group>,
    withdrawn: Vec<SignerView>,
    versions: Vec<VersionView>,
    chart: String,
    head: Option<HeadView>,
}

#[derive(Template)]
#[template(path = "gone.html")]
pub(super) struct GonePage {
    c: Chrome,
}

pub(super) fn language_name(code: &str) -> &'static str {
    match code.split('-').next().unwrap_or_default() {
        "fr" => "Français",
        "en" => "English",
        "de" => "Deutsch",
        "es" => "Español",
        "it" => "Italiano",
        "pt" => "Português",
        "nl" => "Nederlands",
        "br" => "Brezhoneg",
        "eu" => "Euskara",
        "ca" => "Català",
        "oc" => "Occitan",
        "ar" => "العربية",
        _ => "—",
    }
}

/// A text's HTML as plain text, paragraphs and lines kept apart by a space (for
/// `og:description`, where "pouvoirs</p><p>Ce" must not become "pouvoirsCe").
pub(super) fn plain_text(html: &str) -> String {
    let spaced = html
        .replace("</p>", "</p> ")
        .replace("<br>", " ")
        .replace("<br />", " ")
        .replace("</li>", "</li> ");
    let text = ammonia::Builder::empty().clean(&spaced).to_string();
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Strip the bold title paragraph the Note carries: the page shows the title as a heading.
pub(super) fn body_without_title(t: &StoredText) -> String {
    let title = format!(
        "<p><strong>{}</strong></p>",
        crate::util::escape_html(&t.title)
    );
    t.html.strip_prefix(&title).unwrap_or(&t.html).to_owned()
}

/// The statement page; `410` with a notice once deleted.
pub async fn statement_page(
    state: &AppState,
    row: &db::read::statements::StatementRow,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response> {
    let c = &state.coalition;
    let ui = Ui::choose(query, headers, c.languages.first());
    let url = statement_url(c, &row.slug);
    if row.deleted_at.is_some() {
        let chrome = Chrome::new(state, ui, ui.t(Key::Deleted).to_owned(), url);
        return Ok(page_response(
            ui,
            StatusCode::GONE,
            render(&GonePage { c: chrome })?,
        ));
    }
    let versions = db::read::statements::versions(&state.db, &row.slug).await?;
    let asked = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i32>().ok());
    let shown = match asked {
        Some(n) => versions
            .iter()
            .find(|v| v.version == n)
            .ok_or_else(|| HttpError::not_found("no such version"))?,
        None => versions
            .iter()
            .find(|v| v.version == row.current_version)
            .ok_or_else(|| {
                HttpError::Internal(anyhow::anyhow!("the current version is missing"))
            })?,
    };
    let texts = &shown.texts;
    // One language at a time: the one asked for (`?lang=`) if the text has it, else the
    // interface's, else the statement's first.
    let text = shown_text(texts, query, ui);
    let title = text
        .map(|t| t.title.clone())
        .unwrap_or_else(|| row.slug.clone());
    let mut chrome = Chrome::new(state, ui, format!("{title} · {}", c.name), url.clone());
    chrome.og_type = "article";
    chrome.activitypub = Some(url.clone());
    if let Some(t) = text {
        // The image made for link previews (preview.rs), in the page's language.
        chrome.image = format!("{url}/preview.png?lang={}", t.lang);
        chrome.image_size = Some((1200, 630));
        chrome.description = plain_text(&body_without_title(t))
            .chars()
            .take(280)
            .collect();
    }
    let version_param = asked.map(|n| format!("version={n}&")).unwrap_or_default();
    chrome.languages = texts
        .iter()
        .map(|t| {
            (
                format!("?{version_param}lang={}", t.lang),
                t.lang.clone(),
                language_name(&t.lang),
                text.is_some_and(|shown| shown.lang == t.lang),
            )
        })
        .collect();
    let signatures = db::read::cosign::current(&state.db, &row.slug, false).await?;
    let view = |s: &db::read::cosign::SignatureRow, at: DateTime<Utc>| SignerView {
        name: s
            .actor_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| s.actor_id.clone()),
        handle: s
            .actor_handle
            .as_ref()
            .map(|h| format!("@{h}"))
            .unwrap_or_default(),
        url: s.actor_id.clone(),
        icon: s
            .actor_icon
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        date: day(at),
        version: s.version,
    };
    let mut groups = Vec::new();
    for (class, key) in [
        (SignerClass::Member, Key::MemberOrgs),
        (SignerClass::Organisation, Key::OtherOrgs),
        (SignerClass::Person, Key::Persons),
    ] {
        let signers: Vec<SignerView> = signatures
            .iter()
            .filter(|s| s.counts && s.class == class)
            .map(|s| view(s, s.signed_at))
            .collect();
        if !signers.is_empty() {
            groups.push(Group {
                title: ui.t(key),
                signers,
            });
        }
    }
    let history = db::read::cosign::history(&state.db, &row.slug).await?;
    let signatories = db::read::signatories::all(&state.db, &row.slug).await?;
    let fediverse_handles: Vec<String> = history
        .iter()
        .filter(|s| s.withdrawn_at.is_none())
        .filter_map(|s| s.actor_handle.as_ref().map(|h| h.to_lowercase()))
        .collect();
    let recorded = signatories
        .iter()
        .filter(|g| g.withdrawn_at.is_none())
        .map(|g| RecordedView {
            number: g.n,
            name: g.name.clone(),
            role: [g.role.as_deref(), g.organisation.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            link: g
                .link
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            handle: g
                .handle
                .as_ref()
                .map(|h| format!("@{h}"))
                .unwrap_or_default(),
            also_fediverse: g
                .handle
                .as_ref()
                .is_some_and(|h| fediverse_handles.contains(h)),
        })
        .collect();
    let withdrawn = signatories
        .iter()
        .filter_map(|g| {
            g.withdrawn_at.map(|at| SignerView {
                name: g.name.clone(),
                handle: String::new(),
                url: format!("{url}#signatory-{}", g.n),
                icon: None,
                date: day(at),
                version: row.current_version,
            })
        })
        .chain(
            history
                .iter()
                .filter_map(|s| s.withdrawn_at.map(|at| view(s, at))),
        )
        .collect();
    let tally = db::read::cosign::tally(&state.db, &row.slug).await?;
    let head = db::read::ledger_heads::get(&state.db, &row.slug)
        .await?
        .map(|h| HeadView {
            seq: h.seq,
            hash: crate::domain::ledger_head::short(&h.hash).to_owned(),
            ledger: format!("{url}/ledger"),
        });
    let page = StatementPage {
        head,
        chart: chart::chart(&history, ui),
        c: chrome,
        url: url.clone(),
        actor_id: c.urls.actor.to_string(),
        text: text.map(|t| TextView {
            lang: t.lang.clone(),
            title: t.title.clone(),
            body_html: body_without_title(t),
        }),
        published: day(row.published_at),
        updated: row.updated_at.map(day),
        shown_version: shown.version,
        current_version: row.current_version,
        older: shown.version != row.current_version,
        signatures: tally.signatures,
        recorded_count: tally.recorded,
        likes: tally.likes,
        recorded,
        tags: row
            .tags
            .iter()
            .map(|t| (t.clone(), t.to_lowercase()))
            .collect(),
        groups,
        withdrawn,
        versions: versions
            .iter()
            .map(|v| VersionView {
                number: v.version,
                date: day(v.created_at),
            })
            .collect(),
    };
    Ok(page_response(ui, StatusCode::OK, render(&page)?))
}
