use super::event_not_cancelled;
use crate::error::StepError;
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::{change, load};
use stagepass_domain::{
    BookingStatus, BookingStore, Clock, EventCatalog, PaymentError, PaymentOrder, PaymentProvider,
    PaymentState,
};
use std::sync::Arc;

/// Charges the booking's total, once (the booking id is the provider's idempotency key).
pub struct ChargePayment {
    pub bookings: Arc<dyn BookingStore>,
    pub catalog: Arc<dyn EventCatalog>,
    pub payments: Arc<dyn PaymentProvider>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for ChargePayment {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let id = &input.booking;
        let booking = load(self.bookings.as_ref(), id).await?;
        if booking.cancel_requested.is_some() {
            return Err(StepError::EventCancelled);
        }
        match (&booking.payment, booking.status) {
            (PaymentState::Charged { .. }, _) => return Ok(()),
            (PaymentState::Refunded { .. }, _) => return Err(StepError::BookingCompensated),
            (PaymentState::NotCharged, BookingStatus::Pending) => {}
            (PaymentState::NotCharged, _) => return Err(StepError::BookingCompensated),
        }
        // Never charge into an event the organiser cancelled meanwhile.
        event_not_cancelled(self.catalog.as_ref(), &booking).await?;
        let method = booking
            .payment_method
            .clone()
            .ok_or(StepError::BookingCompensated)?;
        let charge_id = self
            .payments
            .charge(&PaymentOrder::of(&booking), &method)
            .await
            .map_err(|e| match e {
                PaymentError::Declined(code) => StepError::PaymentDeclined(code),
                PaymentError::Transient(m) => StepError::PaymentUnavailable(m),
                PaymentError::Timeout => StepError::PaymentUnavailable("timeout".into()),
            })?;
        change(
            self.bookings.as_ref(),
            self.clock.as_ref(),
            id,
            |b, now| match b.payment {
                PaymentState::NotCharged => Some((
                    b.next(now, |n| {
                        n.payment = PaymentState::Charged {
                            charge_id: charge_id.clone(),
                        }
                    }),
                    vec![],
                )),
                _ => None,
            },
        )
        .await?;
        Ok(())
    }
}
