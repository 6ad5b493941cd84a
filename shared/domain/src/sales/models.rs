//! An event's sales as the booking events report them.

use crate::ids::EventId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// Counters that only ever grow: each booking event adds to some of them, so the order
/// events arrive in does not change the sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesCounts {
    /// Bookings confirmed (paid).
    pub bookings: i64,
    /// Tickets of those bookings (one per seat or place).
    pub tickets: i64,
    /// What those bookings were charged, in minor units.
    pub gross: i64,
    /// Confirmed bookings later cancelled and refunded.
    pub cancelled_bookings: i64,
    pub cancelled_tickets: i64,
    /// Refunded, in minor units.
    pub refunded: i64,
    /// Bookings that did not go ahead (declined cards, seats gone): nothing kept.
    pub failed_bookings: i64,
}

impl AddAssign for SalesCounts {
    fn add_assign(&mut self, o: Self) {
        self.bookings += o.bookings;
        self.tickets += o.tickets;
        self.gross += o.gross;
        self.cancelled_bookings += o.cancelled_bookings;
        self.cancelled_tickets += o.cancelled_tickets;
        self.refunded += o.refunded;
        self.failed_bookings += o.failed_bookings;
    }
}

/// What one booking event adds to its event's tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesChange {
    pub event_id: EventId,
    pub currency: String,
    /// When it is counted (the tally's `updated_at` becomes this).
    pub counted_at: DateTime<Utc>,
    pub counts: SalesCounts,
}

/// An event's tally so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesTally {
    pub event_id: EventId,
    pub currency: String,
    pub counts: SalesCounts,
    /// When a fact was last counted (none yet: when the event was created).
    pub updated_at: DateTime<Utc>,
}

impl SalesTally {
    /// Tickets still sold: sold minus cancelled.
    pub fn net_tickets(&self) -> i64 {
        self.counts.tickets - self.counts.cancelled_tickets
    }

    /// Takings kept: charged minus refunded, in minor units.
    pub fn net(&self) -> i64 {
        self.counts.gross - self.counts.refunded
    }

    /// The tally with `change` added (the embedded store's way; DynamoDB adds in place).
    pub fn with(mut self, change: &SalesChange) -> Self {
        self.counts += change.counts;
        self.updated_at = self.updated_at.max(change.counted_at);
        self
    }

    pub fn first(change: &SalesChange) -> Self {
        Self {
            event_id: change.event_id.clone(),
            currency: change.currency.clone(),
            counts: change.counts,
            updated_at: change.counted_at,
        }
    }
}
