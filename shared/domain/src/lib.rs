//! Stagepass business rules: plain Rust, no AWS types. One folder per area, each with its
//! models, its ports (what adapters implement) and one file per use case with real logic.
//! The booking saga's steps are in `stagepass-saga`.

pub mod bookings;
pub mod cache;
pub mod catalog;
pub mod checkin;
pub mod clock;
pub mod error;
pub mod holds;
pub mod idempotency;
pub mod identity;
pub mod ids;
pub mod integration;
pub mod notifications;
pub mod queue;
pub mod rate;
pub mod sales;

pub use bookings::{
    Booking, BookingError, BookingId, BookingStatus, BookingStore, BookingStoreError, PaymentError,
    PaymentMethod, PaymentOrder, PaymentProvider, PaymentState, PrintedTicket, Ticket,
    TicketClaims, TicketFiles, TicketRenderer, TicketSigner, TicketStatus, TicketVerifier,
    Workflow,
};
pub use catalog::{
    Block, CancellationQueue, CatalogError, CatalogStoreError, Category, Event, EventCatalog,
    EventChanges, EventStatus, GaArea, Layout, ListingQuery, NewEvent, PriceTier, Row, Section,
    UnitId, Venue,
};
pub use checkin::CheckInError;
pub use clock::{Clock, ManualClock, SystemClock, to_millis};
pub use error::{Details, ErrorKind, Failure, InfraError};
pub use holds::{
    ExpireHolds, ExpiredHolds, GaRequest, HeldPlaces, Hold, HoldError, HoldRequest, HoldSettings,
    HoldStatus, InventoryStoreError, SeatInventory, UnitRecord, UnitState,
};
pub use idempotency::{Claim, IdempotencyError, IdempotencyStore, KeyUse, Lease, SavedResponse};
pub use identity::{
    Account, Accounts, Actor, Buyer, Email, IdentityError, IdentitySettings, IdentityStore,
    IdentityStoreError, Link, LinkPurpose, LinkSigner, LinkVerifier, Password, RateLimiter,
    RateWindow, RefreshToken, Registration, ResetRequest, Role, Session,
};
pub use ids::{EventId, HoldId, UserId};
pub use integration::{DeadLetters, EventBus, IntegrationEvent, MessageFailure, Unusable};
pub use notifications::Mailer;
pub use rate::{BuyerRate, Rate, RateError};
pub use sales::{SalesLedger, SalesTally};
