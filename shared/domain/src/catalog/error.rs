//! What can go wrong creating, editing, publishing, finding, searching and cancelling events.

use super::ports::CatalogStoreError;
use crate::error::{ErrorKind, Failure, InfraError};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CatalogError {
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("starts_at must be in the future")]
    StartTimeInPast,
    #[error("{field}: price must not be negative")]
    NegativePrice { field: String },
    #[error("invalid layout: {0}")]
    InvalidLayout(String),
    #[error("event is incomplete and cannot be published: {0}")]
    NotPublishable(String),
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// Also what someone who may not manage an event is told about it.
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error("event is not a draft any more and can no longer be edited")]
    EventNotDraft,
    #[error("event is already cancelled")]
    EventCancelled,
    #[error("the event was changed by another request; reload and try again")]
    ConcurrentModification,
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl CatalogError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Failure for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "invalid_field",
            Self::StartTimeInPast => "start_time_in_past",
            Self::NegativePrice { .. } => "negative_price",
            Self::InvalidLayout(_) => "invalid_layout",
            Self::NotPublishable(_) => "event_incomplete",
            Self::InvalidCursor => "invalid_cursor",
            Self::EventNotFound(_) => "event_not_found",
            Self::EventNotDraft => "event_not_draft",
            Self::EventCancelled => "event_cancelled",
            Self::ConcurrentModification => "concurrent_modification",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidField { .. }
            | Self::StartTimeInPast
            | Self::NegativePrice { .. }
            | Self::InvalidLayout(_)
            | Self::NotPublishable(_)
            | Self::InvalidCursor => ErrorKind::Invalid,
            Self::EventNotFound(_) => ErrorKind::NotFound,
            Self::EventNotDraft | Self::EventCancelled | Self::ConcurrentModification => {
                ErrorKind::Conflict
            }
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }
}

impl From<CatalogStoreError> for CatalogError {
    fn from(e: CatalogStoreError) -> Self {
        match e {
            // Another write got in between our read and our conditional write.
            CatalogStoreError::VersionConflict | CatalogStoreError::AlreadyExists => {
                Self::ConcurrentModification
            }
            CatalogStoreError::Unavailable(m) => Self::Unavailable(InfraError(m)),
        }
    }
}
