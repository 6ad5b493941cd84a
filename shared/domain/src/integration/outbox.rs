//! The outbox, emptied. Every integration event is written to the outbox in the same write as
//! the fact it reports; a relay then publishes it and removes it. Deployed, the relay is the
//! bookings table's stream (fast, but it gives up on a record after an hour and reports it to
//! a queue); the scheduled sweeper publishes whatever is still in the outbox a few minutes
//! after it was written. Locally one loop does both. Consumers deduplicate by event id, so an
//! event published by both is acted on once.

use crate::bookings::ports::BookingStore;
use crate::clock::Clock;
use crate::error::InfraError;
use crate::integration::ports::EventBus;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The sweeper leaves younger events to the stream relay.
pub fn stranded_after() -> Duration {
    Duration::minutes(5)
}

/// Events read and published per round.
const PAGE: usize = 100;

pub struct OutboxRelay {
    pub store: Arc<dyn BookingStore>,
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
}

impl OutboxRelay {
    /// Publishes, oldest first, every outbox event recorded at least `age` ago, then removes
    /// it from the outbox; returns how many were published. An event is removed only after
    /// the bus took it, so a failure leaves it for the next run (nothing is lost).
    pub async fn publish_older_than(&self, age: Duration) -> Result<usize, InfraError> {
        self.publish_until(Some(self.clock.now() - age)).await
    }

    /// Publishes everything in the outbox (the local relay: no stream runs before it).
    pub async fn publish_all(&self) -> Result<usize, InfraError> {
        self.publish_until(None).await
    }

    async fn publish_until(&self, cutoff: Option<DateTime<Utc>>) -> Result<usize, InfraError> {
        let mut published = 0;
        loop {
            let page = self
                .store
                .undelivered(PAGE)
                .await
                .map_err(|e| InfraError(e.to_string()))?;
            // Oldest first: the first young event ends the old ones.
            let due: Vec<_> = page
                .into_iter()
                .take_while(|e| cutoff.is_none_or(|c| e.time <= c))
                .collect();
            if due.is_empty() {
                return Ok(published);
            }
            let more = due.len() == PAGE;
            self.bus.publish(&due).await?;
            let ids: Vec<String> = due.iter().map(|e| e.id.clone()).collect();
            self.store
                .delivered(&ids)
                .await
                .map_err(|e| InfraError(e.to_string()))?;
            published += ids.len();
            if !more {
                return Ok(published);
            }
        }
    }
}
