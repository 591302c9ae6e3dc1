//! HTTP: one module per resource, each with its `router()`.

pub mod activitypub;
pub mod admin;
pub mod admin_signatories;
pub mod authorized_fetch;
pub mod cache;
pub mod console;
pub mod error;
pub mod front;
pub mod health;
pub mod i18n;
pub mod inbox;
pub mod media;
pub mod negotiate;
pub mod pages;
pub mod server;
pub mod statements;
pub mod well_known;

use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::Router;
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use crate::state::AppState;
use error::HttpError;

/// Request bodies larger than this are refused (Mastodon's own inbox limit, 1 MB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The server's routes, with the hot documents kept answered in front of them (`front`); the
/// inbox hands what it verified to `applier`.
pub fn router(
    state: AppState,
    federation: &FederationConfig<AppState>,
    applier: crate::federation::applier::Applier,
) -> front::Front {
    // The federation crate's request data (`Data`) only where a handler asks for it: its
    // middleware clones the crate's whole configuration on every request it wraps, which
    // the public reads, the most frequent requests, do not need (BENCHMARKS.md, B5).
    let with_data =
        |router: Router<AppState>| router.layer(FederationMiddleware::new(federation.clone()));
    let signed_gets = authorized_fetch::Verifier::new(state.clone(), federation.clone());
    let routes = Router::new()
        .merge(well_known::router())
        .merge(with_data(inbox::router(applier)))
        .merge(activitypub::router())
        .merge(pages::router())
        .merge(media::router())
        .merge(statements::router())
        .merge(with_data(
            admin::router().merge(admin_signatories::router()).layer(
                axum::middleware::from_fn_with_state(state.clone(), admin::audit),
            ),
        ))
        .merge(with_data(console::router(&state)))
        .merge(health::router())
        .fallback(|| async { HttpError::not_found("not found") })
        .method_not_allowed_fallback(|| async { HttpError::MethodNotAllowed });
    front::Front::new(
        behind_front(routes, FRONT_LAYERS.len(), state.clone(), signed_gets),
        state,
    )
}

/// The layers every request crosses before its route, in the order it meets them; a kept
/// answer to a hot document skips them (`front`).
pub const FRONT_LAYERS: [&str; 4] = [
    "trace",
    "panic catcher",
    "body limit",
    "authorized fetch and cache",
];

/// `routes` behind the first `layers` of `FRONT_LAYERS`: all of them in the server; fewer
/// when the benchmark measures what each one costs (BENCHMARKS.md, B5).
pub fn behind_front(
    routes: Router<AppState>,
    layers: usize,
    state: AppState,
    signed_gets: authorized_fetch::Verifier,
) -> Router {
    let mut routes = routes;
    if layers >= 4 {
        routes = routes.layer(axum::middleware::from_fn_with_state(
            signed_gets,
            authorized_fetch::front,
        ));
    }
    let mut router = routes.with_state(state);
    if layers >= 3 {
        router = router.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES));
    }
    if layers >= 2 {
        router = router.layer(CatchPanicLayer::custom(error::panic_response));
    }
    if layers >= 1 {
        // A 5xx is a warning here: `/readyz` answers 503 by design while the server starts
        // or its database is away, and so does a busy inbox; an internal error is logged at
        // error level with its cause where it is answered (`error::HttpError`).
        router = router
            .layer(TraceLayer::new_for_http().on_failure(
                tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN),
            ));
    }
    router
}
