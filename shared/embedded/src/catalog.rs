//! The event catalog in redb: events by id, and the listing index of published events.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use stagepass_domain::IntegrationEvent;
use stagepass_domain::{
    CatalogStoreError, Event, EventCatalog, EventId, EventStatus, ListingQuery,
};

/// Event id → event JSON.
const EVENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("events");
/// Start key → event id, for published events only (the search index).
const LISTING: TableDefinition<&str, &str> = TableDefinition::new("listing");

pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<(), String> {
    txn.open_table(EVENTS).map_err(fail)?;
    txn.open_table(LISTING).map_err(fail)?;
    Ok(())
}

/// Whether the event is cancelled, read inside another write (a booking's confirmation).
pub(crate) fn is_cancelled(txn: &redb::WriteTransaction, id: &EventId) -> Result<bool, String> {
    let events = txn.open_table(EVENTS).map_err(fail)?;
    let found = events.get(id.as_str()).map_err(fail)?;
    Ok(match found {
        Some(v) => decode::<Event>(v.value())?.status.is_cancelled(),
        None => false,
    })
}

#[async_trait]
impl EventCatalog for EmbeddedStore {
    async fn insert(&self, event: &Event) -> Result<(), CatalogStoreError> {
        let event = event.clone();
        self.write(move |txn| -> Result<(), CatalogStoreError> {
            let mut events = txn.open_table(EVENTS).map_err(CatalogStoreError::store)?;
            if events
                .get(event.id.as_str())
                .map_err(CatalogStoreError::store)?
                .is_some()
            {
                return Err(CatalogStoreError::AlreadyExists);
            }
            events
                .insert(event.id.as_str(), encode(&event).as_slice())
                .map_err(CatalogStoreError::store)?;
            if event.status == EventStatus::Published {
                let mut listing = txn.open_table(LISTING).map_err(CatalogStoreError::store)?;
                listing
                    .insert(event.start_key().as_str(), event.id.as_str())
                    .map_err(CatalogStoreError::store)?;
            }
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &EventId) -> Result<Option<Event>, CatalogStoreError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Event>, CatalogStoreError> {
            let txn = db.begin_read().map_err(CatalogStoreError::store)?;
            let events = txn.open_table(EVENTS).map_err(CatalogStoreError::store)?;
            let found = events.get(id.as_str()).map_err(CatalogStoreError::store)?;
            found
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(CatalogStoreError::store)
        })
        .await
    }

    async fn replace(
        &self,
        event: &Event,
        expected_version: u64,
        outbox: &[IntegrationEvent],
    ) -> Result<(), CatalogStoreError> {
        let event = event.clone();
        let outbox = outbox.to_vec();
        self.write(move |txn| -> Result<(), CatalogStoreError> {
            let mut events = txn.open_table(EVENTS).map_err(CatalogStoreError::store)?;
            let stored: Option<Event> = events
                .get(event.id.as_str())
                .map_err(CatalogStoreError::store)?
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(CatalogStoreError::store)?;
            let Some(stored) = stored.filter(|s| s.version == expected_version) else {
                return Err(CatalogStoreError::VersionConflict);
            };
            events
                .insert(event.id.as_str(), encode(&event).as_slice())
                .map_err(CatalogStoreError::store)?;
            let mut listing = txn.open_table(LISTING).map_err(CatalogStoreError::store)?;
            if stored.status == EventStatus::Published {
                listing
                    .remove(stored.start_key().as_str())
                    .map_err(CatalogStoreError::store)?;
            }
            if event.status == EventStatus::Published {
                listing
                    .insert(event.start_key().as_str(), event.id.as_str())
                    .map_err(CatalogStoreError::store)?;
            }
            crate::bookings::append_events(txn, &outbox).map_err(CatalogStoreError::store)?;
            crate::bookings::append_events(txn, &outbox).map_err(CatalogStoreError::store)?;
            Ok(())
        })
        .await
    }

    async fn list_published(&self, query: &ListingQuery) -> Result<Vec<Event>, CatalogStoreError> {
        let query = query.clone();
        self.run(move |db| -> Result<Vec<Event>, CatalogStoreError> {
            let txn = db.begin_read().map_err(CatalogStoreError::store)?;
            let listing = txn.open_table(LISTING).map_err(CatalogStoreError::store)?;
            let events = txn.open_table(EVENTS).map_err(CatalogStoreError::store)?;
            let mut out = Vec::new();
            if query.from_key > query.to_key {
                return Ok(out);
            }
            for entry in listing
                .range(query.from_key.as_str()..=query.to_key.as_str())
                .map_err(CatalogStoreError::store)?
            {
                let (_, id) = entry.map_err(CatalogStoreError::store)?;
                let Some(bytes) = events.get(id.value()).map_err(CatalogStoreError::store)? else {
                    continue;
                };
                let event: Event = decode(bytes.value()).map_err(CatalogStoreError::store)?;
                let city_ok = query
                    .city_key
                    .as_ref()
                    .is_none_or(|c| *c == event.city_key());
                let category_ok = query.category.is_none_or(|c| c == event.category);
                if city_ok && category_ok {
                    out.push(event);
                    if out.len() >= query.limit {
                        break;
                    }
                }
            }
            Ok(out)
        })
        .await
    }
}
