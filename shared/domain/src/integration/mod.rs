//! Integration events: what other systems see on the bus, and the bus port.

pub mod consumer;
pub mod events;
pub mod outbox;
pub mod ports;

pub use consumer::{DeadLetters, MessageFailure, Unusable};
pub use events::IntegrationEvent;
pub use outbox::OutboxRelay;
pub use ports::EventBus;
