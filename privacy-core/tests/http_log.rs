//! The HTTP access log (`privacy_core::http::AccessLogLayer`) around a tiny axum service:
//! each request is logged by its route template, method, status and latency, and never by
//! its path parameters, query string, `Authorization`, cookies or body.

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use privacy_core::http::{AccessLogLayer, RouteTemplate, UNMATCHED_ROUTE};
use privacy_core::testing::capture_logs;
use privacy_core::{assert_no_pii, PersonalData};
use tower::{Layer as _, ServiceExt as _};

/// What the client sends, as the leak scanner should look for it.
#[derive(PersonalData)]
struct Sent {
    #[personal(category = "contact.email")]
    email: String,
    #[personal(category = "account.password")]
    token: String,
    #[personal(category = "account.password")]
    cookie: String,
    #[personal(category = "contact.phone")]
    phone: String,
}

fn sent() -> Sent {
    Sent {
        email: "ada.lovelace@example.com".into(),
        token: "tok-5f1c9a7e2b".into(),
        cookie: "sid-93c1e6d0aa".into(),
        phone: "+1-415-555-0199".into(),
    }
}

fn app() -> Router {
    Router::new()
        .route("/users/{email}", get(|| async { "hello" }))
        .route(
            "/users/{email}/notes",
            post(|body: String| async move {
                (axum::http::StatusCode::CREATED, body.len().to_string())
            }),
        )
        .layer(AccessLogLayer::axum())
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn request(method: &str, uri: String, body: Body) -> axum::http::Request<Body> {
    let s = sent();
    axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {}", s.token))
        .header("cookie", format!("session={}", s.cookie))
        .header("content-type", "text/plain")
        .body(body)
        .unwrap()
}

#[test]
fn a_request_is_logged_by_its_route_template_and_nothing_the_client_sent() {
    let s = sent();
    let logs = capture_logs(|| {
        run(async {
            let uri = format!("/users/{}?phone={}&q={}", s.email, s.phone, s.email);
            let response = app()
                .oneshot(request("GET", uri, Body::empty()))
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let uri = format!("/users/{}/notes", s.email);
            let body = Body::from(format!("call me at {}", s.phone));
            let response = app().oneshot(request("POST", uri, body)).await.unwrap();
            assert_eq!(response.status(), 201);
        });
    });
    assert!(
        logs.contains(" INFO request{n=1 method=\"GET\" route=/users/{email}}: privacy_core::http::layer: request answered method=\"GET\" route=\"/users/{email}\" status=200 micros="),
        "{logs}"
    );
    assert!(
        logs.contains(
            "request answered method=\"POST\" route=\"/users/{email}/notes\" status=201 micros="
        ),
        "{logs}"
    );
    assert!(logs.contains("request answered"), "{logs}");
    assert_no_pii!(logs, &s);
    assert!(!logs.contains("example.com") && !logs.contains("Bearer") && !logs.contains("session"));
}

#[test]
fn an_unmatched_path_is_logged_with_the_placeholder_never_the_path() {
    let s = sent();
    let logs = capture_logs(|| {
        run(async {
            let uri = format!("/no/such/{}?email={}", s.email, s.email);
            let response = app()
                .oneshot(request("GET", uri, Body::empty()))
                .await
                .unwrap();
            assert_eq!(response.status(), 404);
        });
    });
    assert!(
        logs.contains(&format!(
            " WARN request{{n=1 method=\"GET\" route={UNMATCHED_ROUTE}}}: privacy_core::http::layer: request answered method=\"GET\" route=\"{UNMATCHED_ROUTE}\" status=404 micros="
        )),
        "{logs}"
    );
    assert_no_pii!(logs, &s);
}

#[test]
fn a_route_template_extension_is_logged_by_any_tower_service() {
    let s = sent();
    let logs = capture_logs(|| {
        run(async {
            let service = tower::service_fn(|_req: axum::http::Request<Body>| async {
                Ok::<_, std::convert::Infallible>(
                    axum::http::Response::builder()
                        .status(503)
                        .body(Body::empty())
                        .unwrap(),
                )
            });
            let mut req = request("GET", format!("/accounts/{}", s.email), Body::empty());
            req.extensions_mut()
                .insert(RouteTemplate::new("/accounts/{email}"));
            let response = AccessLogLayer::new()
                .layer(service)
                .oneshot(req)
                .await
                .unwrap();
            assert_eq!(response.status(), 503);
        });
    });
    assert!(
        logs.contains("ERROR request{n=1 method=\"GET\" route=/accounts/{email}}: privacy_core::http::layer: request answered method=\"GET\" route=\"/accounts/{email}\" status=503 micros="),
        "{logs}"
    );
    assert_no_pii!(logs, &s);
}
