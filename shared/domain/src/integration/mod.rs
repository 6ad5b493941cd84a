//! Integration events: what other systems see on the bus, and the bus port.

pub mod events;
pub mod ports;

pub use events::IntegrationEvent;
pub use ports::EventBus;
