//! Events: what an organiser creates as a draft, edits, and publishes.

use super::error::CatalogError;
use crate::bookings::BookingId;
use crate::catalog::layout::{Layout, PriceTier, check_text, validate_tiers};
use crate::ids::{EventId, UserId};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Draft,
    Published,
    /// Off sale for good, its bookings being cancelled page by page ([`Event::cancellation`]).
    Cancelling,
    /// Off sale for good; every booking has been cancelled.
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Cancelling => "cancelling",
            Self::Cancelled => "cancelled",
        }
    }

    /// Cancelled by its organiser, whether or not every booking has been settled yet: no
    /// booking of it may be sold, charged or confirmed from then on.
    pub fn is_cancelled(self) -> bool {
        matches!(self, Self::Cancelling | Self::Cancelled)
    }
}

/// How far an event's cancellation has gone through its bookings (in the store's listing
/// order), and what it did to them. Written by the worker with the event's version, so a
/// page counts once however often its message is delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CancellationProgress {
    /// The last booking of the pages done; none before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub after: Option<BookingId>,
    /// Bookings looked at.
    pub bookings: u64,
    /// Confirmed bookings cancelled and refunded because of this cancellation.
    pub cancelled: u64,
    /// Bookings still in their saga, told to stop: the saga refunds whatever it charged.
    pub stopped: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Concert,
    Sports,
    Theatre,
    Comedy,
    Festival,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Concert => "concert",
            Self::Sports => "sports",
            Self::Theatre => "theatre",
            Self::Comedy => "comedy",
            Self::Festival => "festival",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(raw.to_string())).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    pub name: String,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub organiser: UserId,
    pub status: EventStatus,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub venue: Venue,
    pub starts_at: DateTime<Utc>,
    /// ISO 4217 code, upper case.
    pub currency: String,
    pub price_tiers: Vec<PriceTier>,
    pub layout: Layout,
    /// Bumped by every write; stores only accept a write made from the latest version.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// Set when the event is cancelled: its bookings' progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<CancellationProgress>,
    /// The door-staff accounts the organiser assigned to scan this event's tickets; no one
    /// else but an admin may check them in. Never shown on the public event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub door_staff: Vec<DoorStaff>,
}

/// A door-staff account assigned to an event: its id (what check-in compares) and the email
/// the organiser assigned it by (what the organiser sees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorStaff {
    pub user: UserId,
    pub email: String,
}

/// What an organiser sends to create a draft. Unknown fields are refused so typos don't vanish.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: Category,
    pub venue: Venue,
    pub starts_at: DateTime<Utc>,
    pub currency: String,
    #[serde(default)]
    pub price_tiers: Vec<PriceTier>,
    #[serde(default)]
    pub layout: Layout,
}

/// A partial update of a draft: every field present replaces the draft's.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub venue: Option<Venue>,
    pub starts_at: Option<DateTime<Utc>>,
    pub currency: Option<String>,
    pub price_tiers: Option<Vec<PriceTier>>,
    pub layout: Option<Layout>,
}

impl EventChanges {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.category.is_none()
            && self.venue.is_none()
            && self.starts_at.is_none()
            && self.currency.is_none()
            && self.price_tiers.is_none()
            && self.layout.is_none()
    }
}

impl Event {
    pub fn new_draft(
        input: NewEvent,
        organiser: UserId,
        now: DateTime<Utc>,
    ) -> Result<Self, CatalogError> {
        let event = Self {
            id: EventId::generate(),
            organiser,
            status: EventStatus::Draft,
            title: input.title.trim().to_string(),
            description: input.description,
            category: input.category,
            venue: trim_venue(input.venue),
            starts_at: input.starts_at,
            currency: input.currency,
            price_tiers: input.price_tiers,
            layout: input.layout,
            version: 1,
            created_at: now,
            updated_at: now,
            published_at: None,
            cancellation: None,
            door_staff: Vec::new(),
        };
        event.validate_draft(now)?;
        Ok(event)
    }

    /// Applies changes to a draft, returning the next version. Published events are frozen:
    /// holds and (later) tickets point into their layout.
    pub fn with_changes(
        &self,
        changes: EventChanges,
        now: DateTime<Utc>,
    ) -> Result<Self, CatalogError> {
        if self.status != EventStatus::Draft {
            return Err(CatalogError::EventNotDraft);
        }
        if changes.is_empty() {
            return Err(CatalogError::invalid("body", "no fields to change"));
        }
        let mut next = self.clone();
        if let Some(v) = changes.title {
            next.title = v.trim().to_string();
        }
        if let Some(v) = changes.description {
            next.description = v;
        }
        if let Some(v) = changes.category {
            next.category = v;
        }
        if let Some(v) = changes.venue {
            next.venue = trim_venue(v);
        }
        if let Some(v) = changes.starts_at {
            next.starts_at = v;
        }
        if let Some(v) = changes.currency {
            next.currency = v;
        }
        if let Some(v) = changes.price_tiers {
            next.price_tiers = v;
        }
        if let Some(v) = changes.layout {
            next.layout = v;
        }
        next.version += 1;
        next.updated_at = now;
        next.validate_draft(now)?;
        Ok(next)
    }

    /// Publishing freezes the event and puts it on sale; the layout must be complete.
    pub fn published(&self, now: DateTime<Utc>) -> Result<Self, CatalogError> {
        if self.status != EventStatus::Draft {
            return Err(CatalogError::EventNotDraft);
        }
        self.validate_draft(now)?;
        if self.price_tiers.is_empty() {
            return Err(CatalogError::NotPublishable(
                "at least one price tier is needed".into(),
            ));
        }
        if self.layout.unit_count() == 0 {
            return Err(CatalogError::NotPublishable(
                "the layout has no seats and no general-admission places".into(),
            ));
        }
        let mut next = self.clone();
        next.status = EventStatus::Published;
        next.version += 1;
        next.updated_at = now;
        next.published_at = Some(now);
        Ok(next)
    }

    /// Cancelling takes the event off sale and out of search, for good; its bookings are
    /// cancelled after, a page at a time ([`Event::cancellation`]).
    pub fn cancelled(&self, now: DateTime<Utc>) -> Result<Self, CatalogError> {
        if self.status.is_cancelled() {
            return Err(CatalogError::EventCancelled);
        }
        let mut next = self.clone();
        next.status = EventStatus::Cancelling;
        next.cancellation = Some(CancellationProgress::default());
        next.version += 1;
        next.updated_at = now;
        Ok(next)
    }

    /// The event with its door staff replaced, at the next version. Allowed in draft (staffing
    /// is planned before the on-sale) and once published; not once cancelled, when no ticket
    /// scans any more and the cancellation worker owns the event's versions.
    pub fn with_door_staff(
        &self,
        staff: Vec<DoorStaff>,
        now: DateTime<Utc>,
    ) -> Result<Self, CatalogError> {
        if self.status.is_cancelled() {
            return Err(CatalogError::EventCancelled);
        }
        let mut next = self.clone();
        next.door_staff = staff;
        next.version += 1;
        next.updated_at = now;
        Ok(next)
    }

    /// Whether this door-staff account may check in this event's tickets.
    pub fn is_staffed_by(&self, user: &UserId) -> bool {
        self.door_staff.iter().any(|d| &d.user == user)
    }

    /// Every field rule; tier references are checked as soon as there is a layout to check.
    fn validate_draft(&self, now: DateTime<Utc>) -> Result<(), CatalogError> {
        check_text("title", &self.title, 200)?;
        if self.description.chars().count() > 5000 {
            return Err(CatalogError::invalid(
                "description",
                "must be at most 5000 characters",
            ));
        }
        check_text("venue.name", &self.venue.name, 200)?;
        check_text("venue.city", &self.venue.city, 100)?;
        if let Some(address) = &self.venue.address {
            check_text("venue.address", address, 300)?;
        }
        if self.starts_at <= now {
            return Err(CatalogError::StartTimeInPast);
        }
        if self.starts_at > now + chrono::Duration::days(super::MAX_DAYS_AHEAD) {
            return Err(CatalogError::invalid(
                "starts_at",
                format!("must be at most {} days ahead", super::MAX_DAYS_AHEAD),
            ));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CatalogError::invalid(
                "currency",
                "must be a three-letter ISO 4217 code such as GBP",
            ));
        }
        validate_tiers(&self.price_tiers)?;
        self.layout.validate(&self.price_tiers)
    }

    pub fn is_on_sale(&self, now: DateTime<Utc>) -> bool {
        self.status == EventStatus::Published && self.starts_at > now
    }

    /// Search keys (only published events are listed).
    pub fn city_key(&self) -> String {
        city_key(&self.venue.city)
    }

    pub fn start_key(&self) -> String {
        start_key(self.starts_at, &self.id)
    }
}

fn trim_venue(v: Venue) -> Venue {
    Venue {
        name: v.name.trim().to_string(),
        city: v.city.trim().to_string(),
        address: v.address.map(|a| a.trim().to_string()),
    }
}

/// Cities match case- and space-insensitively ("  new york" finds "New York").
pub fn city_key(city: &str) -> String {
    city.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `2027-03-01T19:30:00Z#<uuid>`: fixed width, so keys sort by time then id.
pub fn start_key(at: DateTime<Utc>, id: &EventId) -> String {
    format!("{}#{id}", timestamp_key(at))
}

pub fn timestamp_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::layout::{GaArea, Section};
    use chrono::Duration;

    pub(crate) fn new_event(now: DateTime<Utc>) -> NewEvent {
        NewEvent {
            title: " Night Show ".into(),
            description: "".into(),
            category: Category::Concert,
            venue: Venue {
                name: "Hall".into(),
                city: "London".into(),
                address: None,
            },
            starts_at: now + Duration::days(30),
            currency: "GBP".into(),
            price_tiers: vec![PriceTier {
                id: "std".into(),
                name: "Standard".into(),
                price: 2500,
            }],
            layout: Layout::default(),
        }
    }

    #[test]
    fn a_draft_without_layout_is_valid_but_not_publishable() {
        let now = Utc::now();
        let draft = Event::new_draft(new_event(now), UserId::new("org"), now).unwrap();
        assert_eq!(draft.title, "Night Show");
        assert!(matches!(
            draft.published(now),
            Err(CatalogError::NotPublishable(_))
        ));
    }

    #[test]
    fn publishing_freezes_the_event() {
        let now = Utc::now();
        let mut input = new_event(now);
        input.layout.ga_areas.push(GaArea {
            id: "floor".into(),
            name: "Floor".into(),
            tier: "std".into(),
            capacity: 100,
        });
        let draft = Event::new_draft(input, UserId::new("org"), now).unwrap();
        let published = draft.published(now).unwrap();
        assert_eq!(published.status, EventStatus::Published);
        assert_eq!(published.version, draft.version + 1);
        assert!(published.is_on_sale(now));
        assert_eq!(published.published(now), Err(CatalogError::EventNotDraft));
        let changes = EventChanges {
            title: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            published.with_changes(changes, now),
            Err(CatalogError::EventNotDraft)
        );
    }

    #[test]
    fn past_start_times_and_bad_fields_are_refused() {
        let now = Utc::now();
        let mut input = new_event(now);
        input.starts_at = now - Duration::minutes(1);
        assert_eq!(
            Event::new_draft(input, UserId::new("o"), now),
            Err(CatalogError::StartTimeInPast)
        );
        // Ticket keys are kept for this horizon after they stop signing (see the api keys).
        let mut input = new_event(now);
        input.starts_at = now + Duration::days(super::super::MAX_DAYS_AHEAD) + Duration::hours(1);
        assert!(matches!(
            Event::new_draft(input, UserId::new("o"), now),
            Err(CatalogError::InvalidField { field, .. }) if field == "starts_at"
        ));
        let mut input = new_event(now);
        input.currency = "gbp".into();
        assert!(Event::new_draft(input, UserId::new("o"), now).is_err());
        let mut input = new_event(now);
        input.title = "   ".into();
        assert!(Event::new_draft(input, UserId::new("o"), now).is_err());
        let mut input = new_event(now);
        input.layout.sections.push(Section {
            id: "A".into(),
            name: "A".into(),
            tier: "nope".into(),
            rows: vec![],
        });
        assert!(matches!(
            Event::new_draft(input, UserId::new("o"), now),
            Err(CatalogError::InvalidLayout(_))
        ));
    }

    #[test]
    fn a_draft_whose_date_passed_cannot_be_published() {
        let now = Utc::now();
        let draft = Event::new_draft(new_event(now), UserId::new("o"), now).unwrap();
        let later = now + Duration::days(31);
        assert_eq!(draft.published(later), Err(CatalogError::StartTimeInPast));
    }

    #[test]
    fn keys_normalise_and_sort() {
        assert_eq!(city_key("  New   York "), "new york");
        let id = EventId::generate();
        let a = start_key("2027-01-01T10:00:00Z".parse().unwrap(), &id);
        let b = start_key("2027-01-01T10:00:01Z".parse().unwrap(), &id);
        assert!(a < b);
        assert_eq!(a.len(), b.len());
    }
}
