use super::going_ahead;
use crate::error::StepError;
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::change_unless_event_cancelled;
use stagepass_domain::integration::events as integration;
use stagepass_domain::{BookingStatus, BookingStore, Clock};
use std::sync::Arc;

/// Confirms the booking and records `BookingConfirmed` and `TicketIssued` in the outbox, in
/// the same write.
pub struct ConfirmBooking {
    pub bookings: Arc<dyn BookingStore>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for ConfirmBooking {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        // Conditional on the event in the same write: an organiser's cancellation that lands
        // first makes this refuse, and the saga compensates.
        let booking = change_unless_event_cancelled(
            self.bookings.as_ref(),
            self.clock.as_ref(),
            &input.booking,
            |b, now| {
                going_ahead(b).ok()?;
                let next = b.next(now, |n| {
                    n.status = BookingStatus::Confirmed;
                    n.payment_method = None;
                });
                let mut events = vec![integration::booking_confirmed(&next)];
                events.extend(integration::ticket_issued(&next));
                Some((next, events))
            },
        )
        .await?;
        match booking.status {
            BookingStatus::Confirmed => Ok(()),
            _ => {
                going_ahead(&booking)?;
                Err(StepError::BookingCompensated)
            }
        }
    }
}
