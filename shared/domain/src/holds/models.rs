//! Seat holds: a fan's short claim on seats or general-admission places, all or nothing.

use super::error::HoldError;
use crate::catalog::event::Event;
use crate::catalog::layout::{UnitId, tier_prices};
use crate::ids::{EventId, HoldId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a fan asks to hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    #[serde(default)]
    pub seats: Vec<String>,
    #[serde(default)]
    pub ga: Vec<GaRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GaRequest {
    pub area: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    Active,
    Released,
    /// Turned into a booking; the booking decides what happens to the seats.
    CheckedOut,
    /// Its expiry passed without a checkout, and that was reported (`HoldExpired`). A hold
    /// is expired from its `expires_at` on, whether or not this has been recorded yet.
    Expired,
}

/// The places one holder holds at one event, so one script cannot hold a venue: the store
/// keeps one such record per (event, holder) and changes it in the same write as the hold it
/// counts, so parallel holds cannot pass the limit between them. A release or checkout takes
/// its hold out afterwards; until then it counts, which errs on the side of the limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPlaces {
    pub holds: Vec<HeldEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldEntry {
    pub hold: HoldId,
    pub places: u32,
    /// The hold's expiry: after it the places no longer count.
    pub until: DateTime<Utc>,
}

impl HeldPlaces {
    /// Places still held at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> u32 {
        self.holds
            .iter()
            .filter(|e| e.until > now)
            .map(|e| e.places)
            .sum()
    }

    /// The record with `hold` counted (and expired holds dropped), or the places already held
    /// if `hold` would take them past `limit`.
    pub fn with(&self, hold: &Hold, now: DateTime<Utc>, limit: u32) -> Result<Self, u32> {
        let live: Vec<HeldEntry> = self
            .holds
            .iter()
            .filter(|e| e.until > now && e.hold != hold.id)
            .cloned()
            .collect();
        let held: u32 = live.iter().map(|e| e.places).sum();
        let places = hold.units.len() as u32;
        if held + places > limit {
            return Err(held);
        }
        let mut holds = live;
        holds.push(HeldEntry {
            hold: hold.id.clone(),
            places,
            until: hold.expires_at,
        });
        Ok(Self { holds })
    }

    /// The record without `hold` (released, or checked out into a booking).
    pub fn without(&self, hold: &HoldId) -> Self {
        Self {
            holds: self
                .holds
                .iter()
                .filter(|e| e.hold != *hold)
                .cloned()
                .collect(),
        }
    }

    /// When the record counts nothing any more (for the store's TTL).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.holds.iter().map(|e| e.until).max()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: HoldId,
    pub event_id: EventId,
    pub holder: UserId,
    pub seats: Vec<String>,
    pub ga: Vec<GaRequest>,
    /// Everything claimed: the seats, and the general-admission places picked for `ga`.
    pub units: Vec<UnitId>,
    /// Minor units of `currency`.
    pub total: i64,
    pub currency: String,
    pub status: HoldStatus,
    pub created_at: DateTime<Utc>,
    /// Fixed at creation and never moved, so a hold cannot be kept alive forever.
    pub expires_at: DateTime<Utc>,
    /// Identifies the request, so a retry with the same Idempotency-Key can be recognised.
    pub request_fingerprint: String,
}

impl Hold {
    /// What a client sees: `expired` is derived from the clock, not stored.
    pub fn state_at(&self, now: DateTime<Utc>) -> &'static str {
        match self.status {
            HoldStatus::Released => "released",
            HoldStatus::CheckedOut => "checked_out",
            HoldStatus::Expired => "expired",
            HoldStatus::Active if self.expires_at <= now => "expired",
            HoldStatus::Active => "active",
        }
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status == HoldStatus::Active && self.expires_at > now
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitState {
    Held,
    Sold,
}

/// A store's record that a unit is claimed. No record, or an expired hold, means available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRecord {
    pub unit: UnitId,
    pub hold_id: HoldId,
    pub state: UnitState,
    pub expires_at: DateTime<Utc>,
}

impl UnitRecord {
    /// An expired hold blocks nobody, whether or not TTL has deleted it yet.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.state == UnitState::Sold || self.expires_at > now
    }
}

/// A request checked against an event's layout: which seats, which areas, what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedRequest {
    pub seats: Vec<UnitId>,
    /// Area id → places wanted.
    pub ga: BTreeMap<String, u32>,
    pub total: i64,
    pub fingerprint: String,
}

impl HoldRequest {
    pub fn unit_count(&self) -> usize {
        self.seats.len()
            + self
                .ga
                .iter()
                .map(|g| g.quantity as usize)
                .fold(0usize, usize::saturating_add)
    }

    /// Checks the request against the layout and prices it. Order of checks: shape, then
    /// existence, so a client learns about every unknown seat at once.
    pub fn price(&self, event: &Event, max_units: usize) -> Result<PricedRequest, HoldError> {
        if self.ga.iter().any(|g| g.quantity == 0) {
            return Err(HoldError::invalid("ga.quantity", "must be at least 1"));
        }
        let asked = self.unit_count();
        if asked == 0 {
            return Err(HoldError::EmptySeatList);
        }
        if asked > max_units {
            return Err(HoldError::TooManySeats {
                max: max_units,
                asked,
            });
        }
        let mut seen = BTreeSet::new();
        let duplicates: BTreeSet<String> = self
            .seats
            .iter()
            .filter(|s| !seen.insert(s.as_str()))
            .cloned()
            .collect();
        if !duplicates.is_empty() {
            return Err(HoldError::DuplicateSeats {
                seats: duplicates.into_iter().collect(),
            });
        }
        let prices = tier_prices(&event.price_tiers);
        let mut total: i64 = 0;
        let mut unknown = Vec::new();
        let mut seats = Vec::new();
        for seat in &self.seats {
            match event.layout.seat_tier(seat) {
                Some(tier) => {
                    total += prices[tier];
                    seats.push(UnitId::from_stored(seat.clone()));
                }
                None => unknown.push(seat.clone()),
            }
        }
        let mut ga = BTreeMap::new();
        for g in &self.ga {
            let Some(area) = event.layout.ga_area(&g.area) else {
                unknown.push(g.area.clone());
                continue;
            };
            if ga.insert(area.id.clone(), g.quantity).is_some() {
                return Err(HoldError::DuplicateSeats {
                    seats: vec![g.area.clone()],
                });
            }
            total += prices[area.tier.as_str()] * i64::from(g.quantity);
        }
        if !unknown.is_empty() {
            return Err(HoldError::UnknownSeats { seats: unknown });
        }
        let mut sorted_seats: Vec<&str> = self.seats.iter().map(String::as_str).collect();
        sorted_seats.sort_unstable();
        let fingerprint = format!(
            "{}|seats={}|ga={}",
            event.id,
            sorted_seats.join(","),
            ga.iter()
                .map(|(a, q)| format!("{a}:{q}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        Ok(PricedRequest {
            seats,
            ga,
            total,
            fingerprint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::event::{Category, EventStatus, Venue};
    use crate::catalog::layout::{GaArea, Layout, PriceTier, Row, Section};

    fn event() -> Event {
        let now = Utc::now();
        Event {
            id: EventId::generate(),
            organiser: UserId::new("o"),
            status: EventStatus::Published,
            title: "t".into(),
            description: "".into(),
            category: Category::Concert,
            venue: Venue {
                name: "v".into(),
                city: "c".into(),
                address: None,
            },
            starts_at: now + chrono::Duration::days(1),
            currency: "EUR".into(),
            price_tiers: vec![
                PriceTier {
                    id: "std".into(),
                    name: "S".into(),
                    price: 1000,
                },
                PriceTier {
                    id: "vip".into(),
                    name: "V".into(),
                    price: 5000,
                },
            ],
            layout: Layout {
                sections: vec![Section {
                    id: "A".into(),
                    name: "A".into(),
                    tier: "std".into(),
                    rows: vec![Row {
                        label: "1".into(),
                        seats: 5,
                        tier: Some("vip".into()),
                    }],
                }],
                ga_areas: vec![GaArea {
                    id: "floor".into(),
                    name: "F".into(),
                    tier: "std".into(),
                    capacity: 50,
                }],
            },
            version: 2,
            created_at: now,
            updated_at: now,
            published_at: Some(now),
            cancellation: None,
            door_staff: Vec::new(),
        }
    }

    fn req(seats: &[&str], ga: &[(&str, u32)]) -> HoldRequest {
        HoldRequest {
            seats: seats.iter().map(|s| s.to_string()).collect(),
            ga: ga
                .iter()
                .map(|(a, q)| GaRequest {
                    area: a.to_string(),
                    quantity: *q,
                })
                .collect(),
        }
    }

    #[test]
    fn prices_seats_and_places() {
        let p = req(&["A-1-1", "A-1-2"], &[("floor", 3)])
            .price(&event(), 10)
            .unwrap();
        assert_eq!(p.total, 2 * 5000 + 3 * 1000);
        assert_eq!(p.seats.len(), 2);
        assert_eq!(p.ga["floor"], 3);
    }

    #[test]
    fn fingerprint_ignores_seat_order() {
        let e = event();
        let a = req(&["A-1-1", "A-1-2"], &[]).price(&e, 10).unwrap();
        let b = req(&["A-1-2", "A-1-1"], &[]).price(&e, 10).unwrap();
        let c = req(&["A-1-3", "A-1-1"], &[]).price(&e, 10).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
    }

    #[test]
    fn bad_requests_are_named() {
        let e = event();
        assert_eq!(req(&[], &[]).price(&e, 10), Err(HoldError::EmptySeatList));
        assert_eq!(
            req(&["A-1-1", "A-1-1"], &[]).price(&e, 10),
            Err(HoldError::DuplicateSeats {
                seats: vec!["A-1-1".into()]
            })
        );
        assert_eq!(
            req(&["A-1-9", "Z-1-1"], &[("pit", 1)]).price(&e, 10),
            Err(HoldError::UnknownSeats {
                seats: vec!["A-1-9".into(), "Z-1-1".into(), "pit".into()]
            })
        );
        assert_eq!(
            req(&["A-1-1"], &[("floor", 10)]).price(&e, 10),
            Err(HoldError::TooManySeats { max: 10, asked: 11 })
        );
        assert_eq!(
            req(&[], &[("floor", u32::MAX), ("floor", u32::MAX)]).price(&e, 10),
            Err(HoldError::TooManySeats {
                max: 10,
                asked: 2 * u32::MAX as usize
            })
        );
        assert!(req(&[], &[("floor", 0)]).price(&e, 10).is_err());
    }

    #[test]
    fn expired_units_are_not_live_but_sold_ones_are() {
        let now = Utc::now();
        let mut r = UnitRecord {
            unit: UnitId::seat("A", "1", 1),
            hold_id: HoldId::generate(),
            state: UnitState::Held,
            expires_at: now,
        };
        assert!(!r.is_live(now));
        assert!(r.is_live(now - chrono::Duration::seconds(1)));
        r.state = UnitState::Sold;
        assert!(r.is_live(now + chrono::Duration::days(1)));
    }
}
