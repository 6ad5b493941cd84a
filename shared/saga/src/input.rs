//! What a step receives: the Task's `Parameters` (`{"booking_id": ..., "error"?: {Error,
//! Cause}}`). The output is `{}`: the state machine keeps its own state (`ResultPath: null`).

use crate::error::StepError;
use serde::Deserialize;
use stagepass_domain::BookingId;

pub struct StepInput {
    pub booking: BookingId,
    /// What a Catch with `ResultPath: "$.error"` put in the state (compensation steps).
    pub error: Option<CaughtError>,
    /// Set by the saga's `NeedsAttention` state: compensation itself kept failing.
    pub needs_attention: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error", default)]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

#[derive(Deserialize)]
struct RawInput {
    booking_id: String,
    #[serde(default)]
    error: Option<CaughtError>,
    #[serde(default)]
    needs_attention: bool,
}

impl StepInput {
    /// Errors: `BookingNotFound` for input that names no booking (a bug or a hand-made
    /// execution): retrying cannot help.
    pub fn parse(value: serde_json::Value) -> Result<Self, StepError> {
        let raw: RawInput = serde_json::from_value(value)
            .map_err(|e| StepError::BookingNotFound(format!("unreadable step input: {e}")))?;
        let booking = BookingId::parse(&raw.booking_id)
            .ok_or_else(|| StepError::BookingNotFound(raw.booking_id.clone()))?;
        Ok(Self {
            booking,
            error: raw.error,
            needs_attention: raw.needs_attention,
        })
    }
}
