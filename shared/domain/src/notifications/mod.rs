//! Emails to buyers about their bookings, sent by a bus subscriber.

pub mod models;
pub mod notifier;
pub mod ports;

pub use models::{Attachment, Email};
pub use notifier::{Delivery, Notifier};
pub use ports::Mailer;
