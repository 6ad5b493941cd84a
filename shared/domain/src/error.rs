//! What every area's errors share. Each area has its own error enum (`CatalogError`,
//! `HoldError`, `BookingError`, `IdentityError`, `CheckInError`, `IdempotencyError`), so a
//! signature says what can fail; each implements [`Failure`]: a stable machine-readable
//! `code()` and a transport-neutral `kind()`, which the HTTP layer (`stagepass_api::error`, the
//! one place) turns into a status. Infrastructure failures are [`InfraError`], never a client's
//! fault.

use thiserror::Error;

/// How a failure should be reported, independent of transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (400).
    Invalid,
    /// The thing asked for does not exist, or is not visible to the caller (404).
    NotFound,
    /// The request is valid but the current state forbids it (409).
    Conflict,
    /// The request repeats an idempotency key with a different body (422).
    Unprocessable,
    /// Who is asking is unknown: bad credentials or a dead session (401).
    Unauthenticated,
    /// The caller is known but may not do this (403).
    Forbidden,
    /// Too many attempts; `retry_after` says when to come back (429).
    RateLimited,
    /// A store or dependency failed; the caller may retry (503).
    Unavailable,
}

/// A business-rule failure as a client sees it.
pub trait Failure: std::error::Error + Send + Sync + 'static {
    /// Stable, machine-readable, part of the API: never rename one.
    fn code(&self) -> &'static str;
    fn kind(&self) -> ErrorKind;
    /// What a client can act on besides the code (which seats, how long to wait).
    fn details(&self) -> Details<'_> {
        Details::default()
    }
}

/// Machine-readable facts that come with some failures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Details<'a> {
    /// Seats taken, unknown or asked for twice.
    pub seats: Option<&'a [String]>,
    /// A general-admission area and how many places are left in it.
    pub places_left: Option<(&'a str, u32)>,
    /// When a rate-limited caller may try again.
    pub retry_after_secs: Option<u64>,
}

/// An infrastructure call failed (a store, file store, mailer, bus or workflow): retry later.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct InfraError(pub String);

impl Failure for InfraError {
    fn code(&self) -> &'static str {
        "service_unavailable"
    }
    fn kind(&self) -> ErrorKind {
        ErrorKind::Unavailable
    }
}

/// A store or dependency failed: the caller may retry (503). Each area's error converts from
/// it with `?`.
pub fn unavailable(e: impl std::fmt::Display) -> InfraError {
    InfraError(e.to_string())
}
