use super::{event_not_cancelled, going_ahead};
use crate::error::{StepError, unavailable};
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::{hold_of, load};
use stagepass_domain::{
    BookingStore, Clock, EventCatalog, InventoryStoreError, PaymentState, SeatInventory,
};
use std::sync::Arc;

/// Marks the seats sold. A payment that arrived after the hold expired still gets its seats
/// if nobody took them; if someone did, this fails and the saga refunds.
pub struct SellSeats {
    pub bookings: Arc<dyn BookingStore>,
    pub catalog: Arc<dyn EventCatalog>,
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for SellSeats {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let booking = load(self.bookings.as_ref(), &input.booking).await?;
        going_ahead(&booking)?;
        if !matches!(booking.payment, PaymentState::Charged { .. }) {
            return Err(StepError::BookingCompensated);
        }
        // Seats of a cancelled event are never sold: compensate (the refund follows).
        event_not_cancelled(self.catalog.as_ref(), &booking).await?;
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
