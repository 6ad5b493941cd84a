//! The event catalog in redb: events by id, and the listing index of published events.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use stagepass_domain::{CatalogError, Event, EventCatalog, EventId, EventStatus, ListingQuery};

/// Event id → event JSON.
const EVENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("events");
/// Start key → event id, for published events only (the search index).
const LISTING: TableDefinition<&str, &str> = TableDefinition::new("listing");

pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<(), String> {
    txn.open_table(EVENTS).map_err(fail)?;
    txn.open_table(LISTING).map_err(fail)?;
    Ok(())
}

#[async_trait]
impl EventCatalog for EmbeddedStore {
    async fn insert(&self, event: &Event) -> Result<(), CatalogError> {
        let event = event.clone();
        self.write(move |txn| -> Result<(), CatalogError> {
            let mut events = txn.open_table(EVENTS).map_err(CatalogError::store)?;
            if events
                .get(event.id.as_str())
                .map_err(CatalogError::store)?
                .is_some()
            {
                return Err(CatalogError::AlreadyExists);
            }
            events
                .insert(event.id.as_str(), encode(&event).as_slice())
                .map_err(CatalogError::store)?;
            if event.status == EventStatus::Published {
                let mut listing = txn.open_table(LISTING).map_err(CatalogError::store)?;
                listing
                    .insert(event.start_key().as_str(), event.id.as_str())
                    .map_err(CatalogError::store)?;
            }
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &EventId) -> Result<Option<Event>, CatalogError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Event>, CatalogError> {
            let txn = db.begin_read().map_err(CatalogError::store)?;
            let events = txn.open_table(EVENTS).map_err(CatalogError::store)?;
            let found = events.get(id.as_str()).map_err(CatalogError::store)?;
            found
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(CatalogError::store)
        })
        .await
    }

    async fn replace(&self, event: &Event, expected_version: u64) -> Result<(), CatalogError> {
        let event = event.clone();
        self.write(move |txn| -> Result<(), CatalogError> {
            let mut events = txn.open_table(EVENTS).map_err(CatalogError::store)?;
            let stored: Option<Event> = events
                .get(event.id.as_str())
                .map_err(CatalogError::store)?
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(CatalogError::store)?;
            let Some(stored) = stored.filter(|s| s.version == expected_version) else {
                return Err(CatalogError::VersionConflict);
            };
            events
                .insert(event.id.as_str(), encode(&event).as_slice())
                .map_err(CatalogError::store)?;
            let mut listing = txn.open_table(LISTING).map_err(CatalogError::store)?;
            if stored.status == EventStatus::Published {
                listing
                    .remove(stored.start_key().as_str())
                    .map_err(CatalogError::store)?;
            }
            if event.status == EventStatus::Published {
                listing
                    .insert(event.start_key().as_str(), event.id.as_str())
                    .map_err(CatalogError::store)?;
            }
            Ok(())
        })
        .await
    }

    async fn list_published(&self, query: &ListingQuery) -> Result<Vec<Event>, CatalogError> {
        let query = query.clone();
        self.run(move |db| -> Result<Vec<Event>, CatalogError> {
            let txn = db.begin_read().map_err(CatalogError::store)?;
            let listing = txn.open_table(LISTING).map_err(CatalogError::store)?;
            let events = txn.open_table(EVENTS).map_err(CatalogError::store)?;
            let mut out = Vec::new();
            if query.from_key > query.to_key {
                return Ok(out);
            }
            for entry in listing
                .range(query.from_key.as_str()..=query.to_key.as_str())
                .map_err(CatalogError::store)?
            {
                let (_, id) = entry.map_err(CatalogError::store)?;
                let Some(bytes) = events.get(id.value()).map_err(CatalogError::store)? else {
                    continue;
                };
                let event: Event = decode(bytes.value()).map_err(CatalogError::store)?;
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
