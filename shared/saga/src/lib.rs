//! The booking saga: Step Functions runs `infra/booking-saga.asl.json`, whose Tasks are the
//! step functions in `functions/` (and, locally, the same steps through the ASL interpreter).
//!
//! Every step loads the booking, does its one thing and saves it, and is safe to run again: a
//! step that already happened is skipped, calls to the payment provider carry the booking id
//! as idempotency key, and ticket files are overwritten with the same bytes. So Step
//! Functions may retry any step, and a crashed run may be started again from the top.
//! Steps never start the saga, so they need no workflow port.

pub mod error;
pub mod input;
pub mod steps;

pub use error::{StepError, reason_code};
pub use input::StepInput;
pub use steps::{
    ChargePayment, ConfirmBooking, FailBooking, IssueTickets, RefundPayment, ReleaseSeats,
    SellSeats,
};

use async_trait::async_trait;

/// One step of the saga, as its function runs it.
#[async_trait]
pub trait SagaStep: Send + Sync {
    async fn run(&self, input: &StepInput) -> Result<(), StepError>;
}
