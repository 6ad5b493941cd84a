//! The virtual waiting room of an on-sale: fans queue, are admitted in order at the
//! organiser's rate, and only admitted fans may hold and check out while it guards the event.

pub mod admission;
pub mod error;
pub mod models;
pub mod ports;
pub mod room;

pub use admission::Admissions;
pub use error::{AdmissionError, QueueError};
pub use models::{Admission, Entry, OrderKey, Progress, RateChange, Room, RoomConfig};
pub use ports::{AdmissionSigner, AdmissionVerifier, WaitingRooms};
pub use room::{ConfigureRoom, QueueStatus, RoomRequest, RoomStats, WaitingRoom, room_stats};
