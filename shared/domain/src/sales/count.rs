//! `count-sales`: each booking event, counted once into its event's tally.

use super::models::{SalesChange, SalesCounts};
use super::ports::SalesLedger;
use crate::clock::Clock;
use crate::ids::EventId;
use crate::integration::consumer::{MessageFailure, REMEMBER_DAYS, Unusable, accept, fact};
use crate::integration::events::{BookingCancelled, BookingConfirmed, BookingFailed};
use chrono::Duration;
use std::sync::Arc;

/// The name the consumer gives in its dead-letter reasons.
pub const CONSUMER: &str = "count-sales";

/// The event types the subscriber's rule passes, and all it takes.
pub const KINDS: &[&str] = &["BookingConfirmed", "BookingCancelled", "BookingFailed"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    Counted(EventId),
    /// This fact was counted before (a redelivery or a replay).
    Duplicate,
}

pub struct CountSales {
    pub ledger: Arc<dyn SalesLedger>,
    pub clock: Arc<dyn Clock>,
}

impl CountSales {
    /// Counts the booking event in `body` (an EventBridge envelope) once.
    pub async fn handle(&self, body: &str) -> Result<Counted, MessageFailure> {
        let event = accept(body, CONSUMER, KINDS)?;
        let (booking, counts) = match event.kind.as_str() {
            "BookingConfirmed" => {
                let f: BookingConfirmed = fact(&event)?;
                let n = f.booking.seats.len() as i64;
                let counts = SalesCounts {
                    bookings: 1,
                    tickets: n,
                    gross: f.booking.total,
                    ..SalesCounts::default()
                };
                (f.booking, counts)
            }
            "BookingCancelled" => {
                let f: BookingCancelled = fact(&event)?;
                let n = f.booking.seats.len() as i64;
                let counts = SalesCounts {
                    cancelled_bookings: 1,
                    cancelled_tickets: n,
                    refunded: f.booking.total,
                    ..SalesCounts::default()
                };
                (f.booking, counts)
            }
            _ => {
                let f: BookingFailed = fact(&event)?;
                let counts = SalesCounts {
                    failed_bookings: 1,
                    ..SalesCounts::default()
                };
                (f.booking, counts)
            }
        };
        let malformed = |problem: &str| Unusable::Malformed {
            kind: event.kind.clone(),
            id: event.id.clone(),
            problem: problem.to_string(),
        };
        let event_id = EventId::parse(&booking.event_id).ok_or_else(|| malformed("event_id"))?;
        if booking.total < 0 {
            return Err(malformed("a negative total").into());
        }
        let change = SalesChange {
            event_id: event_id.clone(),
            currency: booking.currency,
            counted_at: self.clock.now(),
            counts,
        };
        let remember_until = change.counted_at + Duration::days(REMEMBER_DAYS);
        match self
            .ledger
            .count(&event.id, &change, remember_until)
            .await?
        {
            true => Ok(Counted::Counted(event_id)),
            false => Ok(Counted::Duplicate),
        }
    }
}
