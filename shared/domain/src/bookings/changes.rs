//! Loading a booking and applying a change to the latest stored version: every booking write
//! (checkout's saga steps, cancellation, check-in) goes through here, so a concurrent writer
//! makes the change reload and apply again instead of overwriting.

use super::models::{Booking, BookingId};
use super::ports::{BookingStore, BookingStoreError};
use crate::clock::Clock;
use crate::holds::models::Hold;
use crate::holds::ports::SeatInventory;
use crate::integration::IntegrationEvent;
use chrono::{DateTime, Utc};
use thiserror::Error;

/// How many times a change is re-applied to a booking that keeps changing under it.
const UPDATE_ATTEMPTS: usize = 5;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChangeError {
    #[error("booking not found: {0}")]
    NotFound(String),
    /// Only from [`change_unless_event_cancelled`].
    #[error("the booking's event is cancelled")]
    EventCancelled,
    #[error("{0}")]
    Unavailable(String),
}

/// A strongly consistent read of one booking. Errors: `NotFound`, `Unavailable`.
pub async fn load(store: &dyn BookingStore, id: &BookingId) -> Result<Booking, ChangeError> {
    store
        .get(id)
        .await
        .map_err(|e| ChangeError::Unavailable(e.to_string()))?
        .ok_or_else(|| ChangeError::NotFound(id.to_string()))
}

/// The hold a booking was made from (never deleted while its booking lives, so a missing one
/// is a store failure). Errors: `Unavailable`.
pub async fn hold_of(
    inventory: &dyn SeatInventory,
    booking: &Booking,
) -> Result<Hold, ChangeError> {
    inventory
        .find_hold(&booking.hold_id)
        .await
        .map_err(|e| ChangeError::Unavailable(e.to_string()))?
        .ok_or_else(|| ChangeError::Unavailable(format!("hold {} is missing", booking.hold_id)))
}

/// Applies `change` to the latest stored booking and saves it with its events; `None` from
/// `change` means nothing to do. Returns the booking as stored afterwards.
pub async fn change(
    store: &dyn BookingStore,
    clock: &dyn Clock,
    id: &BookingId,
    change: impl FnMut(&Booking, DateTime<Utc>) -> Option<(Booking, Vec<IntegrationEvent>)>,
) -> Result<Booking, ChangeError> {
    apply(store, clock, id, false, change).await
}

/// [`change`], saved only while the booking's event is not cancelled (checked in the same
/// write). Errors: `EventCancelled` as well.
pub async fn change_unless_event_cancelled(
    store: &dyn BookingStore,
    clock: &dyn Clock,
    id: &BookingId,
    change: impl FnMut(&Booking, DateTime<Utc>) -> Option<(Booking, Vec<IntegrationEvent>)>,
) -> Result<Booking, ChangeError> {
    apply(store, clock, id, true, change).await
}

async fn apply(
    store: &dyn BookingStore,
    clock: &dyn Clock,
    id: &BookingId,
    unless_event_cancelled: bool,
    mut change: impl FnMut(&Booking, DateTime<Utc>) -> Option<(Booking, Vec<IntegrationEvent>)>,
) -> Result<Booking, ChangeError> {
    for _ in 0..UPDATE_ATTEMPTS {
        let current = load(store, id).await?;
        let Some((next, events)) = change(&current, clock.now()) else {
            return Ok(current);
        };
        let saved = match unless_event_cancelled {
            false => store.update(&next, current.version, &events).await,
            true => {
                store
                    .update_unless_event_cancelled(&next, current.version, &events)
                    .await
            }
        };
        match saved {
            Ok(()) => return Ok(next),
            Err(BookingStoreError::VersionConflict) => continue,
            Err(BookingStoreError::EventCancelled) => return Err(ChangeError::EventCancelled),
            Err(e) => return Err(ChangeError::Unavailable(e.to_string())),
        }
    }
    Err(ChangeError::Unavailable(
        "booking kept changing under this write".into(),
    ))
}
