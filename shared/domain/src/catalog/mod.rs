//! The catalog: events with their venue layout, search, the live seat map, and cancelling an
//! event.

pub mod cancel_event;
pub mod door_staff;
pub mod error;
pub mod event;
pub mod event_detail;
pub mod layout;
pub mod organise;
pub mod ports;
pub mod search;
pub mod seat_map;

/// How far ahead an event may start. It bounds how long a ticket signing key must be kept
/// after it stops signing: a ticket sold today is for an event at most this far away.
pub const MAX_DAYS_AHEAD: i64 = 730;

pub use cancel_event::{CancelEvent, CancelEventBookings, PageDone};
pub use door_staff::{AssignDoorStaff, DoorStaffError, RemoveDoorStaff};
pub use error::CatalogError;
pub use event::{Category, DoorStaff, Event, EventChanges, EventStatus, NewEvent, Venue};
pub use event_detail::EventDetail;
pub use layout::{Block, GaArea, Layout, PriceTier, Row, Section, UnitId};
pub use organise::{Catalog, EventPage};
pub use ports::{CancellationQueue, CatalogStoreError, EventCatalog, ListingQuery};
