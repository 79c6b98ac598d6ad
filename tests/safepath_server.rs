//! The SafePath HTTP service, started on a loopback port and driven with a real HTTP client:
//! the full lifecycle, another family's token, bad input, concurrent clients, and logs that
//! hold no personal value of any record created.

#[allow(dead_code)]
#[path = "../examples/safepath-server/server/mod.rs"]
mod server;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/safepath/service/mod.rs"]
mod service;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use privacy_core::testing::{CaptureWriter, LogCapture};
use privacy_core::{assert_no_pii, PersonalData, PersonalValue};
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
    state: std::sync::Arc<server::AppState>,
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
    let config = server::Config {
        db: dir.join("data.sqlite"),
        keys: keys(&dir),
        master_key: service::demo_master_key(),
        sweep_every: SWEEP_EVERY,
        max_body: 4 * 1024,
    };
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
        state,
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

    let markdown = server
        .client
        .get(server.url(&format!("/parents/{}/export", family.id)))
        .bearer_auth(&family.token)
        .header("accept", "text/markdown")
        .send()
        .await
        .unwrap();
    assert_eq!(
        markdown.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    let markdown = markdown.text().await.unwrap();
    assert!(markdown.starts_with("# Your personal data"));
    assert!(markdown.contains(&format!(
        "- **LocationPing** (on behalf of `{}`)",
        family.children[0]
    )));

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

    let (status, text) = server.export(&family, &family.token).await;
    assert_eq!(status, StatusCode::OK);
    let after: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(records(&after), [("Invoice".to_owned(), family.id.clone())]);
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
        (server.client.get(server.url(&format!("/parents/{}/export", f.id))).bearer_auth(&f.token).header("accept", "image/png"), StatusCode::NOT_ACCEPTABLE, "text/markdown"),
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
    #[derive(PersonalData)]
    struct Contact {
        #[personal(category = "contact.email")]
        email: String,
    }
    let logs = capture();
    let leaky = axum::Router::new().route(
        "/debug/echo",
        axum::routing::post(|body: String| async move {
            tracing::info!(body = %body, "echo");
            "ok"
        }),
    );
    let server = start_with("leaky-handler", leaky).await;
    let contact = Contact {
        email: "handler.leak@example.com".into(),
    };
    let response = server
        .client
        .post(server.url("/debug/echo"))
        .body(contact.email.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = logs.text();
    let caught = std::panic::catch_unwind(|| assert_no_pii!(text, &contact)).unwrap_err();
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("Contact.email <contact.email> found raw"),
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
    assert_eq!(records(&doc), [("Invoice".to_owned(), f.id.clone())]);
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
    let old = service::model::LocationPing {
        child_id: child,
        position: Some((1.0, 2.0)),
        recorded_at: std::time::SystemTime::now() - Duration::from_secs(31 * 24 * 3600),
        seq: 999_999,
    };
    // Counted under the same database lock as the save: the sweep may run any time after.
    let stored = server
        .state
        .db(move |v| {
            let subject = old.child_id.clone();
            v.save(&old)
                .map_err(|e| server::ApiError::internal("save", &e))?;
            v.of_subject::<service::model::LocationPing>(&subject)
                .map(|pings| pings.len())
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
