//! Every failure a client can see, with a stable machine-readable code:
//! `{"error": {"code": "...", "message": "...", "seats"?: [...]}}`. The one place that turns
//! an area's error (anything that is a domain [`Failure`]) into an HTTP status.

use crate::response::json;
use lambda_http::{Body, Response};
use serde::Serialize;
use stagepass_domain::{ErrorKind, Failure};
use thiserror::Error;
use utoipa::ToSchema;

#[derive(Debug, Error)]
pub enum ApiError {
    /// A business rule refused, or a store failed: its area's error.
    #[error("{0}")]
    Domain(Box<dyn Failure>),
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("request body must be a JSON object")]
    MissingBody,
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("request body is larger than the {limit} bytes allowed")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Unauthorized(String),
    /// A token the authorizer's cache still vouches for, past its `exp`.
    #[error("the access token has expired: refresh it and try again")]
    TokenExpired,
    #[error("{0}")]
    Forbidden(String),
    #[error("no route for {method} {path}")]
    RouteNotFound { method: String, path: String },
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// A deployment mistake (a function without the configuration its route needs).
    #[error("server misconfigured: {0}")]
    Misconfigured(String),
}

/// `?` turns any area's error into an answer.
impl<E: Failure> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self::Domain(Box::new(e))
    }
}

impl ApiError {
    /// A request field a handler checks itself (a query parameter, a header, a gate name).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Domain(e) => match e.kind() {
                ErrorKind::Invalid => 400,
                ErrorKind::NotFound => 404,
                ErrorKind::Conflict => 409,
                ErrorKind::Unprocessable => 422,
                ErrorKind::Unauthenticated => 401,
                ErrorKind::Forbidden => 403,
                ErrorKind::RateLimited => 429,
                ErrorKind::Unavailable => 503,
            },
            Self::MalformedJson(_) | Self::MissingBody | Self::InvalidField { .. } => 400,
            Self::PayloadTooLarge { .. } => 413,
            Self::Unauthorized(_) | Self::TokenExpired => 401,
            Self::Forbidden(_) => 403,
            Self::RouteNotFound { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::Misconfigured(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(e) => e.code(),
            Self::MalformedJson(_) | Self::MissingBody => "malformed_json",
            Self::InvalidField { .. } => "invalid_field",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Unauthorized(_) => "unauthorized",
            Self::TokenExpired => "token_expired",
            Self::Forbidden(_) => "forbidden",
            Self::RouteNotFound { .. } => "route_not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Misconfigured(_) => "internal_error",
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        // serde's messages quote what they could not read: never a card number, here or in logs.
        let message = redact_card_numbers(&self.to_string());
        if status >= 500 {
            tracing::error!(code = self.code(), error = %message, "request failed");
        } else {
            tracing::info!(code = self.code(), status, error = %message, "request refused");
        }
        let details = match &self {
            Self::Domain(e) => e.details(),
            _ => Default::default(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                seats: details.seats.map(<[String]>::to_vec),
                area: details.places_left.map(|(area, _)| area.to_string()),
                available: details.places_left.map(|(_, n)| n),
            },
        };
        let mut response = json(status, &body);
        if let Some(secs) = details.retry_after_secs {
            response
                .headers_mut()
                .insert("retry-after", http::HeaderValue::from(secs));
        }
        if status == 401 {
            response
                .headers_mut()
                .insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Every error's body: `{"error": {"code", "message", ...}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: what a client branches on.
    pub code: &'static str,
    /// For people; may change.
    pub message: String,
    /// The seats that are the problem (taken, unknown, asked for twice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<Vec<String>>,
    /// A general-admission area with too few places left...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// ...and how many it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<u32>,
}

/// `text` with every run of 13 to 19 digits (spaces or dashes between them allowed), what a
/// card number looks like, replaced by `[redacted]`.
pub fn redact_card_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        // The run: digits, and single separators followed by a digit.
        let mut end = 0;
        let bytes = run.as_bytes();
        while end < bytes.len() {
            let b = bytes[end];
            let separator_then_digit =
                (b == b' ' || b == b'-') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
            if !(b.is_ascii_digit() || separator_then_digit) {
                break;
            }
            end += 1;
        }
        let digits = run[..end].bytes().filter(u8::is_ascii_digit).count();
        if (13..=19).contains(&digits) {
            out.push_str("[redacted]");
        } else {
            out.push_str(&run[..end]);
        }
        rest = &run[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_card_numbers;

    #[test]
    fn card_numbers_are_redacted_and_other_numbers_kept() {
        assert_eq!(
            redact_card_numbers("invalid type: integer `4242424242424242`, expected a string"),
            "invalid type: integer `[redacted]`, expected a string"
        );
        assert_eq!(
            redact_card_numbers("card 4242 4242 4242 4242."),
            "card [redacted]."
        );
        assert_eq!(redact_card_numbers("4000-0000-0000-0002"), "[redacted]");
        assert_eq!(
            redact_card_numbers("seat A-1-12 at 2026-01-01, limit 262144 bytes"),
            "seat A-1-12 at 2026-01-01, limit 262144 bytes"
        );
        assert_eq!(
            redact_card_numbers("hold 0e1c7a52-1d2b-4c3d-8e4f-123456789012"),
            "hold 0e1c7a52-1d2b-4c3d-8e4f-123456789012"
        );
    }
}
