use crate::error::{StepError, reason_code};
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::change;
use stagepass_domain::integration::events as integration;
use stagepass_domain::{BookingStatus, BookingStore, Clock, TicketStatus};
use std::sync::Arc;

/// Compensation: marks the booking failed with the reason the caught error gives, and records
/// `BookingFailed`. From the saga's `NeedsAttention` state (compensation kept failing) it marks
/// it `needs_attention` instead, with no event: nothing is settled yet, and a person must look.
pub struct FailBooking {
    pub bookings: Arc<dyn BookingStore>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for FailBooking {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        if input.needs_attention {
            change(
                self.bookings.as_ref(),
                self.clock.as_ref(),
                &input.booking,
                |b, now| {
                    (b.status == BookingStatus::Pending).then(|| {
                        let next = b.next(now, |n| {
                            n.status = BookingStatus::NeedsAttention;
                            n.reason = Some("compensation_failed".into());
                        });
                        (next, vec![])
                    })
                },
            )
            .await?;
            return Ok(());
        }
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
