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
    let word = signatures_word(count);
    let digits = u32::try_from(count.to_string().len()).unwrap_or(1);
    let svg = render(&Badge {
        count,
        word,
        label: format!("{count} {word}"),
        count_width: 14 + digits * 9,
    })?;
    Ok(image_response(svg, "image/svg+xml; charset=utf-8"))
}
