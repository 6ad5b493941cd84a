//! A buyer cancels a confirmed booking before the event; the organiser's event cancellation
//! settles every booking the same way ([`Settlement`]).

use super::changes::{change, hold_of};
use super::error::BookingError;
use super::models::{Booking, BookingId, BookingStatus, PaymentState, TicketStatus};
use super::ports::{BookingStore, PaymentOrder, PaymentProvider};
use super::queries::visible_booking;
use crate::clock::Clock;
use crate::error::{InfraError, unavailable};
use crate::holds::ports::SeatInventory;
use crate::identity::Actor;
use crate::integration::events as integration;
use std::sync::Arc;

/// What undoing a booking needs: the money back, the seats back, the tickets void.
#[derive(Clone)]
pub struct Settlement {
    pub inventory: Arc<dyn SeatInventory>,
    pub bookings: Arc<dyn BookingStore>,
    pub payments: Arc<dyn PaymentProvider>,
    pub clock: Arc<dyn Clock>,
}

impl Settlement {
    /// Cancels a confirmed booking in three writes, each safe to repeat: `cancelling` with
    /// every ticket void, then the refund and the seats back on sale, then `cancelled` with
    /// `BookingCancelled`. Voiding comes first so a crash anywhere can never leave a seat on
    /// sale that a valid ticket still names; a retry (or the sweeper) finishes the rest.
    /// A booking that is not confirmed or cancelling is returned as it is.
    pub async fn settle(&self, booking: Booking, reason: &str) -> Result<Booking, InfraError> {
        let (store, clock) = (self.bookings.as_ref(), self.clock.as_ref());
        let booking = change(store, clock, &booking.id, |b, now| {
            (b.status == BookingStatus::Confirmed).then(|| {
                let next = b.next(now, |n| {
                    n.status = BookingStatus::Cancelling;
                    n.reason = Some(reason.to_string());
                    for t in &mut n.tickets {
                        t.status = TicketStatus::Void;
                    }
                });
                (next, vec![])
            })
        })
        .await
        .map_err(unavailable)?;
        if booking.status != BookingStatus::Cancelling {
            return Ok(booking);
        }
        // Refund by key: idempotent, and it finds a charge whatever the booking recorded.
        let refund_id = match booking.charge_id() {
            Some(_) => self
                .payments
                .refund(&PaymentOrder::of(&booking))
                .await
                .map_err(unavailable)?,
            None => None,
        };
        let hold = hold_of(self.inventory.as_ref(), &booking)
            .await
            .map_err(unavailable)?;
        self.inventory
            .free_hold_units(&hold)
            .await
            .map_err(unavailable)?;
        change(store, clock, &booking.id, |b, now| {
            (b.status == BookingStatus::Cancelling).then(|| {
                let next = b.next(now, |n| {
                    n.status = BookingStatus::Cancelled;
                    n.payment = PaymentState::Refunded {
                        charge_id: b.charge_id().map(str::to_string),
                        refund_id: refund_id.clone(),
                    };
                });
                let events = vec![integration::booking_cancelled(&next)];
                (next, events)
            })
        })
        .await
        .map_err(unavailable)
    }
}

pub struct CancelBooking {
    pub settlement: Settlement,
}

impl CancelBooking {
    /// The buyer cancels a confirmed booking before the event: refund, seats back on sale,
    /// tickets void, `BookingCancelled`. Safe to retry: each part happens once. A buyer whose
    /// email is not proven (`email_verified`: an unverified account, or a guest who did not
    /// come through their emailed link) may not: money goes back only to someone the
    /// booking's inbox vouches for. Admins may always.
    pub async fn cancel(
        &self,
        viewer: &Actor,
        email_verified: bool,
        id: &BookingId,
    ) -> Result<Booking, BookingError> {
        let s = &self.settlement;
        let booking = visible_booking(s.bookings.as_ref(), viewer, id).await?;
        if matches!(
            booking.status,
            BookingStatus::Cancelling | BookingStatus::Cancelled
        ) {
            // A retry: finish whatever a failed attempt left, then answer the same.
            return Ok(s.settle(booking, "cancelled_by_buyer").await?);
        }
        if booking.status != BookingStatus::Confirmed {
            return Err(BookingError::BookingNotCancellable(
                booking.status.as_str().into(),
            ));
        }
        if booking.starts_at <= s.clock.now() {
            return Err(BookingError::EventStarted);
        }
        if !email_verified && !viewer.admin {
            return Err(BookingError::EmailNotVerified);
        }
        Ok(s.settle(booking, "cancelled_by_buyer").await?)
    }
}
