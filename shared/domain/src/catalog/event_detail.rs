//! An event with its layout. Drafts are visible only to who may manage them. The live
//! availability is [`super::seat_map::SeatMaps`], a route of its own.

use super::error::CatalogError;
use super::event::{Event, EventStatus};
use super::ports::EventCatalog;
use crate::identity::Actor;
use crate::ids::EventId;
use std::sync::Arc;

pub struct EventDetail {
    pub catalog: Arc<dyn EventCatalog>,
}

impl EventDetail {
    pub async fn event_detail(
        &self,
        viewer: Option<&Actor>,
        id: &EventId,
    ) -> Result<Event, CatalogError> {
        self.catalog
            .get(id)
            .await?
            .filter(|e| {
                e.status == EventStatus::Published || viewer.is_some_and(|v| v.may_manage(e))
            })
            .ok_or_else(|| CatalogError::EventNotFound(id.to_string()))
    }
}
