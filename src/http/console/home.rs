//! The dashboard: what waits for someone, and where to go.

use askama::Template;
use axum::{extract::State, response::Response};

use super::{Frame, Result, Volunteer, render};
use crate::{db, state::AppState};

#[derive(Template)]
#[template(path = "admin/home.html")]
struct Home {
    f: Frame,
    statements: u64,
    followers: u64,
    pending_follows: u64,
    held_posts: usize,
    sessions: i64,
}

pub async fn home(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    let title = v.say("Dashboard", "Tableau de bord");
    let statements = db::read::statements::count_published(&state.db).await?;
    let followers =
        db::read::followers::count(&state.db, db::read::followers::FollowState::Accepted).await?;
    let pending_follows =
        db::read::followers::count(&state.db, db::read::followers::FollowState::Pending).await?;
    let held_posts = db::read::relays::pending(&state.db).await?.len();
    let sessions =
        db::read::accounts::session_count(&state.db, &v.account.name, crate::util::now_ms())
            .await?;
    let f = Frame::new(&state, &v, title, "/admin").await;
    Ok(render(&Home {
        f,
        statements,
        followers,
        pending_follows,
        held_posts,
        sessions,
    }))
}
