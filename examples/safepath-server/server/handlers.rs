//! The endpoints. Each checks its input and its token before touching the database, and
//! answers another family's ids exactly as ids that do not exist (404).

use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use privacy_core::anonymize;
use privacy_core::dsar::{DsarWriter, ErasureReport, RecordExport};
use serde_json::{json, Value};

use super::error::ApiError;
use super::input::{self, Format};
use super::AppState;
use crate::service::model::{
    ChildProfile, Device, ErrorReport, Invoice, LocationPing, MarketingPreference, ParentAccount,
};
use crate::service::steps;
use crate::service::vault::{Stored, Vault};

type Shared = State<Arc<AppState>>;
type BodyBytes = Result<Bytes, BytesRejection>;
type Created = (StatusCode, Json<Value>);

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
        card_last4: anonymize::card_last4(&card),
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
        .db(move |v| {
            save(v, &parent)?;
            save(v, &preference)?;
            save(v, &invoice)?;
            set_meta(v, &format!("token:{token_hash}"), &stored_id)
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
    let name = change
        .name
        .as_deref()
        .map(|v| input::text("name", v))
        .transpose()?;
    let email = change.email.as_deref().map(input::email).transpose()?;
    let phone = change
        .phone
        .as_deref()
        .map(|v| input::text("phone", v))
        .transpose()?;
    let address = change
        .billing_address
        .as_deref()
        .map(|v| input::text("billing_address", v))
        .transpose()?;
    let plan = change
        .plan
        .as_deref()
        .map(|v| input::text("plan", v))
        .transpose()?;
    state
        .db(move |v| {
            own_parent(v, &token, &id)?;
            let mut parent = one::<ParentAccount>(v, &id)?;
            parent.name = name.unwrap_or(parent.name);
            parent.email = email.unwrap_or(parent.email);
            parent.phone = phone.unwrap_or(parent.phone);
            parent.billing_address = address.unwrap_or(parent.billing_address);
            parent.plan = plan.unwrap_or(parent.plan);
            save(v, &parent)
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
        .db(move |v| {
            own_parent(v, &token, &parent_id)?;
            one::<ParentAccount>(v, &parent_id)?;
            save(v, &child)?;
            set_meta(v, &format!("child:{}", child.id), &parent_id)
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
        .db(move |v| {
            own_child(v, &token, &id)?;
            let mut child = one::<ChildProfile>(v, &id)?;
            child.name = name.unwrap_or(child.name);
            child.birth_date = birth_date.unwrap_or(child.birth_date);
            save(v, &child)
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
        .db(move |v| {
            own_child(v, &token, &id)?;
            one::<ChildProfile>(v, &id)?;
            let seq = next_seq(v)?;
            save(
                v,
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
        .db(move |v| {
            own_child(v, &token, &id)?;
            one::<ChildProfile>(v, &id)?;
            save(
                v,
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
/// their children (JSON, or the readable summary with `Accept: text/markdown`), streamed
/// with [`DsarWriter`] as it is written.
pub async fn export(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = input::token_hash(&headers)?;
    let format = input::format(&headers)?;
    let (id, children, exports) = state
        .db(move |v| {
            own_parent(v, &token, &id)?;
            let children = children_of(v, &id)?;
            let mut exports = Vec::new();
            exports_of::<ParentAccount>(v, &id, &mut exports)?;
            exports_of::<MarketingPreference>(v, &id, &mut exports)?;
            exports_of::<Invoice>(v, &id, &mut exports)?;
            for child in &children {
                exports_of::<ChildProfile>(v, child, &mut exports)?;
                exports_of::<Device>(v, child, &mut exports)?;
                exports_of::<LocationPing>(v, child, &mut exports)?;
                exports_of::<ErrorReport>(v, child, &mut exports)?;
            }
            Ok((id, children, exports))
        })
        .await?;
    tracing::info!(records = exports.len(), "right-to-know request answered");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter(tx);
        let writer = match format {
            Format::Json => DsarWriter::json(out, &id),
            Format::Markdown => DsarWriter::markdown(out, &id),
        };
        let mut writer = writer
            .with_dependents(&children)
            .with_generated_at(SystemTime::now());
        for export in &exports {
            if let Err(e) = writer.add_export(export) {
                // The client sees a document that does not parse: never one that looks whole.
                tracing::error!(error = %e, "right-to-know answer interrupted");
                return;
            }
        }
        if let Err(e) = writer.finish() {
            tracing::error!(error = %e, "right-to-know answer interrupted");
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let content_type = match format {
        Format::Json => "application/json",
        Format::Markdown => "text/markdown; charset=utf-8",
    };
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `DELETE /parents/{id}`: erases the parent and every child in their care, shreds their
/// keys, and answers the erasure report. Idempotent: a second call erases nothing more.
pub async fn delete_parent(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let answer = state
        .db(move |v| {
            own_parent(v, &token, &id)?;
            let mut subjects = vec![id.clone()];
            subjects.extend(children_of(v, &id)?);
            erase(v, &id, &subjects)
        })
        .await?;
    tracing::info!("deletion request answered");
    Ok(Json(answer))
}

/// `DELETE /children/{id}`: erases one child (the parent acting for them), shreds the
/// child's key and answers the erasure report. Idempotent.
pub async fn delete_child(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = input::token_hash(&headers)?;
    let answer = state
        .db(move |v| {
            own_child(v, &token, &id)?;
            erase(v, &id, std::slice::from_ref(&id))
        })
        .await?;
    tracing::info!("deletion request for a child answered");
    Ok(Json(answer))
}

/// `GET /inventory`: the data inventory (GDPR Art. 30), JSON or Markdown.
pub async fn inventory(headers: HeaderMap) -> Result<Response, ApiError> {
    let inventory = steps::inventory().map_err(|e| ApiError::internal("inventory", &e))?;
    Ok(match input::format(&headers)? {
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

/// Erases every record of `subjects`, keeping only what a legal basis retains (invoices),
/// shreds their keys and compacts the database file.
fn erase(v: &mut Vault, requester: &str, subjects: &[String]) -> Result<Value, ApiError> {
    let mut report = ErasureReport::new("deletion request", Some(requester.to_owned()));
    let (mut deleted, mut kept) = (0, 0);
    let fail = |e: steps::StepError| ApiError::internal("erase", &e);
    for subject in subjects {
        for (d, k) in [
            steps::erase_kind::<ParentAccount>(v, subject, &mut report).map_err(fail)?,
            steps::erase_kind::<MarketingPreference>(v, subject, &mut report).map_err(fail)?,
            steps::erase_kind::<Invoice>(v, subject, &mut report).map_err(fail)?,
            steps::erase_kind::<ChildProfile>(v, subject, &mut report).map_err(fail)?,
            steps::erase_kind::<Device>(v, subject, &mut report).map_err(fail)?,
            steps::erase_kind::<LocationPing>(v, subject, &mut report).map_err(fail)?,
            steps::erase_kind::<ErrorReport>(v, subject, &mut report).map_err(fail)?,
        ] {
            deleted += d;
            kept += k;
        }
    }
    for subject in subjects {
        v.keyring
            .shred(subject)
            .map_err(|e| ApiError::internal("shred keys", &e))?;
    }
    v.store
        .compact()
        .map_err(|e| ApiError::internal("compact", &e))?;
    Ok(json!({
        "subjects": subjects,
        "deleted_records": deleted,
        "kept_records": kept,
        "already_erased": deleted == 0 && report.changed() == 0,
        "report": report,
    }))
}

/// 404 unless the token is the parent's own (another family's ids look like unknown ids).
fn own_parent(v: &Vault, token: &str, parent_id: &str) -> Result<(), ApiError> {
    if token_owner(v, token)? == parent_id {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// 404 unless the child is in the care of the token's parent.
fn own_child(v: &Vault, token: &str, child_id: &str) -> Result<(), ApiError> {
    let parent = token_owner(v, token)?;
    let owner = v
        .store
        .meta(&format!("child:{child_id}"))
        .map_err(|e| ApiError::internal("read", &e))?;
    if owner.as_deref() == Some(parent.as_str()) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The parent a token belongs to; 401 for an unknown token.
fn token_owner(v: &Vault, token: &str) -> Result<String, ApiError> {
    v.store
        .meta(&format!("token:{token}"))
        .map_err(|e| ApiError::internal("read", &e))?
        .ok_or(ApiError::Unauthorized)
}

/// The ids of the children of a parent (kept after erasure, as the erasure report's link
/// to the request).
fn children_of(v: &Vault, parent_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(v.store
        .meta_names("child:", parent_id)
        .map_err(|e| ApiError::internal("read", &e))?
        .into_iter()
        .filter_map(|name| name.strip_prefix("child:").map(str::to_owned))
        .collect())
}

/// The one record of a kind of a subject; 404 when there is none (erased).
fn one<T: Stored>(v: &Vault, subject: &str) -> Result<T, ApiError> {
    v.of_subject::<T>(subject)
        .map_err(|e| ApiError::internal("read", &e))?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)
}

fn exports_of<T: Stored>(
    v: &Vault,
    subject: &str,
    out: &mut Vec<RecordExport>,
) -> Result<(), ApiError> {
    for record in v
        .of_subject::<T>(subject)
        .map_err(|e| ApiError::internal("read", &e))?
    {
        out.push(record.export());
    }
    Ok(())
}

fn save<T: Stored>(v: &Vault, record: &T) -> Result<(), ApiError> {
    v.save(record).map_err(|e| ApiError::internal("save", &e))
}

fn set_meta(v: &Vault, name: &str, value: &str) -> Result<(), ApiError> {
    v.store
        .set_meta(name, value)
        .map_err(|e| ApiError::internal("save", &e))
}

/// The next location-ping number (one counter for the service: the ping's key).
fn next_seq(v: &Vault) -> Result<u32, ApiError> {
    let read = |e| ApiError::internal("read", &e);
    let last = v
        .store
        .meta("ping_seq")
        .map_err(read)?
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(0);
    let next = last
        .checked_add(1)
        .ok_or(ApiError::Internal("ping counter"))?;
    set_meta(v, "ping_seq", &next.to_string())?;
    Ok(next)
}

/// Hands what [`DsarWriter`] writes to the response body, chunk by chunk.
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
