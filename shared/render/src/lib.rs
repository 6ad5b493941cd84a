//! Renderers: what the domain hands over as plain data ([`PrintedTicket`], [`Email`]) turned
//! into the bytes a printer, scanner or mail server wants.
//!
//! [`PrintedTicket`]: stagepass_domain::bookings::models::PrintedTicket
//! [`Email`]: stagepass_domain::notifications::models::Email

pub mod mime;
pub mod pdf;

pub use mime::to_mime;
pub use pdf::{PdfTickets, qr_modules};
