//! Emails to buyers about their bookings, sent by a bus subscriber.

pub mod mail;
pub mod notifier;
pub mod ports;

pub use notifier::{Delivery, Notifier};
pub use ports::Mailer;
