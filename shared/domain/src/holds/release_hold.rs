//! The holder gives the seats back before the hold expires.

use super::error::HoldError;
use super::expire_holds::ExpireHolds;
use super::models::{Hold, HoldStatus};
use super::ports::{InventoryStoreError, SeatInventory};
use crate::clock::Clock;
use crate::error::unavailable;
use crate::ids::{HoldId, UserId};
use crate::integration::events::hold_released;
use std::sync::Arc;

pub struct ReleaseHold {
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

impl ReleaseHold {
    /// Its seats go back on sale at once (`HoldReleased`). An expired hold's seats already
    /// were: releasing it records that it expired (`HoldExpired`, if no one had) and answers
    /// `hold_not_active`, as for any hold that is no longer active.
    pub async fn release(&self, holder: &UserId, id: &HoldId) -> Result<Hold, HoldError> {
        let hold = match self.inventory.find_hold(id).await.map_err(unavailable)? {
            Some(h) if h.holder == *holder => h,
            _ => return Err(HoldError::HoldNotFound(id.to_string())),
        };
        if hold.status != HoldStatus::Active {
            let state = hold.state_at(self.clock.now());
            return Err(HoldError::HoldNotActive(state.into()));
        }
        let now = self.clock.now();
        if hold.expires_at <= now {
            let expiry = ExpireHolds {
                inventory: self.inventory.clone(),
                clock: self.clock.clone(),
            };
            expiry.expire(&hold).await.map_err(unavailable)?;
            return Err(HoldError::HoldNotActive("expired".into()));
        }
        let events = [hold_released(&hold, now)];
        match self.inventory.release_hold(id, &events).await {
            Ok(h) => Ok(h),
            Err(InventoryStoreError::HoldNotActive) => {
                Err(HoldError::HoldNotActive("released".into()))
            }
            Err(InventoryStoreError::HoldNotFound) => Err(HoldError::HoldNotFound(id.to_string())),
            Err(e) => Err(unavailable(e).into()),
        }
    }
}
