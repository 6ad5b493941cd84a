//! What can go wrong setting up a waiting room, joining it or asking where one stands.

use crate::catalog::CatalogError;
use crate::error::{ErrorKind, Failure, InfraError};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum QueueError {
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// Also what someone who may not see (or manage) the event is told.
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error("this event has no waiting room")]
    NoWaitingRoom,
    #[error("the waiting room has closed: holds no longer need a place in it")]
    WaitingRoomClosed,
    #[error("the waiting room has opened: its opening time can no longer change")]
    WaitingRoomOpen,
    #[error("the event is cancelled")]
    EventCancelled,
    #[error("you have not joined this event's waiting room")]
    NotInQueue,
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl QueueError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<CatalogError> for QueueError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Unavailable(e) => Self::Unavailable(e),
            CatalogError::EventNotFound(id) => Self::EventNotFound(id),
            other => Self::Unavailable(InfraError(other.to_string())),
        }
    }
}

impl Failure for QueueError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "invalid_field",
            Self::EventNotFound(_) => "event_not_found",
            Self::NoWaitingRoom => "no_waiting_room",
            Self::WaitingRoomClosed => "waiting_room_closed",
            Self::WaitingRoomOpen => "waiting_room_open",
            Self::EventCancelled => "event_cancelled",
            Self::NotInQueue => "not_in_queue",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidField { .. } => ErrorKind::Invalid,
            Self::EventNotFound(_) | Self::NoWaitingRoom | Self::NotInQueue => ErrorKind::NotFound,
            Self::WaitingRoomClosed | Self::WaitingRoomOpen | Self::EventCancelled => {
                ErrorKind::Conflict
            }
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }
}

/// Why a hold or a checkout was refused by the room.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AdmissionError {
    #[error("this event's on-sale has a waiting room: a hold needs the admission token it gives")]
    TokenRequired,
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}
