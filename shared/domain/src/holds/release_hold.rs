//! The holder gives the seats back before the hold expires.

use super::error::HoldError;
use super::models::{Hold, HoldStatus};
use super::ports::{InventoryStoreError, SeatInventory};
use crate::clock::Clock;
use crate::error::unavailable;
use crate::ids::{HoldId, UserId};
use std::sync::Arc;

pub struct ReleaseHold {
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

impl ReleaseHold {
    /// Its seats go back on sale at once; an expired hold's seats already were, and releasing
    /// it just tidies up its records.
    pub async fn release(&self, holder: &UserId, id: &HoldId) -> Result<Hold, HoldError> {
        let hold = match self.inventory.find_hold(id).await.map_err(unavailable)? {
            Some(h) if h.holder == *holder => h,
            _ => return Err(HoldError::HoldNotFound(id.to_string())),
        };
        if hold.status != HoldStatus::Active {
            let state = hold.state_at(self.clock.now());
            return Err(HoldError::HoldNotActive(state.into()));
        }
        match self.inventory.release_hold(id).await {
            Ok(h) => Ok(h),
            Err(InventoryStoreError::HoldNotActive) => {
                Err(HoldError::HoldNotActive("released".into()))
            }
            Err(InventoryStoreError::HoldNotFound) => Err(HoldError::HoldNotFound(id.to_string())),
            Err(e) => Err(unavailable(e).into()),
        }
    }
}
