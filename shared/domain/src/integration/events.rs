//! Integration events: what other systems see on the bus (EventBridge source `stagepass`).
//!
//! Each event type is a Rust struct ([`Fact`]): what a subscriber gets as `detail` is that
//! struct serialised inside the common fields of [`Message`], and its JSON Schema (in
//! `events/schemas/`, and in the template's schema registry) is generated from the same
//! struct, so the two cannot drift.
//!
//! Ids are derived from what happened (for example "booking X confirmed"), so a step that is
//! retried records the same event again, and consumers that deduplicate by id act once.

use crate::bookings::models::{Booking, BookingId};
use crate::catalog::event::Event;
use crate::holds::models::Hold;
use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::consumer::Unusable;

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

/// One type of integration event: its `detail` fields (besides the common ones).
pub trait Fact: Serialize + JsonSchema {
    /// The EventBridge `detail-type` and the detail's `type`.
    const KIND: &'static str;
    /// One line for the schema's description.
    const ABOUT: &'static str;
}

/// The detail of every event: the common fields, then the fact's own.
#[derive(Serialize, JsonSchema)]
pub struct Message<F> {
    /// This message's id: the same for every delivery of one fact. Deduplicate by it.
    pub id: String,
    /// The event type, equal to the EventBridge `detail-type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Bumped only by a breaking change; both versions are then emitted for a while.
    pub schema_version: u32,
    /// When the fact happened (RFC 3339, UTC, milliseconds).
    pub time: String,
    #[serde(flatten)]
    pub fact: F,
}

/// What a booking event says about the booking.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct BookingFields {
    pub booking_id: String,
    /// The concert or match.
    pub event_id: String,
    pub hold_id: String,
    /// The buyer's user id (a guest's starts `guest:`).
    pub buyer: String,
    /// The seats and general-admission places booked.
    pub seats: Vec<String>,
    /// Minor units of `currency`.
    pub total: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// `pending`, `confirmed`, `failed`, `cancelling` or `cancelled`.
    pub status: String,
}

impl BookingFields {
    fn of(b: &Booking) -> Self {
        Self {
            booking_id: b.id.to_string(),
            event_id: b.event_id.to_string(),
            hold_id: b.hold_id.to_string(),
            buyer: b.buyer.to_string(),
            seats: b.units.iter().map(|u| u.to_string()).collect(),
            total: b.total,
            currency: b.currency.clone(),
            status: b.status.as_str().to_string(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct BookingConfirmed {
    #[serde(flatten)]
    pub booking: BookingFields,
    /// The ticket ids, one per seat or place.
    pub tickets: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct BookingFailed {
    #[serde(flatten)]
    pub booking: BookingFields,
    /// Why, as a machine-readable code (e.g. `card_declined`).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct BookingCancelled {
    #[serde(flatten)]
    pub booking: BookingFields,
    /// Why, as a machine-readable code (e.g. `cancelled_by_buyer`, `event_cancelled`).
    pub reason: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct TicketIssued {
    pub ticket_id: String,
    pub booking_id: String,
    pub event_id: String,
    /// The seat or place the ticket admits to.
    pub seat: String,
}

#[derive(Serialize, JsonSchema)]
pub struct TicketCheckedIn {
    pub ticket_id: String,
    pub booking_id: String,
    pub event_id: String,
    /// The gate the door staff named when scanning.
    pub gate: String,
}

/// What an event's announcement says about it.
#[derive(Serialize, JsonSchema)]
pub struct EventPublished {
    pub event_id: String,
    pub title: String,
    /// `concert`, `sports`, `theatre`, …
    pub category: String,
    pub venue: String,
    pub city: String,
    pub starts_at: DateTime<Utc>,
    /// ISO 4217, upper case.
    pub currency: String,
    /// Seats plus general-admission places on sale.
    pub capacity: u64,
    /// The organiser's user id.
    pub organiser: String,
}

#[derive(Serialize, JsonSchema)]
pub struct EventCancelled {
    pub event_id: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
}

/// What a hold event says about the hold.
#[derive(Serialize, JsonSchema)]
pub struct HoldFields {
    pub hold_id: String,
    /// The concert or match.
    pub event_id: String,
    /// The holder's user id (a guest's starts `guest:`).
    pub holder: String,
    /// The seats and general-admission places held.
    pub seats: Vec<String>,
    /// When the hold lapses unless checked out.
    pub expires_at: DateTime<Utc>,
}

impl HoldFields {
    fn of(h: &Hold) -> Self {
        Self {
            hold_id: h.id.to_string(),
            event_id: h.event_id.to_string(),
            holder: h.holder.to_string(),
            seats: h.units.iter().map(|u| u.to_string()).collect(),
            expires_at: h.expires_at,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct SeatsHeld {
    #[serde(flatten)]
    pub hold: HoldFields,
    /// Minor units of `currency`: what checking out would charge.
    pub total: i64,
    pub currency: String,
}

#[derive(Serialize, JsonSchema)]
pub struct HoldReleased {
    #[serde(flatten)]
    pub hold: HoldFields,
}

#[derive(Serialize, JsonSchema)]
pub struct HoldExpired {
    #[serde(flatten)]
    pub hold: HoldFields,
}

macro_rules! facts {
    ($($name:ident: $about:literal),* $(,)?) => {
        $(impl Fact for $name {
            const KIND: &'static str = stringify!($name);
            const ABOUT: &'static str = $about;
        })*

        /// Every event type, in the order the README lists them.
        pub const KINDS: &[&str] = &[$(stringify!($name)),*];

        /// The JSON Schema of each event type's `detail`, by type.
        pub fn schemas() -> Vec<(&'static str, Value)> {
            vec![$(($name::KIND, schema_of::<$name>())),*]
        }
    };
}

facts! {
    EventPublished: "An organiser published an event: it is on sale.",
    EventCancelled: "An organiser cancelled an event; its bookings are being cancelled and refunded.",
    SeatsHeld: "A fan or guest holds seats or places until `expires_at`.",
    HoldReleased: "The holder gave the seats back before the hold expired.",
    HoldExpired: "A hold's time ran out without a checkout: its seats are on sale again.",
    BookingConfirmed: "A booking was paid for and its seats sold; tickets are issued.",
    BookingFailed: "A booking could not go ahead (payment declined, seats gone, …); nothing was charged or the charge was refunded.",
    BookingCancelled: "A confirmed booking was cancelled and refunded.",
    TicketIssued: "A ticket was issued, one per seat or place of a confirmed booking.",
    TicketCheckedIn: "Door staff admitted a ticket.",
}

/// The JSON Schema (draft 4, what the EventBridge schema registry reads) of `F`'s detail.
fn schema_of<F: Fact>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft07().with(|s| {
        s.meta_schema = Some("http://json-schema.org/draft-04/schema#".into());
    });
    let mut schema = settings
        .into_generator()
        .into_root_schema_for::<Message<F>>()
        .to_value();
    schema["title"] = json!(F::KIND);
    schema["description"] = json!(F::ABOUT);
    let props = &mut schema["properties"];
    props["type"]["enum"] = json!([F::KIND]);
    props["schema_version"]["enum"] = json!([SCHEMA_VERSION]);
    props["time"]["format"] = json!("date-time");
    draft4(&mut schema);
    schema
}

/// Rewrites what draft 4 lacks: `const` becomes a one-value `enum`; schemars' numeric
/// formats (`int64`, `uint32`) are dropped, as draft 4 knows no such formats.
fn draft4(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(c) = map.remove("const") {
                map.insert("enum".into(), json!([c]));
            }
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| f.starts_with("int") || f.starts_with("uint"))
            {
                map.remove("format");
            }
            map.values_mut().for_each(draft4);
        }
        Value::Array(items) => items.iter_mut().for_each(draft4),
        _ => {}
    }
}

/// The message reporting `fact`, whose occurrence is named by `occurrence` (its id is
/// derived from the type and occurrence, so recording the same fact twice gives one id).
fn event<F: Fact>(occurrence: &str, time: DateTime<Utc>, fact: F) -> IntegrationEvent {
    let id = crate::ids::derived_id(&format!("{}\0{occurrence}", F::KIND));
    let message = Message {
        id: id.clone(),
        kind: F::KIND.to_string(),
        schema_version: SCHEMA_VERSION,
        time: time.to_rfc3339_opts(SecondsFormat::Millis, true),
        fact,
    };
    IntegrationEvent {
        id,
        kind: F::KIND.to_string(),
        schema_version: SCHEMA_VERSION,
        time,
        detail: serde_json::to_value(message).expect("messages serialise"),
    }
}

pub fn booking_confirmed(b: &Booking) -> IntegrationEvent {
    let fact = BookingConfirmed {
        booking: BookingFields::of(b),
        tickets: b.tickets.iter().map(|t| t.id.clone()).collect(),
    };
    event(b.id.as_str(), b.updated_at, fact)
}

pub fn ticket_issued(b: &Booking) -> Vec<IntegrationEvent> {
    b.tickets
        .iter()
        .map(|t| {
            let fact = TicketIssued {
                ticket_id: t.id.clone(),
                booking_id: b.id.to_string(),
                event_id: b.event_id.to_string(),
                seat: t.unit.to_string(),
            };
            event(&t.id, b.updated_at, fact)
        })
        .collect()
}

pub fn booking_failed(b: &Booking) -> IntegrationEvent {
    let fact = BookingFailed {
        booking: BookingFields::of(b),
        reason: b.reason.clone(),
    };
    event(b.id.as_str(), b.updated_at, fact)
}

pub fn booking_cancelled(b: &Booking) -> IntegrationEvent {
    let fact = BookingCancelled {
        booking: BookingFields::of(b),
        reason: b.reason.clone(),
    };
    event(b.id.as_str(), b.updated_at, fact)
}

pub fn ticket_checked_in(
    b: &Booking,
    ticket: &str,
    gate: &str,
    at: DateTime<Utc>,
) -> IntegrationEvent {
    let fact = TicketCheckedIn {
        ticket_id: ticket.to_string(),
        booking_id: b.id.to_string(),
        event_id: b.event_id.to_string(),
        gate: gate.to_string(),
    };
    event(ticket, at, fact)
}

/// Recorded with the write that publishes `e` (an event is published once).
pub fn event_published(e: &Event) -> IntegrationEvent {
    let fact = EventPublished {
        event_id: e.id.to_string(),
        title: e.title.clone(),
        category: e.category.as_str().to_string(),
        venue: e.venue.name.clone(),
        city: e.venue.city.clone(),
        starts_at: e.starts_at,
        currency: e.currency.clone(),
        capacity: e.layout.unit_count(),
        organiser: e.organiser.to_string(),
    };
    event(e.id.as_str(), e.published_at.unwrap_or(e.updated_at), fact)
}

pub fn event_cancelled(e: &Event, at: DateTime<Utc>) -> IntegrationEvent {
    let fact = EventCancelled {
        event_id: e.id.to_string(),
        title: e.title.clone(),
        starts_at: e.starts_at,
    };
    event(e.id.as_str(), at, fact)
}

/// Recorded with the write that places `h`.
pub fn seats_held(h: &Hold) -> IntegrationEvent {
    let fact = SeatsHeld {
        hold: HoldFields::of(h),
        total: h.total,
        currency: h.currency.clone(),
    };
    event(h.id.as_str(), h.created_at, fact)
}

/// Recorded with the write that releases `h`, at `at`.
pub fn hold_released(h: &Hold, at: DateTime<Utc>) -> IntegrationEvent {
    event(
        h.id.as_str(),
        at,
        HoldReleased {
            hold: HoldFields::of(h),
        },
    )
}

/// Recorded by whatever first sees `h` expired; its time is the expiry, whoever saw it.
pub fn hold_expired(h: &Hold) -> IntegrationEvent {
    event(
        h.id.as_str(),
        h.expires_at,
        HoldExpired {
            hold: HoldFields::of(h),
        },
    )
}

/// `event` as EventBridge delivers it to a rule's target (an SQS message body, a Lambda
/// event): the envelope locally written to `events.jsonl` and served at `GET /dev/events`,
/// so a subscriber developed locally reads what it will read deployed. `delivery` is the
/// envelope's own id (EventBridge gives every delivery, and every replay, a new one: the
/// fact's id is `detail.id`).
pub fn envelope(event: &IntegrationEvent, delivery: &str, account: &str, region: &str) -> Value {
    json!({
        "version": "0",
        "id": delivery,
        "detail-type": event.kind,
        "source": SOURCE,
        "account": account,
        "time": event.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": region,
        "resources": [format!("stagepass:event:{}", event.id)],
        "detail": event.detail,
    })
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
/// SQS rule puts in each message body). Which types a consumer takes is
/// [`super::consumer::accept`]'s business.
pub fn event_from_envelope(body: &str) -> Result<IntegrationEvent, Unusable> {
    let bad = |why: &str| Unusable::NotAnEvent(why.to_string());
    let v: Value =
        serde_json::from_str(body).map_err(|e| Unusable::NotAnEvent(format!("not JSON: {e}")))?;
    if v.get("source").and_then(Value::as_str) != Some(SOURCE) {
        return Err(bad("its source is not stagepass"));
    }
    let detail = v.get("detail").cloned().ok_or_else(|| bad("no detail"))?;
    let text = |k: &str| detail.get(k).and_then(Value::as_str);
    let id = text("id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad("detail has no id"))?;
    let kind = v
        .get("detail-type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no detail-type"))?;
    let time = text("time")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| bad("detail has no time"))?;
    let schema_version = detail
        .get("schema_version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| bad("detail has no schema_version"))?;
    Ok(IntegrationEvent {
        id: id.to_string(),
        kind: kind.to_string(),
        schema_version,
        time,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_draft4_schema_pinning_its_type() {
        let schemas = schemas();
        assert_eq!(schemas.len(), KINDS.len());
        for (kind, schema) in schemas {
            let text = schema.to_string();
            assert!(!text.contains("\"const\""), "{kind}: {text}");
            assert_eq!(schema["properties"]["type"]["enum"], json!([kind]));
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
            let required = schema["required"].as_array().unwrap();
            for field in ["id", "type", "schema_version", "time"] {
                assert!(required.contains(&json!(field)), "{kind} requires {field}");
            }
        }
    }
}
