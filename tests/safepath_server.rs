//! The SafePath HTTP service, started on a loopback port and driven with a real HTTP client:
//! the full lifecycle, requests and their ledger (`GET /requests/{id}`), another family's
//! token, bad input, concurrent clients, logs that hold no personal value of any record
//! created, and a deletion killed mid-way (SIGKILL of a child process running the server)
//! that completes when the server starts again.

#[allow(dead_code)]
#[path = "../examples/safepath-server/server/mod.rs"]
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use privacy_core::testing::{CaptureWriter, LogCapture};
use privacy_core::{assert_no_pii, PersonalValue};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// The service's own subscriber (JSON), writing into the captures: installed once, before
/// the first capture starts.
fn capture() -> LogCapture {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(CaptureWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    });
    LogCapture::start()
}

/// The retention sweep's period in these tests: often enough to see it work.
const SWEEP_EVERY: Duration = Duration::from_millis(200);

struct Server {
    base: String,
    dir: PathBuf,
    client: Client,
    /// The service's state when it runs in this process.
    state: Option<std::sync::Arc<server::AppState>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts the service on 127.0.0.1:0 with its own data and key files, plus extra routes.
async fn start_with(name: &str, extra: axum::Router) -> Server {
    let keys = |dir: &std::path::Path| server::KeyStore::Sqlite(dir.join("keys.sqlite"));
    start_with_keys(name, keys, extra).await
}

/// [`start_with`] with the key store `keys` gives for the server's directory.
async fn start_with_keys(
    name: &str,
    keys: impl FnOnce(&std::path::Path) -> server::KeyStore,
    extra: axum::Router,
) -> Server {
    let dir = std::env::temp_dir().join(format!("safepath-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = server::Config::new(
        dir.join("data.sqlite"),
        keys(&dir),
        server::demo_master_key(),
    );
    config.sweep_every = SWEEP_EVERY;
    config.max_body = 4 * 1024;
    let state = server::open(&config).await.unwrap();
    server::spawn_sweep(state.clone(), config.sweep_every);
    let app = server::router(state.clone(), config.max_body).merge(extra);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{addr}"),
        dir,
        client: Client::new(),
        state: Some(state),
    }
}

async fn start(name: &str) -> Server {
    start_with(name, axum::Router::new()).await
}

/// What the test sent for one family: the values to look for in logs and answers.
struct Family {
    id: String,
    token: String,
    children: Vec<String>,
    values: Vec<PersonalValue>,
}

fn value(
    record: &'static str,
    field: &'static str,
    category: privacy_core::Category,
    v: &str,
) -> PersonalValue {
    PersonalValue {
        record,
        field,
        category,
        value: v.to_owned(),
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (status, text) = self
            .send(reqwest::Method::POST, path, token, Some(body))
            .await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn export(&self, family: &Family, token: &str) -> (StatusCode, String) {
        self.send(
            reqwest::Method::GET,
            &format!("/parents/{}/export", family.id),
            Some(token),
            None,
        )
        .await
    }

    /// Signs a family up: a parent, two children, a device and `pings` pings per child.
    async fn family(&self, tag: &str, pings: usize) -> Family {
        use privacy_core::Category as C;
        let email = format!("{tag}.parent@example.com");
        let name = format!("Parent {tag}");
        let phone = "+1-415-555-0142".to_owned();
        let address = format!("{tag} Elm Street 12, Springfield");
        let (status, body) = self
            .post(
                "/parents",
                None,
                json!({
                    "name": name, "email": email, "phone": phone, "password": format!("hunter2-{tag}"),
                    "card_number": "4111 1111 1111 1111", "billing_address": address,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        let token = body["token"].as_str().unwrap().to_owned();
        let mut family = Family {
            id: id.clone(),
            token: token.clone(),
            children: Vec::new(),
            values: vec![
                value("ParentAccount", "id", C::IdentityAccountId, &id),
                value("ParentAccount", "email", C::ContactEmail, &email),
                value("ParentAccount", "name", C::IdentityName, &name),
                value(
                    "ParentAccount",
                    "billing_address",
                    C::ContactPostalAddress,
                    &address,
                ),
                value(
                    "ParentAccount",
                    "card_number",
                    C::FinancialCardNumber,
                    "4111111111111111",
                ),
                value(
                    "ParentAccount",
                    "password",
                    C::AccountPassword,
                    &format!("hunter2-{tag}"),
                ),
                value("Token", "token", C::AccountPassword, &token),
            ],
        };
        for (i, child_name) in ["Sofia", "Mateo"].iter().enumerate() {
            let child_name = format!("{child_name} {tag}");
            let (status, body) = self
                .post(
                    &format!("/parents/{id}/children"),
                    Some(&token),
                    json!({ "name": child_name, "birth_date": "2014-03-09" }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let child = body["id"].as_str().unwrap().to_owned();
            family
                .values
                .push(value("ChildProfile", "id", C::IdentityAccountId, &child));
            family
                .values
                .push(value("ChildProfile", "name", C::IdentityName, &child_name));
            let imei = format!("35693803564380{i}");
            let mac = format!("3c:22:fb:0{i}:aa:17");
            let (status, _) = self
                .post(
                    &format!("/children/{child}/checkins"),
                    Some(&token),
                    json!({ "imei": imei, "mac": mac, "ip": "198.51.100.23", "model": "Pixel 7" }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
            family
                .values
                .push(value("Device", "imei", C::DeviceId, &imei));
            family
                .values
                .push(value("Device", "mac", C::DeviceMacAddress, &mac));
            family.values.push(value(
                "Device",
                "last_ip",
                C::DeviceIpAddress,
                "198.51.100.23",
            ));
            for p in 0..pings {
                let lat = 37.773_972 + f64::from(u32::try_from(p).unwrap()) * 0.000_1;
                let (status, _) = self
                    .post(
                        &format!("/children/{child}/pings"),
                        Some(&token),
                        json!({ "lat": lat, "lon": -122.431_297 }),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED);
            }
            family.values.push(value(
                "LocationPing",
                "position",
                C::LocationPrecise,
                "122.431297",
            ));
            family.children.push(child);
        }
        family
    }
}

/// Each record of a right-to-know document and whom it is on behalf of (empty for the
/// requester's own records).
fn records(doc: &Value) -> Vec<(String, String)> {
    doc["records"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| {
                    (
                        r["record"].as_str().unwrap_or_default().to_owned(),
                        r["on_behalf_of"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn count(doc: &Value, record: &str) -> usize {
    records(doc).iter().filter(|(r, _)| r == record).count()
}

fn scanner(families: &[&Family]) -> privacy_core::testing::LeakScanner {
    privacy_core::testing::LeakScanner::from_values(
        families.iter().flat_map(|f| f.values.iter().cloned()),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_signs_up_exports_and_is_erased_and_the_logs_stay_clean() {
    let logs = capture();
    let server = start("lifecycle").await;
    let family = server.family("lifecycle", 3).await;
    let (status, _) = server
        .send(
            reqwest::Method::PUT,
            &format!("/parents/{}", family.id),
            Some(&family.token),
            Some(json!({ "plan": "premium" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, text) = server.export(&family, &family.token).await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["subject"]["id"], family.id.as_str());
    assert_eq!(
        doc["subject"]["dependents"],
        json!(family.children.iter().collect::<Vec<_>>().tap_sort())
    );
    assert_eq!(count(&doc, "ParentAccount"), 1);
    assert_eq!(count(&doc, "Invoice"), 1);
    assert_eq!(count(&doc, "ChildProfile"), 2);
    assert_eq!(count(&doc, "Device"), 2);
    assert_eq!(count(&doc, "LocationPing"), 6);
    assert!(records(&doc)
        .iter()
        .filter(|(r, _)| r == "LocationPing")
        .all(|(_, behalf)| family.children.contains(behalf)));
    assert!(text.contains("lifecycle.parent@example.com"));
    // The card number is never disclosed in an access response; the IP is stored anonymized.
    assert!(!text.contains("4111111111111111"));
    assert!(!text.contains("198.51.100.23") && text.contains("198.51.100.0"));

    // The same request engine writes the document as Markdown for a person to read.
    let markdown = server
        .client
        .get(server.url(&format!("/parents/{}/export", family.id)))
        .bearer_auth(&family.token)
        .header("accept", "text/markdown")
        .send()
        .await
        .unwrap();
    assert_eq!(markdown.status(), StatusCode::OK);
    assert!(markdown.headers().contains_key("x-request-id"));
    let markdown = markdown.text().await.unwrap();
    assert!(markdown.starts_with("# "), "{markdown}");
    assert!(markdown.contains("lifecycle.parent@example.com"));
    assert!(!markdown.contains("4111111111111111"));

    let (status, text) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/parents/{}", family.id),
            Some(&family.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let erased: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(erased["kept_records"], 1);
    assert_eq!(erased["deleted_records"], 1 + 1 + 2 + 2 + 6);
    assert_eq!(erased["already_erased"], false);
    assert_eq!(erased["shredded"], true);
    // The requester first, then the people in their care.
    let mut subjects = vec![family.id.clone()];
    subjects.extend(family.children.clone().tap_sort());
    assert_eq!(erased["subjects"], json!(subjects));
    assert!(is_request_id(&erased["request"]), "{erased}");
    assert_eq!(erased["report"]["request"], erased["request"]);

    let (status, text) = server.export(&family, &family.token).await;
    assert_eq!(status, StatusCode::OK);
    let after: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(records(&after), [("Invoice".to_owned(), String::new())]);
    assert!(!text.contains("lifecycle.parent@example.com"));

    let (status, text) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/parents/{}", family.id),
            Some(&family.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let again: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again["deleted_records"], 0);
    assert_eq!(again["already_erased"], true);

    let (status, _) = server
        .post(
            &format!("/children/{}/pings", family.children[0]),
            Some(&family.token),
            json!({"lat": 1.0, "lon": 2.0}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an erased child takes no more data"
    );

    let (status, text) = server
        .send(reqwest::Method::GET, "/inventory", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let inventory: Value = serde_json::from_str(&text).unwrap();
    assert!(inventory["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["record"] == "LocationPing" && f["field"] == "position"));
    let inventory = server
        .client
        .get(server.url("/inventory"))
        .header("accept", "text/markdown")
        .send()
        .await
        .unwrap();
    assert!(inventory.text().await.unwrap().contains("| LocationPing |"));

    let text = logs.text();
    assert!(
        text.contains(r#""route":"/children/{id}/pings""#),
        "the requests are logged"
    );
    assert!(
        text.contains("retention sweep done"),
        "the background sweep ran at start"
    );
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "every line is JSON"
    );
    let leaks = scanner(&[&family]).scan(&text);
    assert!(leaks.is_empty(), "{leaks:?}");
}

trait TapSort {
    fn tap_sort(self) -> Self;
}

impl<T: Ord> TapSort for Vec<T> {
    fn tap_sort(mut self) -> Self {
        self.sort();
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_familys_token_gets_404_and_learns_nothing() {
    let logs = capture();
    let server = start("families").await;
    let a = server.family("alpha", 1).await;
    let b = server.family("bravo", 1).await;
    let (_, before) = server.export(&a, &a.token).await;

    let child = &a.children[0];
    let attempts = [
        (
            reqwest::Method::GET,
            format!("/parents/{}/export", a.id),
            None,
        ),
        (
            reqwest::Method::PUT,
            format!("/parents/{}", a.id),
            Some(json!({ "plan": "x" })),
        ),
        (
            reqwest::Method::POST,
            format!("/parents/{}/children", a.id),
            Some(json!({ "name": "Eve", "birth_date": "2015-01-01" })),
        ),
        (
            reqwest::Method::PUT,
            format!("/children/{child}"),
            Some(json!({ "name": "Eve" })),
        ),
        (
            reqwest::Method::POST,
            format!("/children/{child}/pings"),
            Some(json!({ "lat": 1.0, "lon": 1.0 })),
        ),
        (reqwest::Method::DELETE, format!("/children/{child}"), None),
        (reqwest::Method::DELETE, format!("/parents/{}", a.id), None),
    ];
    let (_, unknown) = server
        .send(
            reqwest::Method::GET,
            "/parents/p-0000000000000000/export",
            Some(&b.token),
            None,
        )
        .await;
    for (method, path, body) in attempts {
        let (status, text) = server
            .send(method.clone(), &path, Some(&b.token), body.clone())
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            text, unknown,
            "the answer is the one for an id that does not exist"
        );
        assert!(scanner(&[&a]).is_clean(&text));
        let (status, _) = server.send(method, &path, None, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (_, after) = server.export(&a, &a.token).await;
    let strip = |t: &str| {
        let mut v: Value = serde_json::from_str(t).unwrap();
        v.as_object_mut().unwrap().remove("generated_at");
        v
    };
    assert_eq!(strip(&before), strip(&after), "nothing of family A changed");
    assert_no_pii_values(&logs.text(), &[&a, &b]);
}

fn assert_no_pii_values(text: &str, families: &[&Family]) {
    let leaks = scanner(families).scan(text);
    assert!(
        leaks.is_empty(),
        "{}",
        leaks
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_4xx_and_change_nothing() {
    let logs = capture();
    let server = start("bad-input").await;
    let f = server.family("badinput", 1).await;
    let (_, before) = server.export(&f, &f.token).await;
    let pings = format!("/children/{}/pings", f.children[0]);
    let raw = |body: &'static str, content_type: &'static str| {
        server
            .client
            .post(server.url(&pings))
            .bearer_auth(&f.token)
            .header("content-type", content_type)
            .body(body)
    };
    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (raw("{\"lat\": 1.0, ", "application/json"), StatusCode::BAD_REQUEST, "not valid JSON"),
        (raw("{\"lat\": \"north\", \"lon\": 2}", "application/json"), StatusCode::BAD_REQUEST, "expected fields"),
        (raw("{\"lat\": 1, \"lon\": 2, \"secret\": 3}", "application/json"), StatusCode::BAD_REQUEST, "expected fields"),
        (raw("{\"lat\": 91, \"lon\": 2}", "application/json"), StatusCode::BAD_REQUEST, "within"),
        (raw("lat=1&lon=2", "application/x-www-form-urlencoded"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json"),
        (
            server.client.post(server.url(&pings)).bearer_auth(&f.token).header("content-type", "application/json").body(format!("{{\"lat\": 1, \"lon\": 2, \"pad\": \"{}\"}}", "x".repeat(8 * 1024))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too large",
        ),
        (
            server.client.post(server.url("/children/c-ffffffffffffffff/pings")).bearer_auth(&f.token).json(&json!({"lat": 1, "lon": 2})),
            StatusCode::NOT_FOUND,
            "no such resource",
        ),
        (
            server.client.post(server.url(&format!("/parents/{}/children", f.id))).bearer_auth(&f.token).json(&json!({"name": "X", "birth_date": "2014-13-40"})),
            StatusCode::BAD_REQUEST,
            "YYYY-MM-DD",
        ),
        (server.client.post(server.url("/parents")).json(&json!({"name": "X", "email": "not-an-email", "phone": "1", "password": "p", "card_number": "4111111111111111", "billing_address": "a"})), StatusCode::BAD_REQUEST, "email"),
        (server.client.get(server.url("/no/such/path")), StatusCode::NOT_FOUND, "no such resource"),
        (server.client.get(server.url(&format!("/parents/{}/export", f.id))).bearer_auth(&f.token).header("accept", "image/png"), StatusCode::NOT_ACCEPTABLE, "application/json"),
        (server.client.get(server.url("/inventory")).header("accept", "image/png"), StatusCode::NOT_ACCEPTABLE, "text/markdown"),
        (server.client.get(server.url("/requests/0123456789abcdef0123456789abcdef")).bearer_auth(&f.token), StatusCode::NOT_FOUND, "no such resource"),
        (server.client.get(server.url("/requests/not-an-id")).bearer_auth(&f.token), StatusCode::NOT_FOUND, "no such resource"),
        (server.client.get(server.url("/requests/0123456789abcdef0123456789abcdef")), StatusCode::UNAUTHORIZED, "Bearer"),
        (server.client.get(server.url(&format!("/parents/{}/export", f.id))).bearer_auth("not-a-token"), StatusCode::UNAUTHORIZED, "Bearer"),
    ];
    for (request, status, says) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(says), "{body}");
        assert!(
            !body.to_string().contains("north"),
            "the answer quotes nothing sent"
        );
    }
    let (_, after) = server.export(&f, &f.token).await;
    let strip = |t: &str| {
        let mut v: Value = serde_json::from_str(t).unwrap();
        v.as_object_mut().unwrap().remove("generated_at");
        v
    };
    assert_eq!(strip(&before), strip(&after), "nothing changed");
    let text = logs.text();
    assert!(text.contains(r#""status":413"#) && text.contains(r#""status":415"#));
    assert_no_pii_values(&text, &[&f]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_from_eight_clients_lose_nothing() {
    let _logs = capture();
    let server = start("concurrent").await;
    let f = server.family("concurrent", 0).await;
    let mut tasks = Vec::new();
    for client in 0..8u32 {
        let http = Client::new();
        let token = f.token.clone();
        let children = f.children.clone();
        let base = server.base.clone();
        tasks.push(tokio::spawn(async move {
            let mut created = 0;
            for i in 0..25u32 {
                let child = &children[usize::try_from(i % 2).unwrap()];
                let response = http
                    .post(format!("{base}/children/{child}/pings"))
                    .bearer_auth(&token)
                    .json(&json!({ "lat": f64::from(client), "lon": f64::from(i) }))
                    .send()
                    .await
                    .unwrap();
                if response.status() == StatusCode::CREATED {
                    created += 1;
                }
            }
            created
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += t.await.unwrap();
    }
    assert_eq!(created, 200);
    let (_, text) = server.export(&f, &f.token).await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(count(&doc, "LocationPing"), 200);
}

/// A handler that logs a raw value: the capture sees it, though it runs on a runtime worker
/// and is written by the service's JSON subscriber.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_from_a_handler_is_caught() {
    // A record of the server's own model: a type of this test would be a `PersonalData`
    // type no data map holds, and the server would refuse to start.
    let logs = capture();
    let leaky = axum::Router::new().route(
        "/debug/echo",
        axum::routing::post(|body: String| async move {
            tracing::info!(body = %body, "echo");
            "ok"
        }),
    );
    let server = start_with("leaky-handler", leaky).await;
    let contact = server::model::MarketingPreference {
        parent_id: "handler.leak@example.com".into(),
        opted_out: None,
    };
    let response = server
        .client
        .post(server.url("/debug/echo"))
        .body(contact.parent_id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = logs.text();
    let caught = std::panic::catch_unwind(|| assert_no_pii!(text, &contact)).unwrap_err();
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("MarketingPreference.parent_id <identity.account_id> found raw"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_erases_one_child_and_keeps_the_other() {
    let logs = capture();
    let server = start("child-erasure").await;
    let f = server.family("childerasure", 2).await;
    let (gone, kept) = (&f.children[0], &f.children[1]);
    let (status, text) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/children/{gone}"),
            Some(&f.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let erased: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(erased["subjects"], json!([gone]));
    assert_eq!(erased["deleted_records"], 1 + 1 + 2);
    assert!(
        !text.contains("childerasure"),
        "the report names fields, never values"
    );

    let (_, text) = server.export(&f, &f.token).await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    let behalf: Vec<_> = records(&doc).into_iter().map(|(_, b)| b).collect();
    assert!(!behalf.contains(gone) && behalf.contains(kept));
    assert_eq!(count(&doc, "ParentAccount"), 1);
    assert_eq!(count(&doc, "LocationPing"), 2);

    let (status, text) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/children/{gone}"),
            Some(&f.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["already_erased"],
        true
    );
    assert_no_pii_values(&logs.text(), &[&f]);
}

/// The key store on PostgreSQL (`PRIVACY_TEST_POSTGRES_URL`), in a schema of its own: the
/// lifecycle works the same, the shred included.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_store_can_live_in_postgresql() {
    let Some(url) = std::env::var("PRIVACY_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: PRIVACY_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("safepath_server_{}", std::process::id());
    let keys = {
        let (url, schema) = (url.clone(), schema.clone());
        move |_: &std::path::Path| server::KeyStore::Postgres { url, schema }
    };
    let server = start_with_keys("postgres", keys, axum::Router::new()).await;
    let f = server.family("postgres", 1).await;
    let (_, text) = server.export(&f, &f.token).await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(count(&doc, "ChildProfile"), 2);
    assert!(text.contains("postgres.parent@example.com"));
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/parents/{}", f.id),
            Some(&f.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, text) = server.export(&f, &f.token).await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(records(&doc), [("Invoice".to_owned(), String::new())]);
    tokio::task::spawn_blocking(move || {
        let mut client = postgres_client::Client::connect(&url, postgres_client::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
    })
    .await
    .unwrap();
}

/// The background retention sweep deletes a location ping older than its 30 days, and
/// leaves the fresh ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_sweep_deletes_pings_past_their_retention() {
    let server = start("sweep").await;
    let f = server.family("sweep", 1).await;
    let child = f.children[0].clone();
    let old = server::model::LocationPing {
        child_id: child,
        position: Some((1.0, 2.0)),
        recorded_at: std::time::SystemTime::now() - Duration::from_secs(31 * 24 * 3600),
        seq: 999_999,
    };
    let stored = server
        .state
        .as_ref()
        .unwrap()
        .blocking(move |s| {
            let pings = s
                .requests
                .map()
                .records::<server::model::LocationPing>()
                .map_err(|e| server::ApiError::internal("map", &e))?;
            pings
                .save(s.requests.keyring(), &old)
                .map_err(|e| server::ApiError::internal("save", &e))?;
            pings
                .count(&old.child_id)
                .map_err(|e| server::ApiError::internal("count", &e))
        })
        .await
        .unwrap();
    // This child's fresh ping and the old one (the family export counts both children's).
    assert_eq!(stored, 2, "the old ping is stored");
    let pings = || async {
        let (_, text) = server.export(&f, &f.token).await;
        count(&serde_json::from_str(&text).unwrap(), "LocationPing")
    };
    let mut left = 3;
    for _ in 0..50 {
        tokio::time::sleep(SWEEP_EVERY).await;
        left = pings().await;
        if left == 2 {
            break;
        }
    }
    assert_eq!(
        left, 2,
        "the sweep deleted the expired ping and kept the fresh ones"
    );
}

/// A request id as the ledger makes them: 128 random bits in hex.
fn is_request_id(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `v` is an RFC 3339 time in UTC, whole seconds: `2025-01-31T09:12:00Z`.
fn is_rfc3339(v: &Value) -> bool {
    v.as_str().is_some_and(|t| {
        let b = t.as_bytes();
        b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z'
            && b.iter()
                .enumerate()
                .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
    })
}

impl Server {
    async fn request_status(&self, id: &str, token: &str) -> (StatusCode, String) {
        self.send(
            reqwest::Method::GET,
            &format!("/requests/{id}"),
            Some(token),
            None,
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_have_ids_and_get_requests_tells_the_family_where_they_stand() {
    let logs = capture();
    let server = start("ledger").await;
    let a = server.family("ledgera", 1).await;
    let b = server.family("ledgerb", 1).await;

    let response = server
        .client
        .get(server.url(&format!("/parents/{}/export", a.id)))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    let access = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(is_request_id(&json!(access)));
    let _ = response.text().await.unwrap();
    let (status, text) = server.request_status(&access, &a.token).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let state: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state["request"], access.as_str());
    assert_eq!(state["kind"], "access");
    assert_eq!(state["state"], "completed");

    let (status, text) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/parents/{}", a.id),
            Some(&a.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let deletion = serde_json::from_str::<Value>(&text).unwrap()["request"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(deletion, access);
    let (status, text) = server.request_status(&deletion, &a.token).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let state: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state["kind"], "deletion");
    assert_eq!(state["state"], "completed");
    for field in ["received_at", "due_at", "verified_at", "completed_at"] {
        assert!(is_rfc3339(&state[field]), "{field}: {state}");
    }
    assert!(state["due_at"].as_str() > state["received_at"].as_str());
    assert!(state["completed_at"].as_str() >= state["received_at"].as_str());
    assert_eq!(state["regime"], "gdpr");
    assert_eq!(state["extended"], false);
    assert_eq!(state["failure"], Value::Null);
    assert_eq!(state["report_digest"].as_str().map(str::len), Some(64));

    // Another family's request ids answer exactly as unknown ids.
    let (_, unknown) = server
        .request_status("0123456789abcdef0123456789abcdef", &b.token)
        .await;
    for id in [&access, &deletion] {
        let (status, text) = server.request_status(id, &b.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(text, unknown);
        let (status, _) = server
            .send(reqwest::Method::GET, &format!("/requests/{id}"), None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_no_pii_values(&logs.text(), &[&a, &b]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_is_streamed_in_chunks_and_carries_its_request_id() {
    let server = start("streamed").await;
    let f = server.family("streamed", 0).await;
    let child = f.children[0].clone();
    // Many pings, stored directly: the document is far larger than one write buffer.
    server
        .state
        .as_ref()
        .unwrap()
        .blocking(move |s| {
            let pings: Vec<_> = (0..1500u32)
                .map(|seq| server::model::LocationPing {
                    child_id: child.clone(),
                    position: Some((37.7, -122.4)),
                    recorded_at: std::time::SystemTime::now(),
                    seq,
                })
                .collect();
            s.requests
                .map()
                .records::<server::model::LocationPing>()
                .and_then(|r| r.save_all(s.requests.keyring(), &pings))
                .map(|_| ())
                .map_err(|e| server::ApiError::internal("save", &e))
        })
        .await
        .unwrap();
    let mut response = server
        .client
        .get(server.url(&format!("/parents/{}/export", f.id)))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed"
    );
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (mut chunks, mut body) = (0, Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    assert!(chunks > 4, "{chunks} chunks");
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(count(&doc, "LocationPing"), 1500);
    let (_, text) = server.request_status(&id, &f.token).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["state"],
        "completed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invoice_card_number_is_kept_and_readable_after_the_familys_erasure() {
    let server = start("retained").await;
    let f = server.family("retained", 1).await;
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &format!("/parents/{}", f.id),
            Some(&f.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = f.id.clone();
    let (invoices, parents) = server
        .state
        .as_ref()
        .unwrap()
        .blocking(move |s| {
            let fail =
                |e: privacy_core::requests::RequestError| server::ApiError::internal("read", &e);
            let map = s.requests.map();
            let invoices = map
                .records::<server::model::Invoice>()
                .map_err(fail)?
                .subject_records(s.requests.keyring(), &id)
                .collect::<Result<Vec<_>, _>>()
                .map_err(fail)?;
            let parents = map
                .records::<server::model::ParentAccount>()
                .map_err(fail)?
                .count(&id)
                .map_err(fail)?;
            Ok((invoices, parents))
        })
        .await
        .unwrap();
    assert_eq!(parents, 0, "the account is gone");
    assert_eq!(invoices.len(), 1, "the invoice is kept");
    let invoice = &invoices[0].record;
    assert_eq!(
        invoice.card_number, "4111111111111111",
        "and its card number readable"
    );
    assert_eq!(invoice.amount_cents, 499);
    // The right-to-know answer lists the invoice and withholds the card number.
    let (_, text) = server.export(&f, &f.token).await;
    assert!(text.contains("\"Invoice\"") && !text.contains("4111111111111111"));
}

#[test]
fn the_data_map_holds_every_personal_data_type_of_the_server() {
    let dir = std::env::temp_dir().join(format!("safepath-server-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store: std::sync::Arc<dyn privacy_core::requests::RecordStore> = std::sync::Arc::new(
        privacy_core::requests::SqliteRecordStore::open(dir.join("map.sqlite")).unwrap(),
    );
    let checked = server::data_map::declare(&store, 100).check();
    let _ = std::fs::remove_dir_all(&dir);
    checked.unwrap();
}

// ---- A deletion killed mid-way, resumed at the next start-up ---------------------------

/// Set in the child process: the directory of the server's files.
const CHILD_DIR: &str = "SAFEPATH_SERVER_CHILD_DIR";
/// Set in the child process: stall the record store at this delete batch.
const CHILD_STALL: &str = "SAFEPATH_SERVER_CHILD_STALL";

/// The child side of the kill test: this test binary run again with [`CHILD_DIR`] set
/// serves the SafePath server (does nothing in a normal run). It starts the way the
/// example's `main` does (`server::serve`), with record batches of 5 and, with
/// [`CHILD_STALL`], a record store that stalls at that delete batch; it writes its port
/// to `port` once it listens.
#[test]
fn server_child_process() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stdout)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut config = server::Config::new(
            dir.join("data.sqlite"),
            server::KeyStore::Sqlite(dir.join("keys.sqlite")),
            server::demo_master_key(),
        );
        config.batch = 5;
        config.stall = std::env::var(CHILD_STALL).ok().map(|n| server::Stall {
            after_deletes: n.parse().unwrap(),
            marker: dir.join("stalled"),
        });
        let state = server::open(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        std::fs::write(dir.join("port.tmp"), port.to_string()).unwrap();
        std::fs::rename(dir.join("port.tmp"), dir.join("port")).unwrap();
        axum::serve(listener, server::router(state, config.max_body))
            .await
            .unwrap();
    });
}

/// A server process of the kill test.
struct Child {
    process: std::process::Child,
    server: Server,
}

impl Child {
    /// Starts the server in a child process on `dir`'s files; waits until it listens.
    async fn start(dir: &std::path::Path, stall: Option<u64>, log: &str) -> Child {
        let _ = std::fs::remove_file(dir.join("port"));
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "server_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir)
            .stdout(std::fs::File::create(dir.join(log)).unwrap())
            .stderr(std::process::Stdio::null());
        if let Some(n) = stall {
            command.env(CHILD_STALL, n.to_string());
        }
        let process = command.spawn().unwrap();
        let mut port = None;
        for _ in 0..600 {
            if let Ok(p) = std::fs::read_to_string(dir.join("port")) {
                port = Some(p);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let port = port.expect("the child server listens within 30 s");
        Child {
            process,
            server: Server {
                base: format!("http://127.0.0.1:{port}"),
                dir: std::env::temp_dir().join("safepath-server-kill-unused"),
                client: Client::new(),
                state: None,
            },
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(mut self) {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_killed_mid_way_completes_when_the_server_starts_again() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("safepath-server-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // Deletes run in batches of 5: the parent's account and preference (1, 2), then per
    // child its profile (3), device (4) and 20 pings (5 to 8). The store stalls at the 6th
    // delete, half-way through the first child's pings; the test then kills the process.
    let first = Child::start(&dir, Some(6), "first.log").await;
    let f = first.server.family("killed", 20).await;
    let other = first.server.family("survivor", 2).await;
    let delete = {
        let (client, url, token) = (
            first.server.client.clone(),
            first.server.url(&format!("/parents/{}", f.id)),
            f.token.clone(),
        );
        tokio::spawn(async move { client.delete(url).bearer_auth(token).send().await })
    };
    let mut stalled = false;
    for _ in 0..600 {
        if dir.join("stalled").exists() {
            stalled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stalled, "the deletion reached the 6th delete batch");
    first.kill();
    assert!(
        delete.await.unwrap().is_err(),
        "the client got no answer: the server died mid-request"
    );

    // The ledger holds the request, in progress; some of the family's records are gone,
    // some are not.
    let id = {
        use privacy_core::requests::{Ledger as _, RequestKind, RequestState, SqliteLedger};
        let ledger = SqliteLedger::open(dir.join("data.sqlite")).unwrap();
        let unfinished = ledger.unfinished(RequestKind::Deletion).unwrap();
        assert_eq!(unfinished.len(), 1);
        let request = ledger.get(&unfinished[0]).unwrap().unwrap();
        assert_eq!(request.state, RequestState::InProgress);
        assert_eq!(request.subject_id, f.id);
        request.id
    };

    // Started again, the server completes it before it serves.
    let second = Child::start(&dir, None, "second.log").await;
    let (status, text) = second.server.request_status(&id, &f.token).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let state: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state["state"], "completed", "{state}");
    assert!(is_rfc3339(&state["completed_at"]));
    let (_, text) = second.server.export(&f, &f.token).await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(records(&doc), [("Invoice".to_owned(), String::new())]);
    // The other family is whole.
    let (_, text) = second.server.export(&other, &other.token).await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(count(&doc, "LocationPing"), 4);
    assert_eq!(count(&doc, "ChildProfile"), 2);
    // A retry finds nothing left.
    let (status, text) = second
        .server
        .send(
            reqwest::Method::DELETE,
            &format!("/parents/{}", f.id),
            Some(&f.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let again: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again["already_erased"], true);
    assert_eq!(again["deleted_records"], 0);
    second.kill();

    let logs = [
        std::fs::read_to_string(dir.join("first.log")).unwrap(),
        std::fs::read_to_string(dir.join("second.log")).unwrap(),
    ]
    .concat();
    assert!(logs.contains("interrupted deletions resumed"), "{logs}");
    assert_no_pii_values(&logs, &[&f, &other]);
    let _ = std::fs::remove_dir_all(&dir);
}
