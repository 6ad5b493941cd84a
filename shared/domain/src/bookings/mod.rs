//! Bookings: what checkout makes of a hold, the tickets the saga issues, and cancelling them.
//! The saga's steps live in their own crate (`stagepass-saga`).

pub mod cancel_booking;
pub mod changes;
pub mod checkout;
pub mod error;
pub mod models;
pub mod payments;
pub mod ports;
pub mod queries;
pub mod sweep;

pub use cancel_booking::{CancelBooking, Settlement};
pub use checkout::{Buyer, Checkout, CheckoutOutcome};
pub use error::BookingError;
pub use models::{
    Booking, BookingId, BookingStatus, PaymentMethod, PaymentState, PrintedTicket, Ticket,
    TicketClaims, TicketStatus,
};
pub use ports::{
    BookingStore, BookingStoreError, PaymentError, PaymentOrder, PaymentProvider, TicketFiles,
    TicketRenderer, TicketSigner, TicketVerifier, Workflow,
};
