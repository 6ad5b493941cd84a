//! What can go wrong holding seats and places, or giving them back.

use crate::error::{Details, ErrorKind, Failure, InfraError};
use crate::rate::RateError;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum HoldError {
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("no seats or general-admission places were asked for")]
    EmptySeatList,
    #[error("seats asked for more than once: {}", .seats.join(", "))]
    DuplicateSeats { seats: Vec<String> },
    #[error("seats that do not exist at this event: {}", .seats.join(", "))]
    UnknownSeats { seats: Vec<String> },
    #[error("at most {max} seats or places may be held at once, {asked} were asked for")]
    TooManySeats { max: usize, asked: usize },
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error("event is not on sale")]
    EventNotOnSale,
    #[error("seats are no longer available: {}", .seats.join(", "))]
    SeatsUnavailable { seats: Vec<String> },
    #[error("only {available} places left in general-admission area {area}")]
    NotEnoughPlaces { area: String, available: u32 },
    /// Also what anyone but the holder is told about a hold.
    #[error("hold {0} not found")]
    HoldNotFound(String),
    #[error("hold is already {0}")]
    HoldNotActive(String),
    /// The key already made a different hold (another request body).
    #[error(
        "you already hold {held} places at this event and may hold at most {limit} at once: \
         check out or release a hold first"
    )]
    HoldLimitReached { held: u32, limit: u32 },
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error(
        "this event's on-sale has a waiting room: join it, and hold with the admission token it gives"
    )]
    QueueTokenRequired,
    #[error("too many requests from this buyer; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl HoldError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Failure for HoldError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "invalid_field",
            Self::EmptySeatList => "empty_seat_list",
            Self::DuplicateSeats { .. } => "duplicate_seats",
            Self::UnknownSeats { .. } => "unknown_seats",
            Self::TooManySeats { .. } => "too_many_seats",
            Self::EventNotFound(_) => "event_not_found",
            Self::EventNotOnSale => "event_not_on_sale",
            Self::SeatsUnavailable { .. } => "seats_unavailable",
            Self::NotEnoughPlaces { .. } => "not_enough_places",
            Self::HoldNotFound(_) => "hold_not_found",
            Self::HoldNotActive(_) => "hold_not_active",
            Self::HoldLimitReached { .. } => "hold_limit_reached",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::QueueTokenRequired => "queue_token_required",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidField { .. }
            | Self::EmptySeatList
            | Self::DuplicateSeats { .. }
            | Self::UnknownSeats { .. }
            | Self::TooManySeats { .. } => ErrorKind::Invalid,
            Self::EventNotFound(_) | Self::HoldNotFound(_) => ErrorKind::NotFound,
            Self::EventNotOnSale
            | Self::SeatsUnavailable { .. }
            | Self::NotEnoughPlaces { .. }
            | Self::HoldLimitReached { .. }
            | Self::HoldNotActive(_) => ErrorKind::Conflict,
            Self::IdempotencyKeyReused => ErrorKind::Unprocessable,
            Self::QueueTokenRequired => ErrorKind::Forbidden,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }

    fn details(&self) -> Details<'_> {
        match self {
            Self::DuplicateSeats { seats }
            | Self::UnknownSeats { seats }
            | Self::SeatsUnavailable { seats } => Details {
                seats: Some(seats),
                ..Details::default()
            },
            Self::NotEnoughPlaces { area, available } => Details {
                places_left: Some((area, *available)),
                ..Details::default()
            },
            Self::RateLimited { retry_after_secs } => Details {
                retry_after_secs: Some(*retry_after_secs),
                ..Details::default()
            },
            _ => Details::default(),
        }
    }
}

impl From<RateError> for HoldError {
    fn from(e: RateError) -> Self {
        match e {
            RateError::Limited { retry_after_secs } => Self::RateLimited { retry_after_secs },
            RateError::Unavailable(e) => Self::Unavailable(e),
        }
    }
}

impl From<crate::queue::AdmissionError> for HoldError {
    fn from(e: crate::queue::AdmissionError) -> Self {
        match e {
            crate::queue::AdmissionError::TokenRequired => Self::QueueTokenRequired,
            crate::queue::AdmissionError::Unavailable(e) => Self::Unavailable(e),
        }
    }
}
