//! An event with its live seat map. Drafts are visible only to who may manage them.

use super::error::CatalogError;
use super::event::{Event, EventStatus};
use super::ports::EventCatalog;
use super::seat_map::{SeatMap, seat_map};
use crate::clock::Clock;
use crate::error::unavailable;
use crate::holds::ports::SeatInventory;
use crate::identity::Actor;
use crate::ids::EventId;
use std::sync::Arc;

pub struct EventDetail {
    pub catalog: Arc<dyn EventCatalog>,
    pub inventory: Arc<dyn SeatInventory>,
    pub clock: Arc<dyn Clock>,
}

impl EventDetail {
    pub async fn event_detail(
        &self,
        viewer: Option<&Actor>,
        id: &EventId,
    ) -> Result<(Event, SeatMap), CatalogError> {
        let event = self
            .catalog
            .get(id)
            .await?
            .filter(|e| {
                e.status == EventStatus::Published || viewer.is_some_and(|v| v.may_manage(e))
            })
            .ok_or_else(|| CatalogError::EventNotFound(id.to_string()))?;
        let now = self.clock.now();
        let records = self
            .inventory
            .live_units(&event.id, &event.layout.blocks(), now)
            .await
            .map_err(unavailable)?;
        let map = seat_map(&event, &records, now);
        Ok((event, map))
    }
}
