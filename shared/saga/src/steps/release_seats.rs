use crate::error::{StepError, unavailable};
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::{hold_of, load};
use stagepass_domain::{BookingStore, SeatInventory};
use std::sync::Arc;

/// Compensation: puts the booking's seats back on sale.
pub struct ReleaseSeats {
    pub bookings: Arc<dyn BookingStore>,
    pub inventory: Arc<dyn SeatInventory>,
}

#[async_trait]
impl SagaStep for ReleaseSeats {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let booking = load(self.bookings.as_ref(), &input.booking).await?;
        if booking.status.was_confirmed() {
            return Ok(());
        }
        let hold = hold_of(self.inventory.as_ref(), &booking).await?;
        self.inventory
            .free_hold_units(&hold)
            .await
            .map_err(unavailable)
    }
}
