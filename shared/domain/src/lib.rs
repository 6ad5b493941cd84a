//! Stagepass business rules: plain Rust, no AWS types. Adapters implement [`ports`].

pub mod accounts;
pub mod booking;
pub mod bookings;
pub mod error;
pub mod event;
pub mod hold;
pub mod identity;
pub mod ids;
pub mod integration;
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
pub use booking::{
    Booking, BookingId, BookingStatus, PaymentMethod, PaymentState, Ticket, TicketClaims,
    TicketStatus,
};
pub use bookings::{BookingPorts, Bookings, Buyer, StepError};
pub use error::{DomainError, ErrorKind};
pub use event::{Category, Event, EventChanges, EventStatus, NewEvent, Venue};
pub use hold::{GaRequest, Hold, HoldRequest, HoldStatus, UnitRecord, UnitState};
pub use identity::{Account, Email, Password, RefreshToken, Role};
pub use ids::{EventId, HoldId, UserId};
pub use integration::IntegrationEvent;
pub use layout::{GaArea, Layout, PriceTier, Row, Section, UnitId};
pub use ports::{
    BookingError, BookingStore, CatalogError, Claim, Clock, EventBus, EventCatalog,
    IdempotencyStore, IdentityError, IdentityStore, InfraError, InventoryError, ListingQuery,
    Mailer, ManualClock, PaymentError, PaymentProvider, RateLimiter, RateWindow, SavedResponse,
    SeatInventory, SystemClock, TicketFiles, TicketSigner, Workflow,
};
pub use service::{Actor, Settings, Stagepass};
