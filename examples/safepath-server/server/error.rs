//! [`ApiError`]: every error the service answers with, as a status and a JSON body that say
//! what went wrong without repeating anything the client sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answer. Its message is written by the service, never copied from input, so it
/// holds no personal value (a serde error would quote the offending value: not used here).
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not the JSON expected, or a value is invalid.
    BadRequest(String),
    /// 401: no bearer token, or an unknown one.
    Unauthorized,
    /// 404: no such resource for this token; also for another family's ids, so a client
    /// cannot tell those from ids that do not exist.
    NotFound,
    /// 413: the body is larger than the limit.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 406: the `Accept` header asks for a format the resource does not have; the formats
    /// it has.
    NotAcceptable(&'static str),
    /// 500: the service failed; the cause is logged (kind only), not sent.
    Internal(&'static str),
}

impl ApiError {
    /// A 500 for `what`. Only the step and the cause's type are logged: a cause's message
    /// may name a record key, which holds a subject id.
    pub fn internal<E: ?Sized>(what: &'static str, _cause: &E) -> ApiError {
        tracing::error!(what, cause = std::any::type_name::<E>(), "internal error");
        ApiError::Internal(what)
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send `Authorization: Bearer <token>` with the token given at sign-up".into(),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource".into(),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large".into(),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as `Content-Type: application/json`".into(),
            ),
            ApiError::NotAcceptable(formats) => (
                StatusCode::NOT_ACCEPTABLE,
                "not_acceptable",
                format!("this resource is available as {formats}"),
            ),
            ApiError::Internal(what) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("internal error ({what})"),
            ),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (status, code, message) = self.parts();
        write!(f, "{} {code}: {message}", status.as_u16())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        tracing::warn!(status = status.as_u16(), error = code, "request refused");
        (
            status,
            Json(serde_json::json!({ "error": code, "message": message })),
        )
            .into_response()
    }
}
