use crate::error::StepError;
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::{change, load};
use stagepass_domain::{BookingStore, Clock, PaymentOrder, PaymentProvider, PaymentState};
use std::sync::Arc;

/// Compensation: refunds whatever was charged, and stops any later charge.
pub struct RefundPayment {
    pub bookings: Arc<dyn BookingStore>,
    pub payments: Arc<dyn PaymentProvider>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for RefundPayment {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let (store, clock, id) = (self.bookings.as_ref(), self.clock.as_ref(), &input.booking);
        let booking = load(store, id).await?;
        if booking.status.was_confirmed() {
            // Confirmed bookings are only refunded by cancelling them.
            return Ok(());
        }
        if matches!(booking.payment, PaymentState::Refunded { .. }) {
            return Ok(());
        }
        // Fence first: from here on the charge step refuses, even if it is retried.
        let fenced = change(store, clock, id, |b, now| match &b.payment {
            PaymentState::Refunded { .. } => None,
            p => Some((
                b.next(now, |n| {
                    n.payment = PaymentState::Refunded {
                        charge_id: match p {
                            PaymentState::Charged { charge_id } => Some(charge_id.clone()),
                            _ => None,
                        },
                        refund_id: None,
                    }
                }),
                vec![],
            )),
        })
        .await?;
        // The order is refunded by key (a charge that timed out may exist unrecorded) and
        // closed: a charge step still in flight is refused by the provider from here on.
        let refund_id = self
            .payments
            .refund(&PaymentOrder::of(&fenced))
            .await
            .map_err(|e| StepError::PaymentUnavailable(e.to_string()))?;
        if let Some(refund_id) = refund_id {
            change(store, clock, id, |b, now| match &b.payment {
                PaymentState::Refunded {
                    charge_id,
                    refund_id: None,
                } => Some((
                    b.next(now, |n| {
                        n.payment = PaymentState::Refunded {
                            charge_id: charge_id.clone(),
                            refund_id: Some(refund_id.clone()),
                        }
                    }),
                    vec![],
                )),
                _ => None,
            })
            .await?;
        }
        Ok(())
    }
}
