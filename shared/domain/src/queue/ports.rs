//! What a waiting room needs from a store, and from whoever signs admission tokens.

use super::models::{Admission, Entry, OrderKey, Progress, Room, RoomConfig};
use crate::error::InfraError;
use crate::ids::EventId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Rooms, their entries and their progress. No write here touches an item every fan shares:
/// a join writes its own entry and its key, admission writes the room once per tick.
/// Every method fails only with `InfraError` (the store is unavailable).
#[async_trait]
pub trait WaitingRooms: Send + Sync {
    /// The event's room with its progress, if it has one.
    async fn room(&self, event: &EventId) -> Result<Option<Room>, InfraError>;

    /// Sets the room's config, creating the room (with no progress) if there is none. The
    /// progress is left as it is.
    async fn configure(&self, event: &EventId, config: &RoomConfig) -> Result<(), InfraError>;

    /// Records `entry` and its key, both or neither, unless its fan already has an entry at
    /// the event. Returns the fan's stored entry and whether it is this one. The store may
    /// forget both a while after the room `closes_at`.
    async fn join(
        &self,
        entry: &Entry,
        closes_at: DateTime<Utc>,
    ) -> Result<(Entry, bool), InfraError>;

    async fn entry(&self, event: &EventId, fan: &str) -> Result<Option<Entry>, InfraError>;

    /// Sets the entry's `admitted_at` to `at` unless it has one, and returns the stored
    /// entry; `None` if the fan has no entry.
    async fn mark_admitted(
        &self,
        event: &EventId,
        fan: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Entry>, InfraError>;

    /// Claims the room's next tick until `until`, if no claim is live at `now`, and returns
    /// the room as it stands under the claim (the progress the last tick saved). `None` if
    /// another admitter holds it, or there is no room.
    async fn claim_tick(
        &self,
        event: &EventId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Room>, InfraError>;

    /// Stores the progress a tick made under the claim that ends at `claim`, and gives the
    /// claim up. False (nothing written) if that claim is no longer the room's: it lapsed and
    /// another admitter may have moved on, so this older progress must not replace theirs.
    async fn save_progress(
        &self,
        event: &EventId,
        progress: &Progress,
        claim: DateTime<Utc>,
    ) -> Result<bool, InfraError>;

    /// Up to `limit` keys of the event's entries after `after` (from the first if `None`)
    /// and before `before`, in order. The read may be a moment stale: [`super::SETTLE`]
    /// covers it.
    async fn keys_between(
        &self,
        event: &EventId,
        after: Option<&OrderKey>,
        before: &OrderKey,
        limit: usize,
    ) -> Result<Vec<OrderKey>, InfraError>;
}

/// Signs admission tokens (the function that tells a fan they are in).
#[async_trait]
pub trait AdmissionSigner: Send + Sync {
    async fn sign_admission(&self, admission: &Admission) -> Result<String, InfraError>;
}

/// Checks admission tokens (hold and checkout).
#[async_trait]
pub trait AdmissionVerifier: Send + Sync {
    /// What `token` says, if one of our keys signed it as an admission token and it has not
    /// expired.
    async fn verify_admission(&self, token: &str) -> Option<Admission>;
}
