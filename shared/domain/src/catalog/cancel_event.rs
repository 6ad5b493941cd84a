//! An organiser (or admin) cancels their event: off sale at once, then every booking is
//! refunded and cancelled. Retrying finishes whatever a failed attempt left.

use super::error::CatalogError;
use super::event::{Event, EventStatus};
use super::organise::managed_event;
use super::ports::{CatalogStoreError, EventCatalog};
use crate::bookings::changes::change;
use crate::bookings::{BookingStatus, Settlement};
use crate::error::unavailable;
use crate::identity::Actor;
use crate::ids::EventId;
use crate::integration::events as integration;
use std::sync::Arc;

/// The reason code a cancelled event's bookings carry.
const REASON: &str = "event_cancelled";

pub struct CancelEvent {
    pub catalog: Arc<dyn EventCatalog>,
    pub settlement: Settlement,
}

impl CancelEvent {
    /// Returns the cancelled event and how many confirmed bookings this call cancelled.
    pub async fn cancel_event(
        &self,
        actor: &Actor,
        id: &EventId,
    ) -> Result<(Event, usize), CatalogError> {
        let s = &self.settlement;
        let event = managed_event(self.catalog.as_ref(), actor, id).await?;
        let now = s.clock.now();
        let event = if event.status == EventStatus::Cancelled {
            event
        } else {
            let next = event.cancelled(now)?;
            match self.catalog.replace(&next, event.version).await {
                Ok(()) => next,
                Err(CatalogStoreError::VersionConflict) => {
                    return Err(CatalogError::ConcurrentModification);
                }
                Err(e) => return Err(e.into()),
            }
        };
        s.bookings
            .record_events(&[integration::event_cancelled(&event, event.updated_at)])
            .await
            .map_err(unavailable)?;
        let mut cancelled = 0;
        for listed in s.bookings.for_event(id).await.map_err(unavailable)? {
            // A pending booking is told to stop: its saga's next step refuses and compensates
            // (and its confirmation checks the event anyway). One that confirmed meanwhile is
            // what this call reads back, and is settled like the others.
            let booking = change(
                s.bookings.as_ref(),
                s.clock.as_ref(),
                &listed.id,
                |b, now| {
                    (b.status == BookingStatus::Pending && b.cancel_requested.is_none()).then(
                        || {
                            let next = b.next(now, |n| n.cancel_requested = Some(REASON.into()));
                            (next, vec![])
                        },
                    )
                },
            )
            .await
            .map_err(unavailable)?;
            match booking.status {
                BookingStatus::Confirmed | BookingStatus::Cancelling => {
                    let was = booking.status;
                    s.settle(booking, REASON).await?;
                    if was == BookingStatus::Confirmed {
                        cancelled += 1;
                    }
                }
                // Pending: its saga compensates. Needs attention: a person settles it.
                BookingStatus::Pending
                | BookingStatus::Failed
                | BookingStatus::NeedsAttention
                | BookingStatus::Cancelled => {}
            }
        }
        Ok((event, cancelled))
    }
}
