//! The endpoints. Each checks its input and its token before touching the database, and
//! answers another family's ids exactly as ids that do not exist (404). Right-to-know and
//! deletion requests go through the request engine and its ledger; none of these handlers
//! lists record types.

use std::io::{self, Write as _};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use privacy_core::anonymize;
use privacy_core::inventory::Inventory;
use privacy_core::requests::{
    DeletionReport, Records, Request, RequestError, RequestKind, Storable, SubjectRef,
};
use privacy_core::PersonalData;
use serde_json::{json, Value};

use super::error::ApiError;
use super::input::{self, Format};
use super::model::{
    ChildProfile, Device, Invoice, LocationPing, MarketingPreference, ParentAccount,
};
use super::AppState;

type Shared = State<Arc<AppState>>;
type BodyBytes = Result<Bytes, BytesRejection>;
type Created = (StatusCode, Json<Value>);

/// The response header carrying the id of the request an answer belongs to.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// `POST /parents`: signs a parent up; answers their id and bearer token.
pub async fn sign_up(
    State(state): Shared,
    headers: HeaderMap,
    body: BodyBytes,
) -> Result<Created, ApiError> {
    let form: input::SignUp = input::json(&headers, body)?;
    let card: String = form.card_number.chars().filter(|c| *c != ' ').collect();
    if !(12..=19).contains(&card.len()) || !card.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(
            "`card_number` must hold 12 to 19 digits".into(),
        ));
    }
    let now = SystemTime::now();
    let id = format!("p-{}", input::random_hex(8)?);
    let token = input::random_hex(32)?;
    let name = input::text("name", &form.name)?;
    let billing_address = input::text("billing_address", &form.billing_address)?;
    let parent = ParentAccount {
        id: id.clone(),
        name: name.clone(),
        email: input::email(&form.email)?,
        phone: input::text("phone", &form.phone)?,
        // A stand-in: a real service uses a password hash such as Argon2id.
        password_hash: format!(
            "sha256:{}",
            input::hash(&input::text("password", &form.password)?)
        ),
        card_number: card.clone(),
        billing_address: billing_address.clone(),
        created_at: now,
        plan: input::text("plan", form.plan.as_deref().unwrap_or("family"))?,
    };
    let invoice = Invoice {
        parent_id: id.clone(),
        billed_name: name,
        billed_address: billing_address,
        card_number: card,
        issued_at: now,
        number: format!("inv-{}", input::random_hex(6)?),
        amount_cents: 499,
    };
    let preference = MarketingPreference {
        parent_id: id.clone(),
        opted_out: None,
    };
    let token_hash = input::hash(&token);
    let stored_id = id.clone();
    state
        .blocking(move |s| {
            save(s, &parent)?;
            save(s, &preference)?;
            save(s, &invoice)?;
            s.directory.add_token(&token_hash, &stored_id)
        })
        .await?;
    tracing::info!("parent signed up");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "token": token })),
    ))
}

/// `PUT /parents/{id}`: changes the parent's account.
pub async fn update_parent(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: BodyBytes,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let change: input::ParentUpdate = input::json(&headers, body)?;
    let optional =
        |name: &'static str, v: Option<&str>| v.map(|v| input::text(name, v)).transpose();
    let name = optional("name", change.name.as_deref())?;
    let email = change.email.as_deref().map(input::email).transpose()?;
    let phone = optional("phone", change.phone.as_deref())?;
    let address = optional("billing_address", change.billing_address.as_deref())?;
    let plan = optional("plan", change.plan.as_deref())?;
    state
        .blocking(move |s| {
            own_parent(s, &token, &id)?;
            let (record_id, mut parent) = one::<ParentAccount>(s, &id)?;
            parent.name = name.unwrap_or(parent.name);
            parent.email = email.unwrap_or(parent.email);
            parent.phone = phone.unwrap_or(parent.phone);
            parent.billing_address = address.unwrap_or(parent.billing_address);
            parent.plan = plan.unwrap_or(parent.plan);
            replace(s, &record_id, &parent)
        })
        .await?;
    tracing::info!("parent account updated");
    Ok(Json(json!({ "updated": true })))
}

/// `POST /parents/{id}/children`: adds a child profile.
pub async fn add_child(
    State(state): Shared,
    Path(parent_id): Path<String>,
    headers: HeaderMap,
    body: BodyBytes,
) -> Result<Created, ApiError> {
    let token = input::token_hash(&headers)?;
    let form: input::ChildInput = input::json(&headers, body)?;
    let name = input::text("name", form.name.as_deref().unwrap_or(""))?;
    let birth_date = input::date("birth_date", form.birth_date.as_deref().unwrap_or(""))?;
    let id = format!("c-{}", input::random_hex(8)?);
    let child = ChildProfile {
        id: id.clone(),
        parent_id: parent_id.clone(),
        name,
        birth_date,
        created_at: SystemTime::now(),
    };
    state
        .blocking(move |s| {
            own_parent(s, &token, &parent_id)?;
            exists::<ParentAccount>(s, &parent_id)?;
            s.directory.add_child(&child.id, &parent_id)?;
            save(s, &child)
        })
        .await?;
    tracing::info!("child profile added");
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `PUT /children/{id}`: changes a child profile.
pub async fn update_child(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: BodyBytes,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let change: input::ChildInput = input::json(&headers, body)?;
    let name = change
        .name
        .as_deref()
        .map(|v| input::text("name", v))
        .transpose()?;
    let birth_date = change
        .birth_date
        .as_deref()
        .map(|v| input::date("birth_date", v))
        .transpose()?;
    state
        .blocking(move |s| {
            own_child(s, &token, &id)?;
            let (record_id, mut child) = one::<ChildProfile>(s, &id)?;
            child.name = name.unwrap_or(child.name);
            child.birth_date = birth_date.unwrap_or(child.birth_date);
            replace(s, &record_id, &child)
        })
        .await?;
    tracing::info!("child profile updated");
    Ok(Json(json!({ "updated": true })))
}

/// `POST /children/{id}/pings`: records a position of the child's phone.
pub async fn ping(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: BodyBytes,
) -> Result<Created, ApiError> {
    let token = input::token_hash(&headers)?;
    let p: input::Ping = input::json(&headers, body)?;
    if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
        return Err(ApiError::BadRequest(
            "`lat` must be within ±90 and `lon` within ±180".into(),
        ));
    }
    let seq = state
        .blocking(move |s| {
            own_child(s, &token, &id)?;
            exists::<ChildProfile>(s, &id)?;
            let seq = s.directory.next("ping_seq")?;
            save(
                s,
                &LocationPing {
                    child_id: id,
                    position: Some((p.lat, p.lon)),
                    recorded_at: SystemTime::now(),
                    seq,
                },
            )?;
            Ok(seq)
        })
        .await?;
    tracing::debug!(seq, "location ping stored");
    Ok((StatusCode::CREATED, Json(json!({ "seq": seq }))))
}

/// `POST /children/{id}/checkins`: a device check-in; the IP address is anonymized before
/// it is stored (the policy promises IP addresses are kept only anonymized).
pub async fn check_in(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: BodyBytes,
) -> Result<Created, ApiError> {
    let token = input::token_hash(&headers)?;
    let c: input::CheckIn = input::json(&headers, body)?;
    let imei = input::text("imei", &c.imei)?;
    let mac = input::text("mac", &c.mac)?;
    let model = input::text("model", &c.model)?;
    state
        .blocking(move |s| {
            own_child(s, &token, &id)?;
            exists::<ChildProfile>(s, &id)?;
            save(
                s,
                &Device {
                    owner_id: id,
                    imei,
                    mac,
                    last_ip: anonymize::ip(c.ip),
                    registered_at: SystemTime::now(),
                    model,
                },
            )
        })
        .await?;
    tracing::info!("device checked in");
    Ok((StatusCode::CREATED, Json(json!({ "checked_in": true }))))
}

/// `GET /parents/{id}/export`: the right-to-know answer for the parent and, on their behalf,
/// their children: an access request, recorded in the ledger (its id in the `x-request-id`
/// header) and answered by the engine, whose JSON document is streamed to the client as it
/// is written, a page of records at a time. A document an error interrupts ends with the
/// engine's `INCOMPLETE_MARKER`: it never parses as a whole answer.
pub async fn export(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = input::token_hash(&headers)?;
    let format = input::format(&headers)?;
    let request = state
        .blocking(move |s| {
            own_parent(s, &token, &id)?;
            receive(s, RequestKind::Access, parent_subject(&id), &id)
        })
        .await?;
    let header_value =
        HeaderValue::from_str(&request.id).map_err(|e| ApiError::internal("request id", &e))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(4);
    let engine = Arc::clone(&state);
    tokio::task::spawn_blocking(move || {
        let out = io::BufWriter::with_capacity(16 * 1024, ChannelWriter(tx));
        let answered = match format {
            input::Format::Json => engine.requests.access(&request.id, out),
            input::Format::Markdown => engine.requests.access_markdown(&request.id, out),
        };
        match answered {
            Ok(mut out) => {
                if out.flush().is_err() {
                    tracing::warn!("the client went away before the end of the answer");
                }
            }
            Err(e) => tracing::error!(error = %e, "right-to-know answer interrupted"),
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    tracing::info!("right-to-know request received");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(match format {
                    input::Format::Json => "application/json",
                    input::Format::Markdown => "text/markdown; charset=utf-8",
                }),
            ),
            (
                header::HeaderName::from_static(REQUEST_ID_HEADER),
                header_value,
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `DELETE /parents/{id}`: a deletion request for the parent and every child in their
/// care, recorded in the ledger, verified by the bearer token and run by the engine:
/// erased record by record, kept where a legal basis says so (the invoice), keys shredded.
/// Answers the request id and the report's summary. A second call is a new request that
/// finds nothing left (`already_erased`).
pub async fn delete_parent(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let answer = state
        .blocking(move |s| {
            own_parent(s, &token, &id)?;
            delete(s, parent_subject(&id), &id)
        })
        .await?;
    tracing::info!("deletion request answered");
    Ok(Json(answer))
}

/// `DELETE /children/{id}`: a deletion request for one child (the parent acting for them),
/// run like [`delete_parent`]'s.
pub async fn delete_child(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let answer = state
        .blocking(move |s| {
            let parent = own_child(s, &token, &id)?;
            let subject = SubjectRef::new(ChildProfile::schema().subject_kind, id);
            delete(s, subject, &parent)
        })
        .await?;
    tracing::info!("deletion request for a child answered");
    Ok(Json(answer))
}

/// `GET /requests/{id}`: where one of the family's requests stands:
///
/// ```json
/// {"request": "9f0c…", "kind": "deletion", "state": "completed",
///  "received_at": "2025-01-31T09:12:00Z", "due_at": "2025-03-02T09:12:00Z",
///  "verified_at": "2025-01-31T09:12:00Z", "completed_at": "2025-01-31T09:12:01Z",
///  "extended": false, "regime": "gdpr", "failure": null, "report_digest": "5be1…"}
/// ```
///
/// Times are RFC 3339 in UTC, whole seconds (as the ledger keeps them); `completed_at`,
/// `verified_at`, `failure` and `report_digest` are `null` until set. Another family's
/// request answers 404, exactly like an unknown id.
pub async fn request_status(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let request = state
        .blocking(move |s| {
            let parent = s.directory.token_owner(&token)?;
            if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::NotFound);
            }
            let request = match s.requests.request(&id) {
                Ok(request) => request,
                Err(RequestError::UnknownRequest) => return Err(ApiError::NotFound),
                Err(e) => return Err(ApiError::internal("read request", &e)),
            };
            if request.requester == parent {
                Ok(request)
            } else {
                Err(ApiError::NotFound)
            }
        })
        .await?;
    Ok(Json(json!({
        "request": request.id,
        "kind": request.kind.as_str(),
        "state": request.state.as_str(),
        "received_at": rfc3339(request.received_at),
        "due_at": rfc3339(request.due_at),
        "verified_at": request.verified_at.map(rfc3339),
        "completed_at": request.completed_at.map(rfc3339),
        "extended": request.extended,
        "regime": request.regime.to_text(),
        "failure": request.failure,
        "report_digest": request.report_digest,
    })))
}

/// `GET /inventory`: the data inventory (GDPR Art. 30) of every type of the data map, JSON
/// or Markdown.
pub async fn inventory(State(state): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    let format = input::format(&headers)?;
    let mut inventory = Inventory::new();
    for schema in state.requests.map().schemas() {
        inventory = inventory
            .add_schema(schema)
            .map_err(|e| ApiError::internal("inventory", &e))?;
    }
    Ok(match format {
        Format::Json => Json(inventory.to_json()).into_response(),
        Format::Markdown => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            inventory.to_markdown(),
        )
            .into_response(),
    })
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The parent `id` as a request's subject.
fn parent_subject(id: &str) -> SubjectRef {
    SubjectRef::new(ParentAccount::schema().subject_kind, id)
}

/// Records a request about `subject` asked by the parent `requester`, verified: the bearer
/// token, checked by the caller, is the verification.
fn receive(
    s: &AppState,
    kind: RequestKind,
    subject: SubjectRef,
    requester: &str,
) -> Result<Request, ApiError> {
    let request = s
        .requests
        .receive(kind, subject, requester)
        .map_err(|e| ApiError::internal("receive request", &e))?;
    s.requests
        .verify(&request.id)
        .map_err(|e| ApiError::internal("verify request", &e))
}

/// Runs a deletion request about `subject` and answers its summary and report.
fn delete(s: &AppState, subject: SubjectRef, requester: &str) -> Result<Value, ApiError> {
    let request = receive(s, RequestKind::Deletion, subject, requester)?;
    let report = s.requests.delete(&request.id).map_err(|e| {
        // Logged by the engine too (its message holds no personal data).
        ApiError::internal("deletion request", &e)
    })?;
    Ok(summary(&report))
}

fn summary(report: &DeletionReport) -> Value {
    json!({
        "request": report.request,
        "subjects": report.subjects.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        "deleted_records": report.records_deleted(),
        "kept_records": report.records_kept(),
        "already_erased": report.already_erased,
        "shredded": report.shredded,
        "report": report,
    })
}

/// 404 unless the token is the parent's own (another family's ids look like unknown ids).
fn own_parent(s: &AppState, token: &str, parent_id: &str) -> Result<(), ApiError> {
    if s.directory.token_owner(token)? == parent_id {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The token's parent; 404 unless the child is (or was) in their care.
fn own_child(s: &AppState, token: &str, child_id: &str) -> Result<String, ApiError> {
    let parent = s.directory.token_owner(token)?;
    if s.directory.parent_of(child_id)?.as_deref() == Some(parent.as_str()) {
        Ok(parent)
    } else {
        Err(ApiError::NotFound)
    }
}

fn records<T: Storable>(s: &AppState) -> Result<&Records<T>, ApiError> {
    s.requests
        .map()
        .records::<T>()
        .map_err(|e| ApiError::internal("data map", &e))
}

/// 404 unless the subject has a record of `T` (an erased child takes no more data).
fn exists<T: Storable>(s: &AppState, subject: &str) -> Result<(), ApiError> {
    let count = records::<T>(s)?
        .count(subject)
        .map_err(|e| ApiError::internal("read", &e))?;
    if count == 0 {
        Err(ApiError::NotFound)
    } else {
        Ok(())
    }
}

/// The one record of `T` of a subject and its record id; 404 when there is none (erased).
fn one<T: Storable>(s: &AppState, subject: &str) -> Result<(String, T), ApiError> {
    let records = records::<T>(s)?;
    match records
        .subject_records(s.requests.keyring(), subject)
        .next()
    {
        Some(Ok(stored)) => Ok((stored.record_id, stored.record)),
        Some(Err(e)) => Err(ApiError::internal("read", &e)),
        None => Err(ApiError::NotFound),
    }
}

fn save<T: Storable>(s: &AppState, record: &T) -> Result<(), ApiError> {
    records::<T>(s)?
        .save(s.requests.keyring(), record)
        .map(|_| ())
        .map_err(|e| ApiError::internal("save", &e))
}

fn replace<T: Storable>(s: &AppState, record_id: &str, record: &T) -> Result<(), ApiError> {
    records::<T>(s)?
        .replace(s.requests.keyring(), record_id, record)
        .map_err(|e| ApiError::internal("save", &e))
}

/// `t` as RFC 3339 in UTC, whole seconds (`2025-01-31T09:12:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Hands what the engine writes to the response body, chunk by chunk.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>);

impl io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
