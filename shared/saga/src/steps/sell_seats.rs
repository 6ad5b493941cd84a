use crate::error::{StepError, unavailable};
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::{hold_of, load};
use stagepass_domain::{
    BookingStatus, BookingStore, Clock, InventoryStoreError, PaymentState, SeatInventory,
};
use std::sync::Arc;

/// Marks the seats sold. A payment that arrived after the hold expired still gets its seats
/// if nobody took them; if someone did, this fails and the saga refunds.
pub struct SellSeats {
    pub bookings: Arc<dyn BookingStore>,
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for SellSeats {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let booking = load(self.bookings.as_ref(), &input.booking).await?;
        if booking.status != BookingStatus::Pending || booking.charge_id().is_none() {
            return Err(StepError::BookingCompensated);
        }
        if matches!(booking.payment, PaymentState::Refunded { .. }) {
            return Err(StepError::BookingCompensated);
        }
        let hold = hold_of(self.inventory.as_ref(), &booking).await?;
        match self.inventory.sell_hold(&hold, self.clock.now()).await {
            Ok(()) => Ok(()),
            Err(InventoryStoreError::Taken(units)) => Err(StepError::SeatsTaken(
                units
                    .iter()
                    .map(|u| u.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
            Err(e) => Err(unavailable(e)),
        }
    }
}
