//! Stagepass business rules: plain Rust, no AWS types. Adapters implement [`ports`].

pub mod accounts;
pub mod booking;
pub mod bookings;
pub mod error;
pub mod event;
pub mod hold;
pub mod identity;
pub mod integration;
pub mod ids;
pub mod layout;
pub mod mail;
pub mod notifications;
pub mod payments;
pub mod ports;
pub mod search;
pub mod seat_map;
pub mod service;
pub mod tickets;

pub use accounts::{Accounts, IdentitySettings, Session};
pub use error::{DomainError, ErrorKind};
pub use event::{Category, Event, EventChanges, EventStatus, NewEvent, Venue};
pub use hold::{GaRequest, Hold, HoldRequest, HoldStatus, UnitRecord, UnitState};
pub use identity::{Account, Email, Password, RefreshToken, Role};
pub use ids::{EventId, HoldId, UserId};
pub use layout::{GaArea, Layout, PriceTier, Row, Section, UnitId};
pub use booking::{Booking, BookingId, BookingStatus, PaymentMethod, PaymentState, Ticket, TicketClaims, TicketStatus};
pub use bookings::{BookingPorts, Bookings, Buyer, StepError};
pub use integration::IntegrationEvent;
pub use ports::{
    BookingError, BookingStore, Claim, EventBus, IdempotencyStore, InfraError, Mailer,
    PaymentError, PaymentProvider, SavedResponse, TicketFiles, TicketSigner, Workflow,
    CatalogError, Clock, EventCatalog, IdentityError, IdentityStore, InventoryError, ListingQuery,
    ManualClock, RateLimiter, RateWindow, SeatInventory, SystemClock,
};
pub use service::{Actor, Settings, Stagepass};
