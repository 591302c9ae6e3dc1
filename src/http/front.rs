//! What the server loop serves: the routes, with the hot documents kept in the response
//! cache (`cache`) answered in front of them. A kept answer needs none of what the routes'
//! layers do (a span, a panic catcher, a body limit, routing), and each of those costs
//! every request a little (BENCHMARKS.md, B5: each layer's share): the most frequent reads
//! skip them. Anything else, a miss included, goes through the routes as before, where the
//! answer is rendered and kept. A request authorized fetch covers is never answered here:
//! its signature is checked behind the routes first.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    Router,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    response::Response,
};
use futures_util::future::Either;
use tower::Service;

use super::{authorized_fetch, cache};
use crate::state::AppState;

/// The routes with kept answers in front (`Service` of every request).
#[derive(Clone)]
pub struct Front {
    routes: Router,
    state: AppState,
}

impl Front {
    pub fn new(routes: Router, state: AppState) -> Front {
        Front { routes, state }
    }
}

type Kept = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<B> Service<axum::http::Request<B>> for Front
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Kept, <Router as Service<Request>>::Future>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The routes are always ready (axum's `Router`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let req = req.map(Body::new);
        let key = match cache::key_now(&self.state, &req) {
            Some(key) if !authorized_fetch::needs_signature(&self.state, &req) => key,
            _ => return Either::Right(self.routes.call(req)),
        };
        let (state, mut routes) = (self.state.clone(), self.routes.clone());
        Either::Left(Box::pin(async move {
            match cache::kept(&state, &key).await {
                Some(answer) => {
                    state.metrics.kept_answers.inc();
                    Ok(answer)
                }
                None => routes.call(req).await,
            }
        }))
    }
}
