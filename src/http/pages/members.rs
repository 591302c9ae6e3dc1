//! The member organisations.

use super::*;

#[derive(Template)]
#[template(path = "members.html")]
pub(super) struct MembersPage {
    c: Chrome,
    members: Vec<MemberView>,
}

pub(super) async fn members_page(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let c = &state.coalition;
    let ui = Ui::choose(query.as_deref(), &headers, c.languages.first());
    let chrome = Chrome::new(
        &state,
        ui,
        format!("{} · {}", ui.t(Key::Members), c.name),
        c.urls.base.join("/members"),
    );
    let page = MembersPage {
        c: chrome,
        members: members_of(&state).await?,
    };
    Ok(page_response(ui, StatusCode::OK, render(&page)?))
}
