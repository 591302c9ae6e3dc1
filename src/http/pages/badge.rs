//! An embeddable badge, `/statements/{slug}/badge.svg`: "N signatures" (the word is the same
//! in French and English), for member organisations to put on their own sites. Every current
//! signatory counts: recorded by the coalition and on the fediverse.

use super::*;

#[derive(Template)]
#[template(path = "badge.svg", escape = "xml")]
struct Badge {
    count: u64,
    word: &'static str,
    label: String,
    /// The width of the count's half, from its digits.
    count_width: u32,
}

pub(super) async fn badge(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response> {
    let row = db::read::statements::get(&state.db, &slug)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or_else(|| HttpError::not_found("no such statement"))?;
    let tally = db::read::cosign::tally(&state.db, &row.slug).await?;
    let count = tally.total();
    let word = if count == 1 {
        "signature"
    } else {
        "signatures"
    };
    let digits = u32::try_from(count.to_string().len()).unwrap_or(1);
    let svg = render(&Badge {
        count,
        word,
        label: format!("{count} {word}"),
        count_width: 14 + digits * 9,
    })?;
    let mut res = svg.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    // Shown by other sites in an <img>; it runs nothing even when opened on its own.
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}
