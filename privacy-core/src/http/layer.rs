//! [`AccessLogLayer`] and the service and future it builds.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Span;

use super::RouteTemplate;

/// The route logged for a request no lookup found a template for (no route matched, or
/// the layer sits outside the router): never the raw path.
pub const UNMATCHED_ROUTE: &str = "(unmatched)";

/// Finds a request's route template in its extensions (`None`: not there).
pub type RouteLookup = fn(&::http::Extensions) -> Option<&str>;

/// A tower [`Layer`] logging each request's method, route template, status and latency
/// with `tracing`, and nothing the client sent: see the [module docs](super).
///
/// ```
/// use privacy_core::http::AccessLogLayer;
///
/// // The template from a lookup of your framework's type (here: none, always unmatched).
/// let layer = AccessLogLayer::new().route_from(|_extensions| None);
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct AccessLogLayer {
    lookup: Option<RouteLookup>,
    counter: Arc<AtomicU64>,
}

impl AccessLogLayer {
    /// A layer that reads the route template from a [`RouteTemplate`] extension only.
    pub fn new() -> AccessLogLayer {
        AccessLogLayer {
            lookup: None,
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A layer for axum: the route template is axum's `MatchedPath` (feature `axum`).
    /// Add it with `Router::layer`, so it runs after the router matched the route.
    #[cfg(feature = "axum")]
    pub fn axum() -> AccessLogLayer {
        AccessLogLayer::new().route_from(|extensions| {
            extensions
                .get::<axum::extract::MatchedPath>()
                .map(axum::extract::MatchedPath::as_str)
        })
    }

    /// Also looks the template up with `lookup` when no [`RouteTemplate`] is there. The
    /// lookup must return a template, never a path the client sent.
    #[must_use]
    pub fn route_from(mut self, lookup: RouteLookup) -> AccessLogLayer {
        self.lookup = Some(lookup);
        self
    }
}

impl Default for AccessLogLayer {
    fn default() -> Self {
        AccessLogLayer::new()
    }
}

impl fmt::Debug for AccessLogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLogLayer")
            .field("lookup", &self.lookup.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> AccessLog<S> {
        AccessLog {
            inner,
            lookup: self.lookup,
            counter: Arc::clone(&self.counter),
        }
    }
}

/// The service [`AccessLogLayer`] wraps around another: logs each request it passes on.
#[derive(Clone)]
pub struct AccessLog<S> {
    inner: S,
    lookup: Option<RouteLookup>,
    counter: Arc<AtomicU64>,
}

impl<S> fmt::Debug for AccessLog<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLog").finish_non_exhaustive()
    }
}

impl<S, B, R> Service<::http::Request<B>> for AccessLog<S>
where
    S: Service<::http::Request<B>, Response = ::http::Response<R>>,
{
    type Response = ::http::Response<R>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: ::http::Request<B>) -> ResponseFuture<S::Future> {
        let started = Instant::now();
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let method = method_name(request.method());
        let extensions = request.extensions();
        let route = extensions
            .get::<RouteTemplate>()
            .map(|t| t.as_str())
            .or_else(|| self.lookup.and_then(|lookup| lookup(extensions)))
            .unwrap_or(UNMATCHED_ROUTE)
            .to_owned();
        let span = tracing::info_span!("request", n, method, route = %route);
        let inner = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        ResponseFuture {
            inner,
            span,
            started,
            method,
            route,
        }
    }
}

pin_project! {
    /// The future of an [`AccessLog`] response: the inner service's, logged when it is
    /// ready.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        started: Instant,
        method: &'static str,
        route: String,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("method", &self.method)
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

impl<F, R, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<::http::Response<R>, E>>,
{
    type Output = Result<::http::Response<R>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let Poll::Ready(result) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        let micros = u64::try_from(this.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let (method, route) = (*this.method, this.route.as_str());
        if let Ok(response) = &result {
            let status = response.status().as_u16();
            if status >= 500 {
                tracing::error!(method, route, status, micros, "request answered");
            } else if status >= 400 {
                tracing::warn!(method, route, status, micros, "request answered");
            } else {
                tracing::info!(method, route, status, micros, "request answered");
            }
        } else {
            tracing::error!(method, route, micros, "request failed");
        }
        Poll::Ready(result)
    }
}

/// The method's name when it is a standard one; `OTHER` for any other token (a method is
/// client input too).
fn method_name(method: &::http::Method) -> &'static str {
    use ::http::Method as M;
    [
        (M::GET, "GET"),
        (M::POST, "POST"),
        (M::PUT, "PUT"),
        (M::DELETE, "DELETE"),
        (M::PATCH, "PATCH"),
        (M::HEAD, "HEAD"),
        (M::OPTIONS, "OPTIONS"),
        (M::CONNECT, "CONNECT"),
        (M::TRACE, "TRACE"),
    ]
    .into_iter()
    .find(|(m, _)| m == method)
    .map_or("OTHER", |(_, name)| name)
}
