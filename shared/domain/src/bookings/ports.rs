//! What bookings need: a store (with the outbox), a payment provider, ticket files, a ticket
//! signer and the workflow that runs the saga.

use super::models::{Booking, BookingId, PaymentMethod, PrintedTicket, TicketClaims};
use crate::error::InfraError;
use crate::ids::{EventId, UserId};
use crate::integration::IntegrationEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum BookingStoreError {
    /// A booking with this id is already stored (a retried checkout): here it is.
    #[error("booking already exists")]
    Exists(Box<Booking>),
    #[error("the stored booking is not at the expected version")]
    VersionConflict,
    /// The booking's event is cancelled: a write conditional on it was refused.
    #[error("the booking's event is cancelled")]
    EventCancelled,
    #[error("booking store unavailable: {0}")]
    Unavailable(String),
}

/// Bookings, and the outbox of integration events written with them.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Stores a new booking. Errors: `Exists` with the stored one if the id is taken.
    async fn create(&self, booking: &Booking) -> Result<(), BookingStoreError>;

    /// A strongly consistent read.
    async fn get(&self, id: &BookingId) -> Result<Option<Booking>, BookingStoreError>;

    /// Replaces the booking if the stored one is at `expected_version`, and adds `events` to
    /// the outbox in the same transaction: a state change and its events are never apart.
    /// Errors: `VersionConflict` (nothing is written).
    async fn update(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError>;

    /// `update`, but only while the booking's event is not cancelled, checked in the same
    /// write (the event's own record, not a copy): a confirmation can never land after the
    /// organiser's cancellation, however the two race.
    /// Errors: `VersionConflict`; `EventCancelled` (nothing is written either way).
    async fn update_unless_event_cancelled(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError>;

    /// A buyer's bookings, newest first, at most `limit`.
    async fn for_buyer(
        &self,
        buyer: &UserId,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError>;

    /// Bookings still in motion (pending or cancelling) whose last change was before `before`,
    /// oldest change first, at most `limit`, starting after `after` (the last booking of the
    /// previous page, as it was returned).
    async fn unsettled(
        &self,
        before: DateTime<Utc>,
        after: Option<&Booking>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError>;

    /// An event's bookings in id order, at most `limit`, starting after the booking `after`
    /// (for cancelling the event a page at a time).
    async fn for_event(
        &self,
        event: &EventId,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError>;

    /// Adds events to the outbox on their own (for changes outside a booking, such as an
    /// event being cancelled). Adding an event id that is already there is not an error.
    async fn record_events(&self, events: &[IntegrationEvent]) -> Result<(), BookingStoreError>;

    /// Outbox events not yet delivered, oldest first.
    async fn undelivered(&self, limit: usize) -> Result<Vec<IntegrationEvent>, BookingStoreError>;

    /// Removes delivered events from the outbox.
    async fn delivered(&self, ids: &[String]) -> Result<(), BookingStoreError>;
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

/// One booking's payment as the provider sees it. The booking id is the idempotency key:
/// every call for one booking names the same payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOrder {
    pub key: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// The provider's id for the charge, once the booking recorded one (a charge that timed
    /// out may exist unrecorded: providers find it by `key`).
    pub charge_id: Option<String>,
}

impl PaymentOrder {
    pub fn of(booking: &Booking) -> Self {
        Self {
            key: booking.id.to_string(),
            amount: booking.total,
            currency: booking.currency.clone(),
            charge_id: booking.charge_id().map(str::to_string),
        }
    }
}

/// A payment provider. A provider must never take money twice for one order (Stripe's
/// `Idempotency-Key` and one PaymentIntent per order have exactly this meaning), and a
/// refund closes the order: a charge arriving after it (a slow or retried charge step) is
/// refused, so a charge and a refund racing can never leave money taken and not returned.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Charges the order once. A retry returns the first charge's id; a closed order is
    /// `Declined("payment_cancelled")`.
    async fn charge(
        &self,
        order: &PaymentOrder,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError>;

    /// Closes the order and refunds in full whatever was charged, once: `None` if nothing was.
    async fn refund(&self, order: &PaymentOrder) -> Result<Option<String>, PaymentError>;
}

/// Where ticket PDFs are kept (S3 deployed, a folder locally).
#[async_trait]
pub trait TicketFiles: Send + Sync {
    /// Writes (or overwrites with the same bytes: issuing is retried) one file.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), InfraError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError>;
    /// A link the buyer can open (presigned on S3).
    async fn link(&self, key: &str) -> Result<String, InfraError>;
}

/// Starts the booking saga (Step Functions deployed, the in-process interpreter locally).
#[async_trait]
pub trait Workflow: Send + Sync {
    /// Starts the saga for a booking. The execution is named by the booking id, so starting
    /// it again is not an error and does not run it twice.
    async fn start(&self, booking: &BookingId) -> Result<(), InfraError>;
}

/// Signs what a ticket's QR code carries (with the ticket keys' private half: only the
/// function that issues tickets has it).
#[async_trait]
pub trait TicketSigner: Send + Sync {
    async fn sign_ticket(&self, claims: &TicketClaims) -> Result<String, InfraError>;
}

/// Checks a ticket's QR payload against the ticket keys' public halves, including retired
/// keys until every event they signed for is over.
#[async_trait]
pub trait TicketVerifier: Send + Sync {
    /// `None` for anything not signed by one of our ticket keys as a ticket.
    async fn verify_ticket(&self, token: &str) -> Option<TicketClaims>;
}

/// Turns a ticket into the document a buyer prints or shows (a PDF with its QR code).
pub trait TicketRenderer: Send + Sync {
    fn render(&self, ticket: &PrintedTicket) -> Vec<u8>;
}
