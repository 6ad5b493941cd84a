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
            | Self::InvalidCursor => ErrorKind::Invalid,
            Self::EventNotFound(_) | Self::HoldNotFound(_) => ErrorKind::NotFound,
            Self::EventNotDraft
            | Self::EventNotOnSale
            | Self::SeatsUnavailable { .. }
            | Self::NotEnoughPlaces { .. }
            | Self::HoldNotActive(_)
            | Self::ConcurrentModification => ErrorKind::Conflict,
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

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
