//! Stagepass business rules: plain Rust, no AWS types. Adapters implement [`ports`].

pub mod accounts;
pub mod error;
pub mod event;
pub mod hold;
pub mod identity;
pub mod ids;
pub mod layout;
pub mod ports;
pub mod search;
pub mod seat_map;
pub mod service;

pub use accounts::{Accounts, IdentitySettings, Session};
pub use error::{DomainError, ErrorKind};
pub use event::{Category, Event, EventChanges, EventStatus, NewEvent, Venue};
pub use hold::{GaRequest, Hold, HoldRequest, HoldStatus, UnitRecord, UnitState};
pub use identity::{Account, Email, Password, RefreshToken, Role};
pub use ids::{EventId, HoldId, UserId};
pub use layout::{GaArea, Layout, PriceTier, Row, Section, UnitId};
pub use ports::{
    CatalogError, Clock, EventCatalog, IdentityError, IdentityStore, InventoryError, ListingQuery,
    ManualClock, RateLimiter, RateWindow, SeatInventory, SystemClock,
};
pub use service::{Actor, Settings, Stagepass};
