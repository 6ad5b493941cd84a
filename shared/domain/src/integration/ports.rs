//! The integration event bus (EventBridge deployed, in-process locally).

use super::events::IntegrationEvent;
use crate::error::InfraError;
use async_trait::async_trait;

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes every event, retrying entries the bus refused. Errors name the events that
    /// still failed; the caller keeps them in the outbox and tries again later.
    async fn publish(&self, events: &[IntegrationEvent]) -> Result<(), InfraError>;
}
