//! What the catalog needs from a store: events by id, versioned replaces, listings.

use super::event::{Category, Event};
use crate::error::InfraError;
use crate::ids::EventId;
use crate::integration::IntegrationEvent;
use async_trait::async_trait;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CatalogStoreError {
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
    /// Normalised with [`crate::catalog::event::city_key`].
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
    async fn insert(&self, event: &Event) -> Result<(), CatalogStoreError>;

    /// A strongly consistent read of one event.
    async fn get(&self, id: &EventId) -> Result<Option<Event>, CatalogStoreError>;

    /// Replaces an event, but only if the stored one is at `expected_version`, and adds
    /// `events` (`EventPublished`, `EventCancelled`) to the outbox in the same write.
    /// Errors: `VersionConflict` otherwise (including when it does not exist).
    async fn replace(
        &self,
        event: &Event,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), CatalogStoreError>;

    /// Up to `query.limit` published events matching the query, ordered by start key.
    async fn list_published(&self, query: &ListingQuery) -> Result<Vec<Event>, CatalogStoreError>;
}

/// A queued request to go on cancelling an event's bookings, as JSON: `{"event_id": "…"}`.
/// It names only the event; the worker reads where it got to from the event itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationRequest {
    pub event_id: EventId,
}

impl CancellationRequest {
    pub fn body(event: &EventId) -> String {
        serde_json::json!({ "event_id": event }).to_string()
    }

    /// Errors: `Unusable` naming what is wrong (the message goes to the dead-letter queue).
    pub fn parse(body: &str) -> Result<Self, crate::integration::Unusable> {
        serde_json::from_str(body).map_err(|e| {
            crate::integration::Unusable::Unreadable(format!("not a cancellation request: {e}"))
        })
    }
}

/// Asks for the next page of a cancelled event's bookings to be cancelled (deployed: an SQS
/// message the `cancel-event-bookings` function receives; locally, a background task). A
/// request may be delivered more than once: the worker does each page once however often.
#[async_trait]
pub trait CancellationQueue: Send + Sync {
    /// Errors: `InfraError` if the request could not be queued.
    async fn continue_cancellation(&self, event: &EventId) -> Result<(), InfraError>;
}
