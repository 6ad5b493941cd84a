//! What holds need from a store: which units are claimed, by which hold, until when.

use super::models::{Hold, UnitRecord};
use crate::catalog::layout::{Block, UnitId};
use crate::ids::{EventId, HoldId};
use crate::integration::IntegrationEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum InventoryStoreError {
    /// Units that are sold or held by a live hold. Every such unit of the request is named.
    #[error("units taken: {0:?}")]
    Taken(Vec<UnitId>),
    /// A hold with this id is already recorded (a retry with the same Idempotency-Key).
    #[error("hold already exists")]
    HoldExists(Box<Hold>),
    /// The holder already holds `held` places at the event: this hold would pass the limit.
    #[error("holder already holds {held} places")]
    LimitReached { held: u32 },
    #[error("hold not found")]
    HoldNotFound,
    #[error("hold is not active")]
    HoldNotActive,
    #[error("hold expired")]
    HoldExpired,
    #[error("inventory store unavailable: {0}")]
    Unavailable(String),
}

/// Which units are claimed, by which hold, until when.
#[async_trait]
pub trait SeatInventory: Send + Sync {
    /// Records `hold` and claims every one of its units for it, all or nothing, and counts its
    /// places in the holder's [`HeldPlaces`](super::models::HeldPlaces) at the event, in the
    /// same write. A unit is free when it has no record or its record is a hold that expired
    /// at or before `now`.
    /// Errors: `Taken` naming every unit that is not free (nothing is written);
    /// `HoldExists` with the stored hold if `hold.id` is already recorded; `LimitReached` if
    /// the holder's live places plus this hold's would pass `limit` (nothing is written).
    /// `events` (`SeatsHeld`) go to the outbox in the same write.
    async fn place_hold(
        &self,
        hold: &Hold,
        now: DateTime<Utc>,
        limit: u32,
        events: &[IntegrationEvent],
    ) -> Result<(), InventoryStoreError>;

    async fn find_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryStoreError>;

    /// Marks an active hold released and frees those of its units it still claims; its places
    /// stop counting for its holder; `events` (`HoldReleased`) go to the outbox in the same
    /// write. Returns the released hold.
    /// Errors: `HoldNotFound`; `HoldNotActive` if not active (nothing is written).
    async fn release_hold(
        &self,
        id: &HoldId,
        events: &[IntegrationEvent],
    ) -> Result<Hold, InventoryStoreError>;

    /// Marks an active hold whose expiry is at or before `now` `expired`, with `events`
    /// (`HoldExpired`) in the outbox in the same write; its units need no change (an expired
    /// claim is free). Returns the hold if this call expired it, `None` if it was not active
    /// (released, checked out, or expired by another observer) or has not expired yet, so of
    /// any number of observers exactly one records the expiry.
    /// Errors: `HoldNotFound`.
    async fn expire_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
        events: &[IntegrationEvent],
    ) -> Result<Option<Hold>, InventoryStoreError>;

    /// Marks a live active hold `checked_out` and, in the same write, keeps its units claimed
    /// until `until` (the saga's deadline) instead of the hold's expiry: its holder can no
    /// longer release it, nobody else can take its seats while the saga runs, and it becomes
    /// one booking, and its places stop counting against its holder's limit. Checking out a
    /// checked-out hold again returns it unchanged.
    /// Errors: `HoldNotFound`; `HoldNotActive` if released; `HoldExpired` if expired at `now`.
    async fn check_out_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Hold, InventoryStoreError>;

    /// Marks every unit of the hold sold, all or nothing. A unit can be sold if it has no
    /// record, is claimed by this hold (even after the hold expired: a late payment), or is
    /// claimed by another hold that has expired. Selling again is not an error.
    /// Errors: `Taken` naming every unit another live hold or sale has (nothing is written).
    async fn sell_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryStoreError>;

    /// Frees every unit this hold still claims, held or sold (compensation, cancellation).
    /// Units another hold has since taken are left alone. Freeing again is not an error.
    async fn free_hold_units(&self, hold: &Hold) -> Result<(), InventoryStoreError>;

    /// Records of the event's units in the given blocks that are live at `now`. The read may
    /// be a moment stale (eventually consistent): it informs a map or a pick, and the
    /// conditional writes above stay the only judge of who gets a unit.
    async fn live_units(
        &self,
        event: &EventId,
        blocks: &[Block],
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitRecord>, InventoryStoreError>;
}

/// Active holds whose expiry has passed, for a store that has no TTL stream to report them
/// (the embedded one: `make run` sweeps with it).
#[async_trait]
pub trait ExpiredHolds: Send + Sync {
    /// Up to `limit` active holds whose expiry is at or before `now`, earliest expiry first.
    async fn expired_holds(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<HoldId>, InventoryStoreError>;
}
