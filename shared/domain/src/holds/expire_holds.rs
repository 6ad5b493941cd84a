//! A hold's time runs out: `HoldExpired` is recorded once, by whatever sees it first. Its
//! seats were free from the expiry on (every claim carries it); this only tells subscribers.
//!
//! Observers: deployed, the inventory table's stream (DynamoDB TTL deleting an expired claim,
//! up to 48 hours late, or another hold taking the seats over first); a release or checkout
//! of the expired hold; locally, a background sweep. The store's conditional write lets
//! exactly one of them record it, and the event id is derived from the hold, so a repeat is
//! the same event.

use super::models::{Hold, HoldStatus};
use super::ports::{ExpiredHolds, InventoryStoreError, SeatInventory};
use crate::clock::Clock;
use crate::error::InfraError;
use crate::ids::HoldId;
use crate::integration::events::hold_expired;
use std::sync::Arc;

/// Holds expired per sweep round.
const PAGE: usize = 100;

pub struct ExpireHolds {
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

impl ExpireHolds {
    /// Records `HoldExpired` for the hold if it is active and its expiry has passed and no one
    /// recorded it yet; returns whether this call did. An unknown hold is not an error (its
    /// record may be gone after its retention).
    pub async fn observe(&self, id: &HoldId) -> Result<bool, InfraError> {
        let now = self.clock.now();
        let hold = match self.inventory.find_hold(id).await.map_err(infra)? {
            Some(h) if h.status == HoldStatus::Active && h.expires_at <= now => h,
            _ => return Ok(false),
        };
        self.expire(&hold).await
    }

    /// `observe` for a hold already read.
    pub async fn expire(&self, hold: &Hold) -> Result<bool, InfraError> {
        let now = self.clock.now();
        match self
            .inventory
            .expire_hold(&hold.id, now, &[hold_expired(hold)])
            .await
        {
            Ok(expired) => Ok(expired.is_some()),
            Err(InventoryStoreError::HoldNotFound) => Ok(false),
            Err(e) => Err(infra(e)),
        }
    }

    /// Records every expiry `source` lists (the local sweep); returns how many it recorded.
    pub async fn sweep(&self, source: &dyn ExpiredHolds) -> Result<usize, InfraError> {
        let mut recorded = 0;
        loop {
            let page = source
                .expired_holds(self.clock.now(), PAGE)
                .await
                .map_err(infra)?;
            for id in &page {
                if self.observe(id).await? {
                    recorded += 1;
                }
            }
            if page.len() < PAGE {
                return Ok(recorded);
            }
        }
    }
}

fn infra(e: InventoryStoreError) -> InfraError {
    InfraError(e.to_string())
}
