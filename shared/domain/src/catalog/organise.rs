//! Organisers create, edit and publish their events; anyone searches published ones.

use super::error::CatalogError;
use super::event::{Event, EventChanges, NewEvent};
use super::ports::EventCatalog;
use super::search::{SearchParams, encode_cursor};
use crate::clock::Clock;
use crate::identity::Actor;
use crate::ids::EventId;
use std::sync::Arc;

pub struct EventPage {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
}

pub struct Catalog {
    pub catalog: Arc<dyn EventCatalog>,
    pub clock: Arc<dyn Clock>,
}

impl Catalog {
    pub async fn create_event(
        &self,
        organiser: &Actor,
        input: NewEvent,
    ) -> Result<Event, CatalogError> {
        let event = Event::new_draft(input, organiser.user.clone(), self.clock.now())?;
        self.catalog.insert(&event).await?;
        Ok(event)
    }

    pub async fn update_event(
        &self,
        actor: &Actor,
        id: &EventId,
        changes: EventChanges,
    ) -> Result<Event, CatalogError> {
        let current = managed_event(self.catalog.as_ref(), actor, id).await?;
        let next = current.with_changes(changes, self.clock.now())?;
        // Only drafts change, and drafts are private: nothing to tell subscribers.
        self.catalog.replace(&next, current.version, &[]).await?;
        Ok(next)
    }

    pub async fn publish_event(&self, actor: &Actor, id: &EventId) -> Result<Event, CatalogError> {
        let current = managed_event(self.catalog.as_ref(), actor, id).await?;
        let next = current.published(self.clock.now())?;
        let events = [crate::integration::events::event_published(&next)];
        self.catalog
            .replace(&next, current.version, &events)
            .await?;
        Ok(next)
    }

    pub async fn search(&self, params: &SearchParams) -> Result<EventPage, CatalogError> {
        let (query, limit) = params.to_query(self.clock.now())?;
        let mut events = self.catalog.list_published(&query).await?;
        let next_cursor = if events.len() > limit {
            events.truncate(limit);
            events.last().map(|e| encode_cursor(&e.start_key()))
        } else {
            None
        };
        Ok(EventPage {
            events,
            next_cursor,
        })
    }
}

/// An event the actor may manage; someone else's is reported as not found.
pub async fn managed_event(
    catalog: &dyn EventCatalog,
    actor: &Actor,
    id: &EventId,
) -> Result<Event, CatalogError> {
    match catalog.get(id).await? {
        Some(e) if actor.may_manage(&e) => Ok(e),
        _ => Err(CatalogError::EventNotFound(id.to_string())),
    }
}
