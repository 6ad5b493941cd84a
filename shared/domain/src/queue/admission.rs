//! The door the waiting room guards: during its window, a hold or a checkout for the event
//! needs an admission token for the buyer, so going round the queue does not work.

use super::error::AdmissionError;
use super::models::RoomConfig;
use super::ports::{AdmissionVerifier, WaitingRooms};
use crate::cache::Recent;
use crate::clock::Clock;
use crate::identity::Buyer;
use crate::ids::EventId;
use std::sync::Arc;

pub struct Admissions {
    rooms: Arc<dyn WaitingRooms>,
    verifier: Arc<dyn AdmissionVerifier>,
    clock: Arc<dyn Clock>,
    /// The events' room configs (or that they have none) read lately.
    configs: Recent<EventId, Option<RoomConfig>>,
}

impl Admissions {
    /// `cache_ttl`: how long a warm function reuses an event's room config (the hold
    /// settings' `published_cache_ttl`: an on-sale's every hold would otherwise read the one
    /// room item). A room switched on reaches every function within it.
    pub fn new(
        rooms: Arc<dyn WaitingRooms>,
        verifier: Arc<dyn AdmissionVerifier>,
        clock: Arc<dyn Clock>,
        cache_ttl: std::time::Duration,
    ) -> Self {
        Self {
            rooms,
            verifier,
            clock,
            configs: Recent::new(cache_ttl),
        }
    }

    async fn config(&self, event: &EventId) -> Result<Option<RoomConfig>, AdmissionError> {
        if let Some(config) = self.configs.get(event) {
            return Ok(config);
        }
        let config = self.rooms.room(event).await?.map(|r| r.config);
        self.configs.put(event.clone(), config.clone());
        Ok(config)
    }

    /// Whether `buyer` may hold or check out at `event` now with `token` (the request's
    /// `Admission-Token`). Refused: no token while the room guards the event, or a token
    /// that is not ours, has expired, or is for another event or another fan.
    pub async fn check(
        &self,
        event: &EventId,
        buyer: &Buyer,
        token: Option<&str>,
    ) -> Result<(), AdmissionError> {
        let now = self.clock.now();
        let Some(config) = self.config(event).await? else {
            return Ok(());
        };
        if !config.guards(now) {
            return Ok(());
        }
        let Some(token) = token else {
            return Err(AdmissionError::TokenRequired);
        };
        match self.verifier.verify_admission(token).await {
            Some(a) if &a.event_id == event && a.fan == buyer.rate_key() && a.expires_at > now => {
                Ok(())
            }
            _ => Err(AdmissionError::TokenRequired),
        }
    }
}
