//! The one error type of the business rules. Every variant has a stable machine-readable
//! `code()` and a `kind()` that the HTTP layer turns into a status; infrastructure failures
//! are `Unavailable`, never a client's fault.

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

#[derive(Debug, Error, Clone, PartialEq)]
pub enum DomainError {
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("starts_at must be in the future")]
    StartTimeInPast,
    #[error("{field}: price must not be negative")]
    NegativePrice { field: String },
    #[error("invalid layout: {0}")]
    InvalidLayout(String),
    #[error("event is incomplete and cannot be published: {0}")]
    NotPublishable(String),
    #[error("no seats or general-admission places were asked for")]
    EmptySeatList,
    #[error("seats asked for more than once: {}", .seats.join(", "))]
    DuplicateSeats { seats: Vec<String> },
    #[error("seats that do not exist at this event: {}", .seats.join(", "))]
    UnknownSeats { seats: Vec<String> },
    #[error("at most {max} seats or places may be held at once, {asked} were asked for")]
    TooManySeats { max: usize, asked: usize },
    #[error("invalid pagination cursor")]
    InvalidCursor,
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error("hold {0} not found")]
    HoldNotFound(String),
    #[error("event is not a draft any more and can no longer be edited")]
    EventNotDraft,
    #[error("event is not on sale")]
    EventNotOnSale,
    #[error("seats are no longer available: {}", .seats.join(", "))]
    SeatsUnavailable { seats: Vec<String> },
    #[error("only {available} places left in general-admission area {area}")]
    NotEnoughPlaces { area: String, available: u32 },
    #[error("hold is already {0}")]
    HoldNotActive(String),
    #[error("the event was changed by another request; reload and try again")]
    ConcurrentModification,
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("not a valid email address")]
    InvalidEmail,
    #[error("password {0}")]
    WeakPassword(String),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("an account with this email exists: log in instead of buying as a guest")]
    AccountExists,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("refresh token is not valid (unknown or expired): log in again")]
    RefreshTokenInvalid,
    #[error(
        "refresh token was already used, so it may have been stolen: every session of this login is now revoked; log in again"
    )]
    RefreshTokenReused,
    #[error("this session was revoked (logout or a reused refresh token): log in again")]
    SessionRevoked,
    #[error("{0}")]
    NotAllowed(String),
    #[error("too many attempts; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("booking {0} not found")]
    BookingNotFound(String),
    #[error("the hold expired at {0}: hold the seats again")]
    HoldExpired(String),
    #[error("payment method: {0}")]
    InvalidPaymentMethod(String),
    #[error("booking is {0} and cannot be cancelled")]
    BookingNotCancellable(String),
    #[error("the event has already started")]
    EventStarted,
    #[error("event is already cancelled")]
    EventCancelled,
    #[error("not a Stagepass ticket (unreadable, forged or for another key)")]
    TicketNotRecognised,
    #[error("ticket is void: {0}")]
    TicketVoid(String),
    #[error("ticket already checked in at {at} (gate {gate})")]
    TicketAlreadyUsed { at: String, gate: String },
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyKeyInFlight,
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

impl DomainError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "invalid_field",
            Self::StartTimeInPast => "start_time_in_past",
            Self::NegativePrice { .. } => "negative_price",
            Self::InvalidLayout(_) => "invalid_layout",
            Self::NotPublishable(_) => "event_incomplete",
            Self::EmptySeatList => "empty_seat_list",
            Self::DuplicateSeats { .. } => "duplicate_seats",
            Self::UnknownSeats { .. } => "unknown_seats",
            Self::TooManySeats { .. } => "too_many_seats",
            Self::InvalidCursor => "invalid_cursor",
            Self::EventNotFound(_) => "event_not_found",
            Self::HoldNotFound(_) => "hold_not_found",
            Self::EventNotDraft => "event_not_draft",
            Self::EventNotOnSale => "event_not_on_sale",
            Self::SeatsUnavailable { .. } => "seats_unavailable",
            Self::NotEnoughPlaces { .. } => "not_enough_places",
            Self::HoldNotActive(_) => "hold_not_active",
            Self::ConcurrentModification => "concurrent_modification",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::InvalidEmail => "invalid_email",
            Self::WeakPassword(_) => "invalid_password",
            Self::EmailTaken => "email_taken",
            Self::AccountExists => "account_exists",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RefreshTokenInvalid => "invalid_refresh_token",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::SessionRevoked => "session_revoked",
            Self::NotAllowed(_) => "forbidden",
            Self::RateLimited { .. } => "rate_limited",
            Self::BookingNotFound(_) => "booking_not_found",
            Self::HoldExpired(_) => "hold_expired",
            Self::InvalidPaymentMethod(_) => "invalid_payment_method",
            Self::BookingNotCancellable(_) => "booking_not_cancellable",
            Self::EventStarted => "event_started",
            Self::EventCancelled => "event_cancelled",
            Self::TicketNotRecognised => "ticket_not_recognised",
            Self::TicketVoid(_) => "ticket_void",
            Self::TicketAlreadyUsed { .. } => "ticket_already_used",
            Self::IdempotencyKeyInFlight => "idempotency_key_in_flight",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidField { .. }
            | Self::StartTimeInPast
            | Self::NegativePrice { .. }
            | Self::InvalidLayout(_)
            | Self::NotPublishable(_)
            | Self::EmptySeatList
            | Self::DuplicateSeats { .. }
            | Self::UnknownSeats { .. }
            | Self::TooManySeats { .. }
            | Self::InvalidCursor
            | Self::InvalidEmail
            | Self::WeakPassword(_)
            | Self::InvalidPaymentMethod(_)
            | Self::TicketNotRecognised => ErrorKind::Invalid,
            Self::EventNotFound(_) | Self::HoldNotFound(_) | Self::BookingNotFound(_) => {
                ErrorKind::NotFound
            }
            Self::EventNotDraft
            | Self::EventNotOnSale
            | Self::SeatsUnavailable { .. }
            | Self::NotEnoughPlaces { .. }
            | Self::HoldNotActive(_)
            | Self::ConcurrentModification
            | Self::EmailTaken
            | Self::AccountExists
            | Self::HoldExpired(_)
            | Self::BookingNotCancellable(_)
            | Self::EventStarted
            | Self::EventCancelled
            | Self::TicketVoid(_)
            | Self::TicketAlreadyUsed { .. }
            | Self::IdempotencyKeyInFlight => ErrorKind::Conflict,
            Self::InvalidCredentials
            | Self::RefreshTokenInvalid
            | Self::RefreshTokenReused
            | Self::SessionRevoked => ErrorKind::Unauthenticated,
            Self::NotAllowed(_) => ErrorKind::Forbidden,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::IdempotencyKeyReused => ErrorKind::Unprocessable,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }

    /// The seats a client needs to know about (taken, unknown or duplicated), if any.
    pub fn seats(&self) -> Option<&[String]> {
        match self {
            Self::DuplicateSeats { seats }
            | Self::UnknownSeats { seats }
            | Self::SeatsUnavailable { seats } => Some(seats),
            _ => None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An infrastructure call failed (a file store, mailer, bus or workflow): retry later.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct InfraError(pub String);

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// A store or dependency failed: the caller may retry (503).
pub fn unavailable(e: impl std::fmt::Display) -> DomainError {
    DomainError::Unavailable(e.to_string())
}

impl From<crate::catalog::CatalogError> for DomainError {
    fn from(e: crate::catalog::CatalogError) -> Self {
        use crate::catalog::CatalogError;
        match e {
            CatalogError::VersionConflict | CatalogError::AlreadyExists => {
                DomainError::ConcurrentModification
            }
            CatalogError::Unavailable(m) => DomainError::Unavailable(m),
        }
    }
}

impl From<crate::bookings::BookingError> for DomainError {
    fn from(e: crate::bookings::BookingError) -> Self {
        use crate::bookings::BookingError;
        match e {
            BookingError::VersionConflict | BookingError::Exists(_) => {
                DomainError::ConcurrentModification
            }
            BookingError::Unavailable(m) => DomainError::Unavailable(m),
        }
    }
}
