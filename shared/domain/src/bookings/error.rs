//! What can go wrong checking out a hold, reading a booking or cancelling it.

use crate::error::{Details, ErrorKind, Failure, InfraError};
use crate::rate::RateError;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum BookingError {
    #[error("payment method: {0}")]
    InvalidPaymentMethod(String),
    /// The number itself is never repeated back, nor logged.
    #[error(
        "payment_method: card numbers are not accepted; send the payment method token (pm_...) the payment provider's client SDK made from it"
    )]
    CardNumberRefused,
    /// Also what anyone but the holder is told about a hold.
    #[error("hold {0} not found")]
    HoldNotFound(String),
    #[error("the hold expired at {0}: hold the seats again")]
    HoldExpired(String),
    #[error("hold is already {0}")]
    HoldNotActive(String),
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error("event is not on sale")]
    EventNotOnSale,
    #[error("the event has already started")]
    EventStarted,
    #[error("event is already cancelled")]
    EventCancelled,
    /// Also what anyone but the buyer (or an admin) is told about a booking.
    #[error("booking {0} not found")]
    BookingNotFound(String),
    #[error("booking is {0} and cannot be cancelled")]
    BookingNotCancellable(String),
    #[error(
        "verify your email first (the link is in your welcome email; you can ask for it again), or as a guest open the link in your confirmation email"
    )]
    EmailNotVerified,
    #[error(
        "this event's on-sale has a waiting room: check out with the admission token it gave you"
    )]
    QueueTokenRequired,
    #[error("too many requests from this buyer; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl Failure for BookingError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidPaymentMethod(_) => "invalid_payment_method",
            Self::CardNumberRefused => "card_number_refused",
            Self::HoldNotFound(_) => "hold_not_found",
            Self::HoldExpired(_) => "hold_expired",
            Self::HoldNotActive(_) => "hold_not_active",
            Self::EventNotFound(_) => "event_not_found",
            Self::EventNotOnSale => "event_not_on_sale",
            Self::EventStarted => "event_started",
            Self::EventCancelled => "event_cancelled",
            Self::BookingNotFound(_) => "booking_not_found",
            Self::BookingNotCancellable(_) => "booking_not_cancellable",
            Self::EmailNotVerified => "email_not_verified",
            Self::QueueTokenRequired => "queue_token_required",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidPaymentMethod(_) | Self::CardNumberRefused => ErrorKind::Invalid,
            Self::HoldNotFound(_) | Self::EventNotFound(_) | Self::BookingNotFound(_) => {
                ErrorKind::NotFound
            }
            Self::HoldExpired(_)
            | Self::HoldNotActive(_)
            | Self::EventNotOnSale
            | Self::EventStarted
            | Self::EventCancelled
            | Self::BookingNotCancellable(_) => ErrorKind::Conflict,
            Self::EmailNotVerified | Self::QueueTokenRequired => ErrorKind::Forbidden,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }

    fn details(&self) -> Details<'_> {
        match self {
            Self::RateLimited { retry_after_secs } => Details {
                retry_after_secs: Some(*retry_after_secs),
                ..Details::default()
            },
            _ => Details::default(),
        }
    }
}

impl From<crate::bookings::BookingStoreError> for BookingError {
    /// Checkout and the queries only read and create; the one conflict that can happen there
    /// (a concurrent checkout of the same hold) is handled where it happens, so what is left
    /// is a store failure.
    fn from(e: crate::bookings::BookingStoreError) -> Self {
        Self::Unavailable(InfraError(e.to_string()))
    }
}

impl From<RateError> for BookingError {
    fn from(e: RateError) -> Self {
        match e {
            RateError::Limited { retry_after_secs } => Self::RateLimited { retry_after_secs },
            RateError::Unavailable(e) => Self::Unavailable(e),
        }
    }
}

impl From<crate::queue::AdmissionError> for BookingError {
    fn from(e: crate::queue::AdmissionError) -> Self {
        match e {
            crate::queue::AdmissionError::TokenRequired => Self::QueueTokenRequired,
            crate::queue::AdmissionError::Unavailable(e) => Self::Unavailable(e),
        }
    }
}
