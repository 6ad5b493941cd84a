//! What every subscriber does with a message before its own work: read the event out of the
//! EventBridge envelope and check it is a type and version it understands. A message that
//! fails these checks will fail them on every delivery, so retrying it only delays the
//! messages behind it: the consumer parks it in its dead-letter queue at once, with the
//! reason ([`Unusable::code`]), and acknowledges it. Failures of the consumer's own work
//! (a store or mailer down) are retried instead.

use super::events::{IntegrationEvent, SCHEMA_VERSION, event_from_envelope};
use crate::error::InfraError;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use thiserror::Error;

/// How long a consumer remembers the ids of the events it acted on: longer than the bus's
/// archive keeps events (`EventArchiveRetentionDays`, at most 365), so replaying any archived
/// window never acts on an event twice.
pub const REMEMBER_DAYS: i64 = 400;

/// Why a message can never be used by this consumer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Not a message this consumer reads at all (a queue's own requests, not bus events).
    #[error("{0}")]
    Unreadable(String),
    /// Not JSON, not an EventBridge envelope from Stagepass, or lacking the common fields.
    #[error("not a Stagepass event: {0}")]
    NotAnEvent(String),
    /// A type this consumer does not take (a new type, or a rule that sends too much).
    #[error("{kind} is not an event type {consumer} takes")]
    UnknownType {
        kind: String,
        consumer: &'static str,
    },
    /// A later, breaking version of a type this consumer knows.
    #[error(
        "{kind} schema_version {version} is not one {consumer} reads (it reads {SCHEMA_VERSION})"
    )]
    UnsupportedVersion {
        kind: String,
        version: u32,
        consumer: &'static str,
    },
    /// The right type and version, but its detail does not match the type's schema.
    #[error("{kind} {id} does not match its schema: {problem}")]
    Malformed {
        kind: String,
        id: String,
        problem: String,
    },
}

impl Unusable {
    /// Stable and machine-readable: the `reason` attribute of the dead-lettered message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable(_) => "unreadable_message",
            Self::NotAnEvent(_) => "not_an_event",
            Self::UnknownType { .. } => "unknown_event_type",
            Self::UnsupportedVersion { .. } => "unsupported_schema_version",
            Self::Malformed { .. } => "malformed_event",
        }
    }
}

/// Reads `body` as one of the event types `consumer` takes, at the version it reads.
pub fn accept(
    body: &str,
    consumer: &'static str,
    kinds: &[&str],
) -> Result<IntegrationEvent, Unusable> {
    let event = event_from_envelope(body)?;
    if !kinds.contains(&event.kind.as_str()) {
        return Err(Unusable::UnknownType {
            kind: event.kind,
            consumer,
        });
    }
    if event.schema_version != SCHEMA_VERSION {
        return Err(Unusable::UnsupportedVersion {
            kind: event.kind,
            version: event.schema_version,
            consumer,
        });
    }
    Ok(event)
}

/// The event's detail as its type `F` (one of the structs in [`super::events`]).
pub fn fact<F: DeserializeOwned>(event: &IntegrationEvent) -> Result<F, Unusable> {
    serde_json::from_value(event.detail.clone()).map_err(|e| Unusable::Malformed {
        kind: event.kind.clone(),
        id: event.id.clone(),
        problem: e.to_string(),
    })
}

/// Why one message was not handled, which decides what happens to it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MessageFailure {
    /// It can never be handled: park it in the dead-letter queue now, with the reason.
    #[error(transparent)]
    Unusable(#[from] Unusable),
    /// Something this consumer depends on failed: the message comes back later.
    #[error("{0}")]
    Retry(String),
}

impl From<InfraError> for MessageFailure {
    fn from(e: InfraError) -> Self {
        Self::Retry(e.0)
    }
}

/// A consumer's dead-letter queue (SQS deployed; a JSON-lines file locally).
#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Keeps `body` with why it is unusable, for someone to look at (and, once the consumer
    /// is fixed, redrive). An error means it was not kept: the caller must let the message
    /// come back rather than acknowledge it, so nothing is lost.
    async fn park(&self, body: &str, reason: &Unusable) -> Result<(), InfraError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(kind: &str, version: u64) -> String {
        json!({
            "source": "stagepass", "detail-type": kind,
            "detail": {"id": "e1", "type": kind, "schema_version": version,
                       "time": "2026-11-25T10:00:00.000Z"}
        })
        .to_string()
    }

    #[test]
    fn only_the_types_and_version_a_consumer_reads_are_accepted() {
        let kinds = &["BookingConfirmed"];
        assert!(accept(&envelope("BookingConfirmed", 1), "c", kinds).is_ok());
        let codes = [
            accept("not json", "c", kinds),
            accept(&json!({"source": "elsewhere"}).to_string(), "c", kinds),
            accept(&envelope("SomethingNew", 1), "c", kinds),
            accept(&envelope("BookingConfirmed", 2), "c", kinds),
        ]
        .map(|r| r.unwrap_err().code());
        assert_eq!(
            codes,
            [
                "not_an_event",
                "not_an_event",
                "unknown_event_type",
                "unsupported_schema_version"
            ]
        );
    }

    #[test]
    fn a_detail_missing_its_fields_is_malformed() {
        let event = accept(&envelope("BookingConfirmed", 1), "c", &["BookingConfirmed"]).unwrap();
        let err = fact::<super::super::events::BookingConfirmed>(&event).unwrap_err();
        assert_eq!(err.code(), "malformed_event");
    }
}
