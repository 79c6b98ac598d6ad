//! What comes in: JSON bodies (checked before anything is stored), bearer tokens, the
//! `Accept` header, and the random ids and tokens the service hands out.
//!
//! The bodies are annotated `PersonalData` like the records (their `Debug` is redacted, the
//! leak scanner knows their fields) and declared never stored in the data map.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode};
use privacy_core::PersonalData;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// A sign-up: the parent's account.
#[derive(PersonalData, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    #[personal(category = "identity.name")]
    pub name: String,
    #[personal(category = "contact.email")]
    pub email: String,
    #[personal(category = "contact.phone")]
    pub phone: String,
    #[personal(category = "account.password")]
    pub password: String,
    #[personal(category = "financial.card_number")]
    pub card_number: String,
    #[personal(category = "contact.postal_address")]
    pub billing_address: String,
    #[personal(not_personal)]
    #[serde(default)]
    pub plan: Option<String>,
}

/// A change to the parent's account; absent fields stay as they are.
#[derive(PersonalData, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentUpdate {
    #[personal(category = "identity.name")]
    pub name: Option<String>,
    #[personal(category = "contact.email")]
    pub email: Option<String>,
    #[personal(category = "contact.phone")]
    pub phone: Option<String>,
    #[personal(category = "contact.postal_address")]
    pub billing_address: Option<String>,
    #[personal(not_personal)]
    pub plan: Option<String>,
}

/// A child profile, new or changed (`PUT` takes absent fields as unchanged).
#[derive(PersonalData, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildInput {
    #[personal(category = "identity.name")]
    pub name: Option<String>,
    #[personal(category = "demographic.birth_date")]
    pub birth_date: Option<String>,
}

/// One position of a child's phone.
#[derive(PersonalData, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    #[personal(category = "location.precise", anonymize_with = coarse, on_erase = "anonymize")]
    pub lat: f64,
    #[personal(category = "location.precise", anonymize_with = coarse, on_erase = "anonymize")]
    pub lon: f64,
}

/// A coordinate to two decimals (about 1 km).
#[allow(clippy::trivially_copy_pass_by_ref)] // the signature `anonymize_with` calls
fn coarse(degrees: &f64) -> f64 {
    (degrees * 100.0).round() / 100.0
}

/// A device check-in: the phone tells who it is and from where it connects.
#[derive(PersonalData, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    #[personal(category = "device.id")]
    pub imei: String,
    #[personal(category = "device.mac_address")]
    pub mac: String,
    #[personal(
        category = "device.ip_address",
        anonymize = "ip",
        on_erase = "anonymize"
    )]
    pub ip: std::net::IpAddr,
    #[personal(not_personal)]
    pub model: String,
}

/// Parses a JSON body: 415 unless `Content-Type: application/json`, 413 past the body
/// limit, 400 for anything else, with a message that quotes nothing of the body.
pub fn json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("the request body could not be read".into())
        }
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        // Category, line and column only: serde's own message may quote the value.
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "the body is not valid JSON"
            }
            serde_json::error::Category::Data => {
                "the body does not have the expected fields and types"
            }
            serde_json::error::Category::Io => "the body could not be read",
        };
        ApiError::BadRequest(format!("{what} (line {}, column {})", e.line(), e.column()))
    })
}

/// A required text field: present, not blank, at most 200 characters.
pub fn text(name: &'static str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(ApiError::BadRequest(format!(
            "`{name}` must hold 1 to 200 characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// An email address: text with one `@` between non-empty parts.
pub fn email(value: &str) -> Result<String, ApiError> {
    let value = text("email", value)?;
    match value.split_once('@') {
        Some((user, domain)) if !user.is_empty() && domain.contains('.') => Ok(value),
        _ => Err(ApiError::BadRequest(
            "`email` is not an email address".into(),
        )),
    }
}

/// A date `YYYY-MM-DD`.
pub fn date(name: &'static str, value: &str) -> Result<String, ApiError> {
    let b = value.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let month = value.get(5..7).and_then(|m| m.parse::<u8>().ok());
    let day = value.get(8..10).and_then(|d| d.parse::<u8>().ok());
    if shape && matches!(month, Some(1..=12)) && matches!(day, Some(1..=31)) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::BadRequest(format!(
            "`{name}` must be a date YYYY-MM-DD"
        )))
    }
}

/// The bearer token of a request, hashed: tokens are stored and compared only hashed.
pub fn token_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized)?;
    Ok(hash(token))
}

/// Hex SHA-256 of `text`.
pub fn hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal("random", &e))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Which format a document (the inventory, a right-to-know answer) is wanted in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
}

/// The format the `Accept` header asks for: JSON unless it names `text/markdown` (and not
/// `application/json` first); 406 when it accepts neither.
pub fn format(headers: &HeaderMap) -> Result<Format, ApiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Format::Json);
    };
    for item in accept.split(',') {
        let media = item.split(';').next().unwrap_or("").trim();
        match media.to_ascii_lowercase().as_str() {
            "application/json" | "application/*" | "*/*" => return Ok(Format::Json),
            "text/markdown" | "text/*" => return Ok(Format::Markdown),
            _ => {}
        }
    }
    Err(ApiError::NotAcceptable("application/json or text/markdown"))
}
