//! Holds: a buyer's short claim on seats and general-admission places.

pub mod error;
pub mod expire_holds;
pub mod hold_seats;
pub mod models;
pub mod ports;
pub mod release_hold;

pub use error::HoldError;
pub use expire_holds::ExpireHolds;
pub use hold_seats::{HoldOutcome, HoldSeats, HoldSettings};
pub use models::{
    GaRequest, HeldEntry, HeldPlaces, Hold, HoldRequest, HoldStatus, UnitRecord, UnitState,
};
pub use ports::{ExpiredHolds, InventoryStoreError, SeatInventory};
pub use release_hold::ReleaseHold;
