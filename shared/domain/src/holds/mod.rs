//! Holds: a buyer's short claim on seats and general-admission places.

pub mod error;
pub mod hold_seats;
pub mod models;
pub mod ports;
pub mod release_hold;

pub use error::HoldError;
pub use hold_seats::{HoldOutcome, HoldSeats, HoldSettings};
pub use models::{
    GaRequest, HeldEntry, HeldPlaces, Hold, HoldRequest, HoldStatus, UnitRecord, UnitState,
};
pub use ports::{InventoryStoreError, SeatInventory};
pub use release_hold::ReleaseHold;
