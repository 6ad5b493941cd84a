//! Checkout: a buyer's live hold becomes a pending booking and the saga starts.

use super::models::{Booking, BookingDraft, BookingId, PaymentMethod};
use super::ports::{BookingError, BookingStore, Workflow};
use crate::catalog::EventStatus;
use crate::catalog::ports::EventCatalog;
use crate::clock::Clock;
use crate::error::{DomainError, Result, unavailable};
use crate::holds::ports::{InventoryError, SeatInventory};
use crate::ids::{HoldId, UserId};
use std::sync::Arc;

/// A buyer as checkout sees them: who, and where their tickets go.
pub struct Buyer {
    pub user: UserId,
    pub email: String,
}

pub struct CheckoutOutcome {
    pub booking: Booking,
    /// False when the hold was already checked out: this is that booking.
    pub created: bool,
}

pub struct Checkout {
    pub catalog: Arc<dyn EventCatalog>,
    pub inventory: Arc<dyn SeatInventory>,
    pub bookings: Arc<dyn BookingStore>,
    pub workflow: Arc<dyn Workflow>,
    pub clock: Arc<dyn Clock>,
}

impl Checkout {
    /// Turns the buyer's live hold into a pending booking and starts the saga. One hold makes
    /// at most one booking: checking it out again returns that booking.
    pub async fn checkout(
        &self,
        buyer: &Buyer,
        hold_id: &HoldId,
        method: PaymentMethod,
    ) -> Result<CheckoutOutcome> {
        let hold = match self
            .inventory
            .find_hold(hold_id)
            .await
            .map_err(unavailable)?
        {
            Some(h) if h.holder == buyer.user => h,
            _ => return Err(DomainError::HoldNotFound(hold_id.to_string())),
        };
        let booking_id = BookingId::for_hold(&hold.id);
        if let Some(existing) = self.bookings.get(&booking_id).await? {
            self.workflow
                .start(&existing.id)
                .await
                .map_err(unavailable)?;
            return Ok(CheckoutOutcome {
                booking: existing,
                created: false,
            });
        }
        let event = self
            .catalog
            .get(&hold.event_id)
            .await?
            .ok_or_else(|| DomainError::EventNotFound(hold.event_id.to_string()))?;
        let now = self.clock.now();
        if !event.is_on_sale(now) {
            return Err(match event.status {
                EventStatus::Cancelled => DomainError::EventCancelled,
                _ if event.starts_at <= now => DomainError::EventStarted,
                _ => DomainError::EventNotOnSale,
            });
        }
        // The hold is marked first, so its holder cannot release the seats from under the saga.
        let hold = match self.inventory.check_out_hold(hold_id, now).await {
            Ok(h) => h,
            Err(InventoryError::HoldExpired) => {
                return Err(DomainError::HoldExpired(hold.expires_at.to_rfc3339()));
            }
            Err(InventoryError::HoldNotActive) => {
                return Err(DomainError::HoldNotActive("released".into()));
            }
            Err(InventoryError::HoldNotFound) => {
                return Err(DomainError::HoldNotFound(hold_id.to_string()));
            }
            Err(e) => return Err(unavailable(e)),
        };
        let booking = Booking::pending(
            BookingDraft {
                hold: &hold,
                email: buyer.email.clone(),
                event_title: event.title.clone(),
                venue: format!("{}, {}", event.venue.name, event.venue.city),
                starts_at: event.starts_at,
                payment_method: method,
            },
            now,
        );
        let (booking, created) = match self.bookings.create(&booking).await {
            Ok(()) => (booking, true),
            // A concurrent checkout of the same hold got there first.
            Err(BookingError::Exists(stored)) => (*stored, false),
            Err(e) => return Err(e.into()),
        };
        self.workflow
            .start(&booking.id)
            .await
            .map_err(unavailable)?;
        Ok(CheckoutOutcome { booking, created })
    }
}
