//! Checkout: a buyer's live hold becomes a pending booking and the saga starts.

use super::error::BookingError;
use super::models::{Booking, BookingDraft, BookingId, PaymentMethod};
use super::ports::{BookingStore, BookingStoreError, Workflow};
use crate::catalog::ports::EventCatalog;
use crate::clock::Clock;
use crate::error::unavailable;
use crate::holds::ports::{InventoryStoreError, SeatInventory};
pub use crate::identity::Buyer;
use crate::ids::HoldId;
use crate::queue::Admissions;
use crate::rate::BuyerRate;
use std::sync::Arc;

/// How long a checkout keeps its seats for the saga, whatever the hold's own expiry: longer
/// than the saga's forward path can take with every retry (see `infra/booking-saga.asl.json`).
/// A saga still charging after that may find them taken, and then refunds.
pub const SEATS_KEPT_FOR_SAGA: chrono::Duration = chrono::Duration::minutes(15);

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
    /// Checkouts per buyer per minute: a card-testing script gets a few tries, not thousands.
    pub rate: BuyerRate,
    /// The waiting rooms' door; none where no room can be set (some tests).
    pub admissions: Option<Arc<Admissions>>,
}

impl Checkout {
    /// Turns the buyer's live hold into a pending booking and starts the saga. One hold makes
    /// at most one booking: checking it out again returns that booking.
    pub async fn checkout(
        &self,
        buyer: &Buyer,
        hold_id: &HoldId,
        method: PaymentMethod,
    ) -> Result<CheckoutOutcome, BookingError> {
        self.checkout_admitted(buyer, hold_id, method, None).await
    }

    /// [`Self::checkout`] with the admission token the buyer presented, if any: while the
    /// event's waiting room guards it, a new checkout without a valid one is refused.
    pub async fn checkout_admitted(
        &self,
        buyer: &Buyer,
        hold_id: &HoldId,
        method: PaymentMethod,
        admission: Option<&str>,
    ) -> Result<CheckoutOutcome, BookingError> {
        self.rate.count(&buyer.rate_key()).await?;
        let hold = match self
            .inventory
            .find_hold(hold_id)
            .await
            .map_err(unavailable)?
        {
            Some(h) if h.holder == buyer.user => h,
            _ => return Err(BookingError::HoldNotFound(hold_id.to_string())),
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
            .await
            .map_err(unavailable)?
            .ok_or_else(|| BookingError::EventNotFound(hold.event_id.to_string()))?;
        let now = self.clock.now();
        if !event.is_on_sale(now) {
            return Err(match event.status {
                s if s.is_cancelled() => BookingError::EventCancelled,
                _ if event.starts_at <= now => BookingError::EventStarted,
                _ => BookingError::EventNotOnSale,
            });
        }
        // A retried checkout found its booking above; a new one passes the room's door.
        if let Some(door) = &self.admissions {
            door.check(&event.id, buyer, admission).await?;
        }
        // The hold is marked first, so its holder cannot release the seats from under the saga,
        // and its seats are kept until the saga's deadline: nobody may take them while it runs.
        let until = now + SEATS_KEPT_FOR_SAGA;
        let hold = match self.inventory.check_out_hold(hold_id, now, until).await {
            Ok(h) => h,
            Err(InventoryStoreError::HoldExpired) => {
                // The first to see it expired tells subscribers (once, whoever it is).
                let expiry = crate::holds::ExpireHolds {
                    inventory: self.inventory.clone(),
                    clock: self.clock.clone(),
                };
                if let Err(e) = expiry.expire(&hold).await {
                    tracing::warn!(hold = %hold.id, error = %e, "expiry not recorded; the stream or sweep will");
                }
                return Err(BookingError::HoldExpired(hold.expires_at.to_rfc3339()));
            }
            Err(InventoryStoreError::HoldNotActive) => {
                return Err(BookingError::HoldNotActive("released".into()));
            }
            Err(InventoryStoreError::HoldNotFound) => {
                return Err(BookingError::HoldNotFound(hold_id.to_string()));
            }
            Err(e) => return Err(unavailable(e).into()),
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
            Err(BookingStoreError::Exists(stored)) => (*stored, false),
            Err(e) => return Err(e.into()),
        };
        self.workflow
            .start(&booking.id)
            .await
            .map_err(unavailable)?;
        Ok(CheckoutOutcome { booking, created })
    }
}
