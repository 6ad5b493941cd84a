//! How a step fails. The name is what `infra/booking-saga.asl.json` matches in Retry and
//! Catch, and the reason code is what a failed booking shows its buyer.

use stagepass_domain::bookings::changes::ChangeError;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The card was refused: compensate (nothing to retry).
    #[error("payment declined: {0}")]
    PaymentDeclined(String),
    /// The provider failed or timed out: retry with the same key, then compensate.
    #[error("payment provider unavailable: {0}")]
    PaymentUnavailable(String),
    /// Another buyer has a seat now (the payment came after the hold expired): compensate.
    #[error("seats taken: {0}")]
    SeatsTaken(String),
    /// The booking is already being compensated: continue compensating.
    #[error("booking is being compensated")]
    BookingCompensated,
    /// A store, file or bus call failed: retry.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    /// The organiser cancelled the event while the saga ran: compensate.
    #[error("the event was cancelled")]
    EventCancelled,
    /// The input names no booking we know: a bug or a hand-made execution.
    #[error("booking not found: {0}")]
    BookingNotFound(String),
}

impl StepError {
    /// The error name the state machine sees (Lambda's `errorType`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::PaymentDeclined(_) => "PaymentDeclined",
            Self::PaymentUnavailable(_) => "PaymentUnavailable",
            Self::SeatsTaken(_) => "SeatsTaken",
            Self::BookingCompensated => "BookingCompensated",
            Self::EventCancelled => "EventCancelled",
            Self::Unavailable(_) => "DependencyUnavailable",
            Self::BookingNotFound(_) => "BookingNotFound",
        }
    }
}

/// The reason a failed booking shows its buyer, from the error a Catch caught: its name, and
/// its cause (the step's message or, from Step Functions, the Lambda error as JSON).
pub fn reason_code(name: &str, cause: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(cause)
        .ok()
        .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_string))
        .unwrap_or_else(|| cause.to_string());
    match name {
        "PaymentDeclined" => message
            .rsplit(": ")
            .next()
            .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .unwrap_or("payment_declined")
            .to_string(),
        "PaymentUnavailable" => "payment_unavailable".into(),
        "SeatsTaken" => "seats_taken".into(),
        "EventCancelled" => "event_cancelled".into(),
        _ => "booking_error".into(),
    }
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> StepError {
    StepError::Unavailable(e.to_string())
}

impl From<ChangeError> for StepError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::NotFound(id) => StepError::BookingNotFound(id),
            ChangeError::Unavailable(m) => StepError::Unavailable(m),
            ChangeError::EventCancelled => StepError::EventCancelled,
        }
    }
}
