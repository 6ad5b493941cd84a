//! Integration events: what other systems see on the bus (EventBridge source `stagepass`).
//!
//! Ids are derived from what happened (for example "booking X confirmed"), so a step that is
//! retried records the same event again, and consumers that deduplicate by id act once.

use crate::bookings::models::{Booking, BookingId};
use crate::catalog::event::Event;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const SOURCE: &str = "stagepass";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationEvent {
    /// Unique per occurrence; consumers deduplicate by it.
    pub id: String,
    /// The EventBridge `detail-type`, e.g. `BookingConfirmed`.
    pub kind: String,
    pub schema_version: u32,
    pub time: DateTime<Utc>,
    /// What subscribers get as `detail`: `id`, `type`, `schema_version`, `time`, then the ids
    /// of what it is about (`event_id` is always the concert or match, never this message).
    pub detail: Value,
}

fn event(kind: &str, occurrence: &str, time: DateTime<Utc>, mut detail: Value) -> IntegrationEvent {
    let id = crate::ids::derived_id(&format!("{kind}\0{occurrence}"));
    let fields = detail.as_object_mut().expect("details are objects");
    // `id` is this message's id; `event_id` always means the concert or match.
    fields.insert("id".into(), json!(id));
    fields.insert("type".into(), json!(kind));
    fields.insert("schema_version".into(), json!(SCHEMA_VERSION));
    fields.insert(
        "time".into(),
        json!(time.to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    IntegrationEvent {
        id,
        kind: kind.to_string(),
        schema_version: SCHEMA_VERSION,
        time,
        detail,
    }
}

fn booking_detail(b: &Booking) -> Value {
    json!({
        "booking_id": b.id,
        "event_id": b.event_id,
        "hold_id": b.hold_id,
        "buyer": b.buyer,
        "seats": b.units,
        "total": b.total,
        "currency": b.currency,
        "status": b.status.as_str(),
    })
}

pub fn booking_confirmed(b: &Booking) -> IntegrationEvent {
    let mut detail = booking_detail(b);
    detail["tickets"] = json!(b.tickets.iter().map(|t| &t.id).collect::<Vec<_>>());
    event("BookingConfirmed", b.id.as_str(), b.updated_at, detail)
}

pub fn ticket_issued(b: &Booking) -> Vec<IntegrationEvent> {
    b.tickets
        .iter()
        .map(|t| {
            event(
                "TicketIssued",
                &t.id,
                b.updated_at,
                json!({"ticket_id": t.id, "booking_id": b.id, "event_id": b.event_id, "seat": t.unit}),
            )
        })
        .collect()
}

pub fn booking_failed(b: &Booking) -> IntegrationEvent {
    let mut detail = booking_detail(b);
    detail["reason"] = json!(b.reason);
    event("BookingFailed", b.id.as_str(), b.updated_at, detail)
}

pub fn booking_cancelled(b: &Booking) -> IntegrationEvent {
    let mut detail = booking_detail(b);
    detail["reason"] = json!(b.reason);
    event("BookingCancelled", b.id.as_str(), b.updated_at, detail)
}

pub fn ticket_checked_in(
    b: &Booking,
    ticket: &str,
    gate: &str,
    at: DateTime<Utc>,
) -> IntegrationEvent {
    event(
        "TicketCheckedIn",
        ticket,
        at,
        json!({"ticket_id": ticket, "booking_id": b.id, "event_id": b.event_id, "gate": gate}),
    )
}

pub fn event_cancelled(e: &Event, at: DateTime<Utc>) -> IntegrationEvent {
    event(
        "EventCancelled",
        e.id.as_str(),
        at,
        json!({"event_id": e.id, "title": e.title, "starts_at": e.starts_at}),
    )
}

/// The booking an event is about, if any.
pub fn booking_of(event: &IntegrationEvent) -> Option<BookingId> {
    event
        .detail
        .get("booking_id")
        .and_then(Value::as_str)
        .and_then(BookingId::parse)
}

/// Reads an integration event back out of an EventBridge envelope (what an EventBridge →
/// SQS rule puts in each message body).
pub fn event_from_envelope(body: &str) -> Result<IntegrationEvent, crate::error::InfraError> {
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| bad_envelope(format!("not an EventBridge event: {e}")))?;
    let detail = v
        .get("detail")
        .cloned()
        .ok_or_else(|| bad_envelope("no detail"))?;
    let text = |k: &str| detail.get(k).and_then(serde_json::Value::as_str);
    let id = text("id").ok_or_else(|| bad_envelope("detail has no id"))?;
    let kind = v
        .get("detail-type")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| bad_envelope("no detail-type"))?;
    let time = text("time")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| bad_envelope("detail has no time"))?;
    let schema_version = detail
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(1) as u32;
    Ok(IntegrationEvent {
        id: id.to_string(),
        kind: kind.to_string(),
        schema_version,
        time,
        detail,
    })
}

fn bad_envelope(e: impl std::fmt::Display) -> crate::error::InfraError {
    crate::error::InfraError(e.to_string())
}
