//! Reading bookings: one for its buyer (or an admin), or a buyer's own list.

use super::error::BookingError;
use super::models::{Booking, BookingId};
use super::ports::BookingStore;
use crate::identity::Actor;
use crate::ids::UserId;

/// One booking, for its buyer (or an admin); anyone else is told it does not exist.
pub async fn visible_booking(
    store: &dyn BookingStore,
    viewer: &Actor,
    id: &BookingId,
) -> Result<Booking, BookingError> {
    match store.get(id).await? {
        Some(b) if viewer.admin || b.buyer == viewer.user => Ok(b),
        _ => Err(BookingError::BookingNotFound(id.to_string())),
    }
}

/// A buyer's own bookings, newest first.
pub async fn bookings_of(
    store: &dyn BookingStore,
    buyer: &UserId,
    limit: usize,
) -> Result<Vec<Booking>, BookingError> {
    Ok(store.for_buyer(buyer, limit).await?)
}
