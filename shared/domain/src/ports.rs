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
    #[error("hold expired")]
    HoldExpired,
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

    /// Marks a live active hold `checked_out`: its holder can no longer release it and it
    /// becomes one booking. Checking out a checked-out hold again returns it unchanged.
    /// Errors: `HoldNotFound`; `HoldNotActive` if released; `HoldExpired` if expired at `now`.
    async fn check_out_hold(&self, id: &HoldId, now: DateTime<Utc>)
    -> Result<Hold, InventoryError>;

    /// Marks every unit of the hold sold, all or nothing. A unit can be sold if it has no
    /// record, is claimed by this hold (even after the hold expired: a late payment), or is
    /// claimed by another hold that has expired. Selling again is not an error.
    /// Errors: `Taken` naming every unit another live hold or sale has (nothing is written).
    async fn sell_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryError>;

    /// Frees every unit this hold still claims, held or sold (compensation, cancellation).
    /// Units another hold has since taken are left alone. Freeing again is not an error.
    async fn free_hold_units(&self, hold: &Hold) -> Result<(), InventoryError>;

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

// ---- Bookings, payments, tickets, mail, events, workflow -------------------------------

use crate::booking::{Booking, BookingId, PaymentMethod, TicketClaims};
use crate::ids::UserId;
use crate::integration::IntegrationEvent;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum BookingError {
    /// A booking with this id is already stored (a retried checkout): here it is.
    #[error("booking already exists")]
    Exists(Box<Booking>),
    #[error("the stored booking is not at the expected version")]
    VersionConflict,
    #[error("booking store unavailable: {0}")]
    Unavailable(String),
}

/// Bookings, and the outbox of integration events written with them.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Stores a new booking. Errors: `Exists` with the stored one if the id is taken.
    async fn create(&self, booking: &Booking) -> Result<(), BookingError>;

    /// A strongly consistent read.
    async fn get(&self, id: &BookingId) -> Result<Option<Booking>, BookingError>;

    /// Replaces the booking if the stored one is at `expected_version`, and adds `events` to
    /// the outbox in the same transaction: a state change and its events are never apart.
    /// Errors: `VersionConflict` (nothing is written).
    async fn update(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingError>;

    /// A buyer's bookings, newest first, at most `limit`.
    async fn for_buyer(&self, buyer: &UserId, limit: usize) -> Result<Vec<Booking>, BookingError>;

    /// Every booking of an event (for cancelling it).
    async fn for_event(&self, event: &EventId) -> Result<Vec<Booking>, BookingError>;

    /// Adds events to the outbox on their own (for changes outside a booking, such as an
    /// event being cancelled). Adding an event id that is already there is not an error.
    async fn record_events(&self, events: &[IntegrationEvent]) -> Result<(), BookingError>;

    /// Outbox events not yet delivered, oldest first.
    async fn undelivered(&self, limit: usize) -> Result<Vec<IntegrationEvent>, BookingError>;

    /// Removes delivered events from the outbox.
    async fn delivered(&self, ids: &[String]) -> Result<(), BookingError>;
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PaymentError {
    /// The card was refused for good (`card_declined`, `insufficient_funds`): do not retry.
    #[error("payment declined: {0}")]
    Declined(String),
    /// The provider failed; the same call may succeed if retried with the same key.
    #[error("payment provider error: {0}")]
    Transient(String),
    /// No answer in time: the charge may or may not have happened. Retrying with the same
    /// key is safe and tells which.
    #[error("payment provider timed out")]
    Timeout,
}

/// A payment provider. Every call names an idempotency key; a provider must never act twice
/// for one key (Stripe's `Idempotency-Key` has exactly this meaning).
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Charges `amount` minor units once per `key`. A retry returns the first charge's id.
    async fn charge(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError>;

    /// Refunds in full whatever was charged with `key`, once: `None` if nothing was.
    async fn refund(&self, key: &str) -> Result<Option<String>, PaymentError>;
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct InfraError(pub String);

/// Where ticket PDFs are kept (S3 deployed, a folder locally).
#[async_trait]
pub trait TicketFiles: Send + Sync {
    /// Writes (or overwrites with the same bytes: issuing is retried) one file.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), InfraError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError>;
    /// A link the buyer can open (presigned on S3).
    async fn link(&self, key: &str) -> Result<String, InfraError>;
}

/// Sends one MIME message (see [`crate::mail`]) and returns the provider's message id.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, to: &str, raw_mime: Vec<u8>) -> Result<String, InfraError>;
}

/// The integration event bus (EventBridge deployed).
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes every event, retrying entries the bus refused. Errors name the events that
    /// still failed; the caller keeps them in the outbox and tries again later.
    async fn publish(&self, events: &[IntegrationEvent]) -> Result<(), InfraError>;
}

/// Starts the booking saga (Step Functions deployed, the in-process interpreter locally).
#[async_trait]
pub trait Workflow: Send + Sync {
    /// Starts the saga for a booking. The execution is named by the booking id, so starting
    /// it again is not an error and does not run it twice.
    async fn start(&self, booking: &BookingId) -> Result<(), InfraError>;
}

/// Signs what a ticket's QR code carries, and checks it.
pub trait TicketSigner: Send + Sync {
    fn sign_ticket(&self, claims: &TicketClaims) -> Result<String, InfraError>;
    /// `None` for anything not signed by one of our keys as a ticket.
    fn verify_ticket(&self, token: &str) -> Option<TicketClaims>;
}

/// A response saved for an Idempotency-Key, to be replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedResponse {
    pub status: u16,
    pub body: String,
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time (or the previous attempt's lease ran out): go ahead, then `complete`.
    Started,
    /// Already done: this is what the first one answered.
    Done(SavedResponse),
    /// Another attempt holds the key right now.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

/// Keys that make a retried request (or a redelivered event) take effect once.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request identified by `fingerprint`, with a lease until
    /// `lease_until` (after which a crashed attempt's claim may be taken over). Records
    /// expire at `expires_at`. Concurrent claims of one key: exactly one gets `Started`.
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, InfraError>;

    /// Saves the answer of a claimed key for replay.
    async fn complete(&self, key: &str, response: &SavedResponse) -> Result<(), InfraError>;

    /// Lets go of a claim whose attempt failed without effect, so a retry can run.
    async fn abandon(&self, key: &str) -> Result<(), InfraError>;
}
