//! Ports: what the business rules need from the outside world. Each has a DynamoDB adapter
//! (deployed) and an embedded adapter (`make run`), and one contract suite both must pass.

use crate::event::{Category, Event};
use crate::hold::{Hold, UnitRecord};
use crate::ids::{EventId, HoldId};
use crate::layout::UnitId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CatalogError {
    #[error("an event with this id already exists")]
    AlreadyExists,
    #[error("the stored event is not at the expected version")]
    VersionConflict,
    #[error("catalog store unavailable: {0}")]
    Unavailable(String),
}

/// Published events in one city and/or category, starting within a time window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingQuery {
    /// Normalised with [`crate::event::city_key`].
    pub city_key: Option<String>,
    pub category: Option<Category>,
    /// Inclusive bounds on [`Event::start_key`].
    pub from_key: String,
    pub to_key: String,
    pub limit: usize,
}

/// The event catalog: drafts and published events.
#[async_trait]
pub trait EventCatalog: Send + Sync {
    /// Stores a new event. Errors: `AlreadyExists` if the id is taken.
    async fn insert(&self, event: &Event) -> Result<(), CatalogError>;

    /// A strongly consistent read of one event.
    async fn get(&self, id: &EventId) -> Result<Option<Event>, CatalogError>;

    /// Replaces an event, but only if the stored one is at `expected_version`.
    /// Errors: `VersionConflict` otherwise (including when it does not exist).
    async fn replace(&self, event: &Event, expected_version: u64) -> Result<(), CatalogError>;

    /// Up to `query.limit` published events matching the query, ordered by start key.
    async fn list_published(&self, query: &ListingQuery) -> Result<Vec<Event>, CatalogError>;
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum InventoryError {
    /// Units that are sold or held by a live hold. Every such unit of the request is named.
    #[error("units taken: {0:?}")]
    Taken(Vec<UnitId>),
    /// A hold with this id is already recorded (a retry with the same Idempotency-Key).
    #[error("hold already exists")]
    HoldExists(Box<Hold>),
    #[error("hold not found")]
    HoldNotFound,
    #[error("hold is not active")]
    HoldNotActive,
    #[error("inventory store unavailable: {0}")]
    Unavailable(String),
}

/// Which units are claimed, by which hold, until when.
#[async_trait]
pub trait SeatInventory: Send + Sync {
    /// Records `hold` and claims every one of its units for it, all or nothing. A unit is free
    /// when it has no record or its record is a hold that expired at or before `now`.
    /// Errors: `Taken` naming every unit that is not free (nothing is written);
    /// `HoldExists` with the stored hold if `hold.id` is already recorded.
    async fn place_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryError>;

    async fn find_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryError>;

    /// Marks an active hold released and frees those of its units it still claims.
    /// Returns the released hold. Errors: `HoldNotFound`; `HoldNotActive` if already released.
    async fn release_hold(&self, id: &HoldId) -> Result<Hold, InventoryError>;

    /// Records of the event's units in the given blocks that are live at `now`.
    async fn live_units(
        &self,
        event: &EventId,
        blocks: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitRecord>, InventoryError>;
}

/// The time, injectable so tests can move it. Times are whole milliseconds everywhere, so a
/// time written to any store reads back equal.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("in range")
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_millis(Utc::now())
    }
}

/// A clock that only moves when told to; used by tests of expiry.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(to_millis(start)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t = to_millis(*t + by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum IdentityError {
    #[error("an account with this email already exists")]
    EmailTaken,
    /// No such refresh token (never issued, or cleaned up after expiry).
    #[error("refresh token not recognised")]
    UnknownToken,
    /// The token was already used: it has been copied. Its family is now revoked.
    #[error("refresh token was already used; its family is revoked")]
    TokenReused { family: String },
    /// The token's family was revoked (logout, or an earlier reuse).
    #[error("refresh token family revoked")]
    FamilyRevoked,
    #[error("refresh token expired")]
    TokenExpired,
    #[error("identity store unavailable: {0}")]
    Unavailable(String),
}

/// Accounts and refresh tokens.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Stores a new account. Errors: `EmailTaken` if another account has this email.
    async fn create_account(&self, account: &crate::identity::Account)
    -> Result<(), IdentityError>;

    async fn account_by_email(
        &self,
        email: &crate::identity::Email,
    ) -> Result<Option<crate::identity::Account>, IdentityError>;

    /// Records a freshly issued refresh token, in a new family or an existing active one.
    async fn store_refresh(
        &self,
        token: &crate::identity::RefreshToken,
    ) -> Result<(), IdentityError>;

    /// Spends a refresh token, once. Errors, checked in this order: `UnknownToken`;
    /// `FamilyRevoked`; `TokenReused` (and the family is revoked before returning);
    /// `TokenExpired`. Concurrent calls with one token: exactly one succeeds.
    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::identity::RefreshToken, IdentityError>;

    /// Revokes every token of a family (logout). Revoking twice is not an error.
    async fn revoke_family(&self, family: &str) -> Result<(), IdentityError>;
}

/// One fixed-window counter: `bucket` names what is counted and in which window (for example
/// `login-failures:ann@x.com#29384756`); it may be forgotten once `expires_at` has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateWindow {
    pub bucket: String,
    pub expires_at: DateTime<Utc>,
}

/// Counters shared by every running instance, for brute-force limits.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one use of the window unless it already has `limit`: true if counted. Concurrent
    /// calls never count past `limit`. Errors: `Unavailable` only.
    async fn acquire(&self, window: &RateWindow, limit: u32) -> Result<bool, IdentityError>;

    /// Takes one use back (a login that succeeded is not a failure). Never below zero.
    async fn give_back(&self, window: &RateWindow) -> Result<(), IdentityError>;
}
