//! The HTTP boundary (feature `tower`): [`AccessLogLayer`], a tower layer that logs every
//! request by its route *template* with `tracing`, never by what the client sent.
//!
//! A raw request path is personal data more often than not (`/users/ada@example.com`,
//! `/children/c-81f2/pings?lat=37.77`), and so are the query string, the `Authorization`
//! header, cookies and bodies. The access log of a service is read by many people and kept
//! long; it should hold none of them. This layer logs, for each request:
//!
//! | field    | value                                                                 |
//! |----------|-----------------------------------------------------------------------|
//! | `method` | `GET`, `DELETE`, ... (an unusual method is logged as `OTHER`)         |
//! | `route`  | the route template (`/children/{id}/pings`), or [`UNMATCHED_ROUTE`]   |
//! | `status` | the response status (`200`); absent when the service failed           |
//! | `micros` | the time until the response head was ready, in microseconds          |
//! | `n`      | the request's number since the layer was built (on the span)          |
//!
//! It never reads the path, the query string, any header or the body. The route template
//! comes from the request's extensions: axum's `MatchedPath` with
//! [`AccessLogLayer::axum`] (feature `axum`), a [`RouteTemplate`] an earlier layer
//! inserted, or any lookup given to [`AccessLogLayer::route_from`]. When none is found
//! the route is logged as [`UNMATCHED_ROUTE`], never as the raw path.
//!
//! The handler runs inside a `request` span holding `n`, `method` and `route`, so what a
//! handler logs can be tied to its request. Responses of 5xx are logged at `ERROR`, 4xx at
//! `WARN`, others at `INFO`.
//!
//! ```
//! use privacy_core::http::{AccessLogLayer, RouteTemplate};
//! use tower::{Layer as _, ServiceExt as _};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // A tiny service; a web framework's router in a real one.
//! let service = tower::service_fn(|_req: http::Request<()>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(()))
//! });
//! let logged = AccessLogLayer::new().layer(service);
//! let mut request = http::Request::get("/users/ada@example.com?token=s3cret").body(()).unwrap();
//! request.extensions_mut().insert(RouteTemplate::new("/users/{email}"));
//! let response = logged.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! // Logged: method=GET route=/users/{email} status=200 micros=...: no email, no token.
//! # });
//! //! ```

mod layer;

pub use layer::{AccessLog, AccessLogLayer, ResponseFuture, RouteLookup, UNMATCHED_ROUTE};

/// A route template put in a request's extensions (by a router, or by a layer that knows
/// the route) for [`AccessLogLayer`] to log. Read by every lookup of the layer, before
/// the framework's own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTemplate(&'static str);

impl RouteTemplate {
    /// The template `template` (`/children/{id}/pings`): it must hold no request's values.
    pub const fn new(template: &'static str) -> RouteTemplate {
        RouteTemplate(template)
    }

    /// The template.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}
