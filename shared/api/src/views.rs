//! What clients see: events, search results, seat maps and holds.

use chrono::{DateTime, Utc};
use serde::Serialize;
use stagepass_domain::catalog::event::CancellationProgress;
use stagepass_domain::{Category, Event, EventStatus, GaRequest, Hold, Layout, PriceTier, Venue};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct EventView<'a> {
    pub id: &'a str,
    pub status: EventStatus,
    pub title: &'a str,
    pub description: &'a str,
    pub category: Category,
    pub venue: &'a Venue,
    pub starts_at: DateTime<Utc>,
    pub currency: &'a str,
    pub price_tiers: &'a [PriceTier],
    pub layout: &'a Layout,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// While `cancelling` and after: how many bookings were looked at, refunded, stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<&'a CancellationProgress>,
}

impl<'a> EventView<'a> {
    pub fn new(e: &'a Event) -> Self {
        Self {
            id: e.id.as_str(),
            status: e.status,
            title: &e.title,
            description: &e.description,
            category: e.category,
            venue: &e.venue,
            starts_at: e.starts_at,
            currency: &e.currency,
            price_tiers: &e.price_tiers,
            layout: &e.layout,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
            published_at: e.published_at,
            cancellation: e.cancellation.as_ref(),
        }
    }
}

/// A search result: enough to list an event, without its layout.
#[derive(Serialize, ToSchema)]
pub struct EventSummary<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub category: Category,
    pub venue: &'a Venue,
    pub starts_at: DateTime<Utc>,
    pub currency: &'a str,
    /// The cheapest tier, in minor units.
    pub price_from: Option<i64>,
}

impl<'a> From<&'a Event> for EventSummary<'a> {
    fn from(e: &'a Event) -> Self {
        Self {
            id: e.id.as_str(),
            title: &e.title,
            category: e.category,
            venue: &e.venue,
            starts_at: e.starts_at,
            currency: &e.currency,
            price_from: e.price_tiers.iter().map(|t| t.price).min(),
        }
    }
}

/// An event's door staff, as its organiser sees them (never on the public event).
#[derive(Serialize, ToSchema)]
pub struct DoorStaffView<'a> {
    pub event_id: &'a str,
    pub door_staff: Vec<DoorStaffMember<'a>>,
}

#[derive(Serialize, ToSchema)]
pub struct DoorStaffMember<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
}

impl<'a> From<&'a Event> for DoorStaffView<'a> {
    fn from(e: &'a Event) -> Self {
        Self {
            event_id: e.id.as_str(),
            door_staff: e
                .door_staff
                .iter()
                .map(|d| DoorStaffMember {
                    user_id: d.user.as_str(),
                    email: &d.email,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Money<'a> {
    pub amount: i64,
    pub currency: &'a str,
}

#[derive(Serialize, ToSchema)]
pub struct HoldView<'a> {
    pub id: &'a str,
    pub event_id: &'a str,
    pub status: &'static str,
    pub seats: &'a [String],
    pub ga: &'a [GaRequest],
    /// The general-admission places picked for `ga`.
    pub places: Vec<&'a str>,
    pub total: Money<'a>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl<'a> HoldView<'a> {
    pub fn new(h: &'a Hold, now: DateTime<Utc>) -> Self {
        Self {
            id: h.id.as_str(),
            event_id: h.event_id.as_str(),
            status: h.state_at(now),
            seats: &h.seats,
            ga: &h.ga,
            places: h
                .units
                .iter()
                .filter(|u| u.is_ga())
                .map(|u| u.as_str())
                .collect(),
            total: Money {
                amount: h.total,
                currency: &h.currency,
            },
            created_at: h.created_at,
            expires_at: h.expires_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketView {
    pub id: String,
    pub seat: String,
    pub status: stagepass_domain::TicketStatus,
    /// What the QR code says (the signed ticket), for an app to draw it on a phone screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<String>,
    /// A link to the PDF (presigned and short-lived when deployed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BookingView {
    pub id: String,
    pub status: stagepass_domain::BookingStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub event_id: String,
    pub event_title: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub hold_id: String,
    pub seats: Vec<String>,
    pub total: i64,
    pub currency: String,
    pub payment: String,
    pub refunded: bool,
    pub tickets: Vec<TicketView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl BookingView {
    /// Confirmed bookings show each ticket's link and QR payload.
    pub async fn new(
        b: &stagepass_domain::Booking,
        files: &dyn stagepass_domain::TicketFiles,
    ) -> Result<Self, crate::ApiError> {
        use stagepass_domain::{BookingStatus, PaymentState};
        let mut tickets = Vec::new();
        for t in &b.tickets {
            let live = b.status == BookingStatus::Confirmed;
            let url = match live {
                true => Some(files.link(&t.file_key).await?),
                false => None,
            };
            // The payload printed in the PDF, as issued: never re-signed with today's key.
            let qr = t.qr.clone().filter(|_| live);
            tickets.push(TicketView {
                id: t.id.clone(),
                seat: t.unit.to_string(),
                status: t.status,
                qr,
                url,
                checked_in_at: t.checked_in.as_ref().map(|c| c.at),
                gate: t.checked_in.as_ref().map(|c| c.gate.clone()),
            });
        }
        Ok(Self {
            id: b.id.to_string(),
            status: b.status,
            reason: b.reason.clone(),
            event_id: b.event_id.to_string(),
            event_title: b.event_title.clone(),
            venue: b.venue.clone(),
            starts_at: b.starts_at,
            hold_id: b.hold_id.to_string(),
            seats: b.units.iter().map(|u| u.to_string()).collect(),
            total: b.total,
            currency: b.currency.clone(),
            payment: b.payment_label.clone(),
            refunded: matches!(
                b.payment,
                PaymentState::Refunded {
                    refund_id: Some(_),
                    ..
                }
            ),
            tickets,
            created_at: b.created_at,
            updated_at: b.updated_at,
        })
    }
}

/// What answering with a booking needs: each ticket's link (its QR payload is stored).
pub struct BookingViews {
    pub files: std::sync::Arc<dyn stagepass_domain::TicketFiles>,
}

impl BookingViews {
    pub async fn wire(w: &dyn crate::wiring::Wiring) -> Result<Self, crate::wiring::WiringError> {
        Ok(Self { files: w.files()? })
    }

    pub async fn view(
        &self,
        b: &stagepass_domain::Booking,
    ) -> Result<BookingView, crate::ApiError> {
        BookingView::new(b, self.files.as_ref()).await
    }
}

/// An event's waiting room as its organiser sees it.
#[derive(Serialize, ToSchema)]
pub struct RoomView {
    pub event_id: String,
    /// Fans who joined before this draw a random place among the early arrivals.
    pub opens_at: DateTime<Utc>,
    /// Until then holds and checkouts need an admission token.
    pub closes_at: DateTime<Utc>,
    /// Fans admitted per minute now (0: paused).
    pub admit_per_minute: u32,
    /// Every rate set since the opening, oldest first.
    pub rates: Vec<RateView>,
    /// How long an admitted fan may hold and check out.
    pub admission_minutes: u32,
    /// Fans counted into the queue (a few seconds behind the joins).
    pub joined: u64,
    pub admitted: u64,
    /// Joined and not admitted yet.
    pub waiting: u64,
    /// When admission last moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct RateView {
    pub from: DateTime<Utc>,
    pub per_minute: u32,
}

impl RoomView {
    pub fn new(
        event_id: &stagepass_domain::EventId,
        s: &stagepass_domain::queue::RoomStats,
    ) -> Self {
        Self {
            event_id: event_id.to_string(),
            opens_at: s.config.opens_at,
            closes_at: s.config.closes_at,
            admit_per_minute: s.rate_per_minute,
            rates: s
                .config
                .rates
                .iter()
                .map(|r| RateView {
                    from: r.from,
                    per_minute: r.per_minute,
                })
                .collect(),
            admission_minutes: s.config.admission_minutes,
            joined: s.joined,
            admitted: s.admitted,
            waiting: s.waiting,
            as_of: s.as_of,
        }
    }
}

/// Where a fan stands in a waiting room.
#[derive(Serialize, ToSchema)]
pub struct QueueView {
    pub event_id: String,
    /// `waiting`, `admitted`, or `expired` (the admission ran out; a place is used once).
    pub status: &'static str,
    /// Fans ahead of you plus one, estimated; none before the opening (the early arrivals'
    /// order is drawn then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// From your position and the current rate (and the time to the opening); none while
    /// admission is paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait_secs: Option<u64>,
    /// When to ask again (also the Retry-After header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Send it as the Admission-Token header with holds and checkouts for this event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_expires_at: Option<DateTime<Utc>>,
}

impl QueueView {
    pub fn new(
        event_id: &stagepass_domain::EventId,
        status: &stagepass_domain::queue::QueueStatus,
    ) -> Self {
        use stagepass_domain::queue::QueueStatus;
        let mut view = Self {
            event_id: event_id.to_string(),
            status: "waiting",
            position: None,
            estimated_wait_secs: None,
            retry_after_secs: None,
            admission_token: None,
            admission_expires_at: None,
        };
        match status {
            QueueStatus::Waiting {
                position,
                wait_secs,
                retry_after_secs,
            } => {
                view.position = *position;
                view.estimated_wait_secs = *wait_secs;
                view.retry_after_secs = Some(*retry_after_secs);
            }
            QueueStatus::Admitted { token, expires_at } => {
                view.status = "admitted";
                view.admission_token = Some(token.clone());
                view.admission_expires_at = Some(*expires_at);
            }
            QueueStatus::Expired => view.status = "expired",
        }
        view
    }

    /// The answer: never cached (it is one fan's, and changes), with `Retry-After` while
    /// waiting.
    pub fn reply(&self, status: u16) -> lambda_http::Response<lambda_http::Body> {
        let mut response = crate::response::no_store(crate::response::json(status, self));
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(
                "retry-after",
                http::HeaderValue::from_str(&secs.to_string()).expect("digits"),
            );
        }
        response
    }
}
