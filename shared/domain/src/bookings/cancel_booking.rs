//! A buyer cancels a confirmed booking before the event; the organiser's event cancellation
//! settles every booking the same way ([`Settlement`]).

use super::changes::{change, hold_of};
use super::error::BookingError;
use super::models::{Booking, BookingId, BookingStatus, PaymentState, TicketStatus};
use super::ports::{BookingStore, PaymentProvider};
use super::queries::visible_booking;
use crate::clock::Clock;
use crate::error::{InfraError, unavailable};
use crate::holds::ports::SeatInventory;
use crate::identity::Actor;
use crate::integration::events as integration;
use std::sync::Arc;

/// What undoing a booking needs: the money back, the seats back, the tickets void.
pub struct Settlement {
    pub inventory: Arc<dyn SeatInventory>,
    pub bookings: Arc<dyn BookingStore>,
    pub payments: Arc<dyn PaymentProvider>,
    pub clock: Arc<dyn Clock>,
}

impl Settlement {
    /// Refund, free the seats, void the tickets and record the cancellation. Refund and
    /// release come first and are idempotent, so a crash part-way is finished by a retry.
    pub async fn settle(&self, booking: Booking, reason: &str) -> Result<Booking, InfraError> {
        let refund_id = match booking.charge_id() {
            Some(_) => self
                .payments
                .refund(booking.id.as_str())
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
        let reason = reason.to_string();
        change(
            self.bookings.as_ref(),
            self.clock.as_ref(),
            &booking.id,
            |b, now| {
                if b.status == BookingStatus::Cancelled {
                    return None;
                }
                let next = b.next(now, |n| {
                    n.status = BookingStatus::Cancelled;
                    n.reason = Some(reason.clone());
                    n.payment = PaymentState::Refunded {
                        charge_id: b.charge_id().map(str::to_string),
                        refund_id: refund_id.clone(),
                    };
                    for t in &mut n.tickets {
                        t.status = TicketStatus::Void;
                    }
                });
                let events = vec![integration::booking_cancelled(&next)];
                Some((next, events))
            },
        )
        .await
        .map_err(unavailable)
    }
}

pub struct CancelBooking {
    pub settlement: Settlement,
}

impl CancelBooking {
    /// The buyer cancels a confirmed booking before the event: refund, seats back on sale,
    /// tickets void, `BookingCancelled`. Safe to retry: each part happens once.
    pub async fn cancel(&self, viewer: &Actor, id: &BookingId) -> Result<Booking, BookingError> {
        let s = &self.settlement;
        let booking = visible_booking(s.bookings.as_ref(), viewer, id).await?;
        if booking.status == BookingStatus::Cancelled {
            // A retry: make sure the money and seats are settled, then answer the same.
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
        Ok(s.settle(booking, "cancelled_by_buyer").await?)
    }
}
