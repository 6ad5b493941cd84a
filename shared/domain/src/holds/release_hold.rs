//! The holder gives the seats back before the hold expires.

use super::models::{Hold, HoldStatus};
use super::ports::{InventoryError, SeatInventory};
use crate::clock::Clock;
use crate::error::{DomainError, Result, unavailable};
use crate::ids::{HoldId, UserId};
use std::sync::Arc;

pub struct ReleaseHold {
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

impl ReleaseHold {
    /// Its seats go back on sale at once; an expired hold's seats already were, and releasing
    /// it just tidies up its records.
    pub async fn release(&self, holder: &UserId, id: &HoldId) -> Result<Hold> {
        let hold = match self.inventory.find_hold(id).await.map_err(unavailable)? {
            Some(h) if h.holder == *holder => h,
            _ => return Err(DomainError::HoldNotFound(id.to_string())),
        };
        if hold.status != HoldStatus::Active {
            let state = hold.state_at(self.clock.now());
            return Err(DomainError::HoldNotActive(state.into()));
        }
        match self.inventory.release_hold(id).await {
            Ok(h) => Ok(h),
            Err(InventoryError::HoldNotActive) => {
                Err(DomainError::HoldNotActive("released".into()))
            }
            Err(InventoryError::HoldNotFound) => Err(DomainError::HoldNotFound(id.to_string())),
            Err(e) => Err(unavailable(e)),
        }
    }
}
