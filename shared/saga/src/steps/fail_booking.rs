use crate::error::{StepError, reason_code};
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::change;
use stagepass_domain::integration::events as integration;
use stagepass_domain::{BookingStatus, BookingStore, Clock, TicketStatus};
use std::sync::Arc;

/// Compensation: marks the booking failed with the reason the caught error gives, and records
/// `BookingFailed`.
pub struct FailBooking {
    pub bookings: Arc<dyn BookingStore>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for FailBooking {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let reason = input.error.as_ref().map_or_else(
            || "booking_error".to_string(),
            |e| reason_code(&e.error, &e.cause),
        );
        change(
            self.bookings.as_ref(),
            self.clock.as_ref(),
            &input.booking,
            |b, now| {
                if b.status != BookingStatus::Pending {
                    return None;
                }
                let next = b.next(now, |n| {
                    n.status = BookingStatus::Failed;
                    n.reason = Some(reason.clone());
                    n.payment_method = None;
                    for t in &mut n.tickets {
                        t.status = TicketStatus::Void;
                    }
                });
                let events = vec![integration::booking_failed(&next)];
                Some((next, events))
            },
        )
        .await?;
        Ok(())
    }
}
