//! The booking saga's steps: one Lambda each, and what the state machine's Tasks call. The
//! input is the state's `Parameters` (`{"booking_id": ..., "error"?: {Error, Cause}}`); a
//! failure's name is [`StepError::name`], which the ASL matches in Retry and Catch.

use serde::Deserialize;
use serde_json::{Value, json};
use stagepass_domain::{BookingId, Bookings, StepError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    ChargePayment,
    SellSeats,
    IssueTickets,
    ConfirmBooking,
    RefundPayment,
    ReleaseSeats,
    FailBooking,
}

#[derive(Deserialize)]
struct StepInput {
    booking_id: String,
    #[serde(default)]
    error: Option<CaughtError>,
}

/// What a Catch with `ResultPath: "$.error"` puts in the state.
#[derive(Deserialize)]
struct CaughtError {
    #[serde(rename = "Error", default)]
    error: String,
    #[serde(rename = "Cause", default)]
    cause: String,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::ChargePayment,
        Step::SellSeats,
        Step::IssueTickets,
        Step::ConfirmBooking,
        Step::RefundPayment,
        Step::ReleaseSeats,
        Step::FailBooking,
    ];

    /// The function's folder under `functions/`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChargePayment => "charge-payment",
            Self::SellSeats => "sell-seats",
            Self::IssueTickets => "issue-tickets",
            Self::ConfirmBooking => "confirm-booking",
            Self::RefundPayment => "refund-payment",
            Self::ReleaseSeats => "release-seats",
            Self::FailBooking => "fail-booking",
        }
    }

    /// The ASL `Resource` placeholder that `DefinitionSubstitutions` fills with its ARN.
    pub fn resource(self) -> String {
        let camel: String = self
            .name()
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("${{{camel}FunctionArn}}")
    }

    pub fn from_resource(resource: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.resource() == resource)
    }

    /// Runs the step. The output is `{}`: the state machine keeps its own state
    /// (`ResultPath: null`).
    pub async fn run(self, bookings: &Bookings, input: Value) -> Result<Value, StepError> {
        let input: StepInput = serde_json::from_value(input)
            .map_err(|e| StepError::BookingNotFound(format!("unreadable step input: {e}")))?;
        let id = BookingId::parse(&input.booking_id)
            .ok_or_else(|| StepError::BookingNotFound(input.booking_id.clone()))?;
        match self {
            Self::ChargePayment => bookings.charge_payment(&id).await?,
            Self::SellSeats => bookings.sell_seats(&id).await?,
            Self::IssueTickets => bookings.issue_tickets(&id).await?,
            Self::ConfirmBooking => bookings.confirm_booking(&id).await?,
            Self::RefundPayment => bookings.refund_payment(&id).await?,
            Self::ReleaseSeats => bookings.release_seats(&id).await?,
            Self::FailBooking => {
                let reason = input.error.map_or_else(
                    || "booking_error".to_string(),
                    |e| StepError::reason_code(&e.error, &e.cause),
                );
                bookings.fail_booking(&id, &reason).await?
            }
        }
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_name_the_functions() {
        assert_eq!(
            Step::ChargePayment.resource(),
            "${ChargePaymentFunctionArn}"
        );
        for s in Step::ALL {
            assert_eq!(Step::from_resource(&s.resource()), Some(s));
        }
    }
}
