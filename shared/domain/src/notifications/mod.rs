//! Emails to buyers about their bookings, sent by a bus subscriber, and to people signing up.

pub mod accounts;
pub mod models;
pub mod notifier;
pub mod ports;

pub use accounts::{
    guest_link_email, password_changed_email, registration_email, reset_email, verification_email,
};
pub use models::{Attachment, Email};
pub use notifier::{Delivery, Notifier};
pub use ports::Mailer;
