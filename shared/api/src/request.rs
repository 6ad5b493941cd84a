//! Reading requests: bounded JSON bodies with field-level errors, path and query values.

use crate::error::ApiError;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use stagepass_domain::{BookingError, BookingId, CatalogError, EventId, HoldError, HoldId};

/// Parses the body as `T`. Too large → 413; not JSON → `malformed_json`; wrong shape →
/// `invalid_field` naming the field (`layout.sections[0].rows`).
pub fn json_body<T: DeserializeOwned>(req: &Request, limit: usize) -> Result<T, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MissingBody);
    }
    // Syntax first (any syntax error is `malformed_json`), then shape, with the field's path.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::InvalidField {
            field: if path == "." { "body".into() } else { path },
            message: strip_position(&e.into_inner().to_string()),
        }
    })
}

/// serde_json appends " at line 1 column 42"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

/// The `Admission-Token` header: a waiting room's admission, presented to hold and check out.
pub fn admission_token(req: &Request) -> Option<&str> {
    req.headers()
        .get(ADMISSION_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

pub const ADMISSION_TOKEN_HEADER: &str = "admission-token";

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

/// `Idempotency-Key`: 1-255 visible ASCII characters, or absent.
pub fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    match key {
        Some(k) => Ok(Some(k.to_string())),
        None => Err(ApiError::InvalidField {
            field: "Idempotency-Key".into(),
            message: "must be 1-255 visible ASCII characters".into(),
        }),
    }
}

/// A malformed id cannot name an event: report it as not found, never pass it to a store.
pub fn event_id(req: &Request) -> Result<EventId, ApiError> {
    let raw = path_param(req, "eventId").unwrap_or_default();
    EventId::parse(&raw).ok_or_else(|| CatalogError::EventNotFound(raw).into())
}

pub fn hold_id(req: &Request) -> Result<HoldId, ApiError> {
    let raw = path_param(req, "holdId").unwrap_or_default();
    HoldId::parse(&raw).ok_or_else(|| HoldError::HoldNotFound(raw).into())
}

pub fn booking_id(req: &Request) -> Result<BookingId, ApiError> {
    let raw = path_param(req, "bookingId").unwrap_or_default();
    BookingId::parse(&raw).ok_or_else(|| BookingError::BookingNotFound(raw).into())
}
