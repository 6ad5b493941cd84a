//! The seat map a fan sees, sized for the venue limit (200,000 seats).
//!
//! The layout (sections, rows, seat counts, areas) is part of the event and never changes
//! once published; this is the other half, the live availability: per row one run-length
//! string of seat states, per area its counts. A 50,000-seat stadium's is tens of kilobytes
//! where an object per seat was megabytes.
//!
//! Reading every unit of a sold-out stadium costs about 900 read units, so a view does not:
//! it reads the event's last snapshot (a few units) and, when that is older than
//! [`MapSettings::max_age`], one viewer at a time rebuilds it. The cost of a rebuild is shared
//! by every view in that interval. A stale map can only send a fan to a seat that is gone,
//! which the hold's conditional write refuses with a 409: it never sells a seat twice.

use crate::catalog::error::CatalogError;
use crate::catalog::event::{Event, EventStatus};
use crate::catalog::ports::EventCatalog;
use crate::clock::Clock;
use crate::error::{InfraError, unavailable};
use crate::holds::models::{UnitRecord, UnitState};
use crate::holds::ports::SeatInventory;
use crate::identity::Actor;
use crate::ids::EventId;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatState {
    Available,
    Held,
    Sold,
}

impl SeatState {
    /// The letter for this state in a row's runs.
    pub fn letter(self) -> char {
        match self {
            SeatState::Available => 'a',
            SeatState::Held => 'h',
            SeatState::Sold => 's',
        }
    }

    fn from_letter(c: char) -> Option<Self> {
        match c {
            'a' => Some(SeatState::Available),
            'h' => Some(SeatState::Held),
            's' => Some(SeatState::Sold),
            _ => None,
        }
    }
}

/// The live state of every seat and place of an event, as of `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Availability {
    pub event_id: String,
    /// When the units were read: the map may be this old.
    pub as_of: DateTime<Utc>,
    /// Seats and places available in all.
    pub available: u64,
    /// In the layout's order.
    pub sections: Vec<SectionAvailability>,
    pub ga_areas: Vec<AreaAvailability>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SectionAvailability {
    pub id: String,
    pub rows: Vec<RowAvailability>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowAvailability {
    pub label: String,
    /// Seat states from seat 1 on, as runs of a count and a letter: `a` available, `h` held,
    /// `s` sold. `"12a3s5a"`: seats 1–12 available, 13–15 sold, 16–20 available.
    #[schema(example = "12a3s5a")]
    pub runs: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaAvailability {
    pub id: String,
    pub capacity: u32,
    pub available: u32,
    pub held: u32,
    pub sold: u32,
}

/// `states` as runs: `[a, a, s]` → `"2a1s"`.
pub fn runs(states: impl IntoIterator<Item = SeatState>) -> String {
    let mut out = String::new();
    let mut current: Option<(SeatState, u32)> = None;
    for state in states {
        current = match current {
            Some((s, n)) if s == state => Some((s, n + 1)),
            Some((s, n)) => {
                write!(out, "{n}{}", s.letter()).expect("writing to a string");
                Some((state, 1))
            }
            None => Some((state, 1)),
        };
    }
    if let Some((s, n)) = current {
        write!(out, "{n}{}", s.letter()).expect("writing to a string");
    }
    out
}

/// The states `runs` stands for, or None if it is not runs.
pub fn seat_states(runs: &str) -> Option<Vec<SeatState>> {
    let mut out = Vec::new();
    let mut count = String::new();
    for c in runs.chars() {
        if c.is_ascii_digit() {
            count.push(c);
            continue;
        }
        let n: usize = count.parse().ok()?;
        count.clear();
        out.extend(std::iter::repeat_n(SeatState::from_letter(c)?, n));
    }
    count.is_empty().then_some(out)
}

/// Builds the availability from the layout and the unit records; expired holds count as
/// available.
pub fn availability(event: &Event, records: &[UnitRecord], now: DateTime<Utc>) -> Availability {
    let states: HashMap<&str, SeatState> = records
        .iter()
        .filter(|r| r.is_live(now))
        .map(|r| {
            let state = match r.state {
                UnitState::Held => SeatState::Held,
                UnitState::Sold => SeatState::Sold,
            };
            (r.unit.as_str(), state)
        })
        .collect();
    let mut available: u64 = 0;
    let mut id = String::new();
    let sections = event
        .layout
        .sections
        .iter()
        .map(|section| SectionAvailability {
            id: section.id.clone(),
            rows: section
                .rows
                .iter()
                .map(|row| {
                    let row_states = (1..=row.seats).map(|n| {
                        id.clear();
                        write!(id, "{}-{}-{n}", section.id, row.label).expect("to a string");
                        let state = states
                            .get(id.as_str())
                            .copied()
                            .unwrap_or(SeatState::Available);
                        if state == SeatState::Available {
                            available += 1;
                        }
                        state
                    });
                    RowAvailability {
                        label: row.label.clone(),
                        runs: runs(row_states),
                    }
                })
                .collect(),
        })
        .collect();
    let mut counts: HashMap<&str, (u32, u32)> = HashMap::new();
    for (unit, state) in &states {
        if let Some((area, _)) = unit.split_once('#') {
            let (held, sold) = counts.entry(area).or_default();
            match state {
                SeatState::Sold => *sold += 1,
                _ => *held += 1,
            }
        }
    }
    let ga_areas = event
        .layout
        .ga_areas
        .iter()
        .map(|area| {
            let (held, sold) = counts.get(area.id.as_str()).copied().unwrap_or_default();
            let left = area.capacity.saturating_sub(held + sold);
            available += u64::from(left);
            AreaAvailability {
                id: area.id.clone(),
                capacity: area.capacity,
                available: left,
                held,
                sold,
            }
        })
        .collect();
    Availability {
        event_id: event.id.to_string(),
        as_of: now,
        available,
        sections,
        ga_areas,
    }
}

/// An event's availability as served: its JSON, and an entity tag naming those bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub taken_at: DateTime<Utc>,
    /// The [`Availability`] as JSON.
    pub body: String,
    /// A strong entity tag, quoted: `"…"`.
    pub etag: String,
}

impl Snapshot {
    pub fn of(availability: &Availability) -> Self {
        let body = serde_json::to_string(availability).expect("availability serialises");
        let digest = Sha256::digest(body.as_bytes());
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            taken_at: availability.as_of,
            body,
            etag: format!("\"{hex}\""),
        }
    }
}

/// The last availability snapshot of each published event, and who is rebuilding it.
#[async_trait]
pub trait MapSnapshots: Send + Sync {
    /// The event's last stored snapshot, if any. May be a moment stale.
    async fn latest(&self, event: &EventId) -> Result<Option<Snapshot>, InfraError>;

    /// Takes the right to rebuild the event's snapshot until `until`, if nobody holds it at
    /// `now`: of many viewers finding the snapshot old at once, one gets `true`.
    async fn claim_rebuild(
        &self,
        event: &EventId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, InfraError>;

    /// Stores `snapshot` unless a newer one is stored, and gives up the claim.
    async fn store(&self, event: &EventId, snapshot: &Snapshot) -> Result<(), InfraError>;
}

#[derive(Debug, Clone)]
pub struct MapSettings {
    /// How old a served map may be. Also its `Cache-Control: max-age`.
    pub max_age: Duration,
    /// How long a viewer may take to rebuild before another may try.
    pub rebuild_claim: Duration,
}

impl Default for MapSettings {
    fn default() -> Self {
        Self {
            max_age: Duration::seconds(2),
            rebuild_claim: Duration::seconds(10),
        }
    }
}

/// What the seat map route answers: the snapshot, and whether it may be cached publicly (a
/// draft's map is for its organiser only).
pub struct SeatMapView {
    pub snapshot: Arc<Snapshot>,
    pub public: bool,
}

/// The live seat map of an event.
pub struct SeatMaps {
    catalog: Arc<dyn EventCatalog>,
    inventory: Arc<dyn SeatInventory>,
    snapshots: Arc<dyn MapSnapshots>,
    clock: Arc<dyn Clock>,
    settings: MapSettings,
    /// The last snapshot this process served per event: a warm function answers a rush of
    /// views from memory for up to `max_age`.
    served: Mutex<HashMap<EventId, Arc<Snapshot>>>,
}

const SERVED_CAPACITY: usize = 256;

impl SeatMaps {
    pub fn new(
        catalog: Arc<dyn EventCatalog>,
        inventory: Arc<dyn SeatInventory>,
        snapshots: Arc<dyn MapSnapshots>,
        clock: Arc<dyn Clock>,
        settings: MapSettings,
    ) -> Self {
        Self {
            catalog,
            inventory,
            snapshots,
            clock,
            settings,
            served: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &MapSettings {
        &self.settings
    }

    /// The event's availability, at most `max_age` old (older only while another viewer is
    /// rebuilding it). Published events for anyone; drafts and cancelled events only for who
    /// may manage them, always fresh and never cached.
    pub async fn view(
        &self,
        viewer: Option<&Actor>,
        id: &EventId,
    ) -> Result<SeatMapView, CatalogError> {
        let now = self.clock.now();
        if let Some(s) = self.served.lock().expect("served lock").get(id)
            && now - s.taken_at < self.settings.max_age
        {
            return Ok(SeatMapView {
                snapshot: s.clone(),
                public: true,
            });
        }
        let event = self
            .catalog
            .get(id)
            .await?
            .filter(|e| {
                e.status == EventStatus::Published || viewer.is_some_and(|v| v.may_manage(e))
            })
            .ok_or_else(|| CatalogError::EventNotFound(id.to_string()))?;
        if event.status != EventStatus::Published {
            return Ok(SeatMapView {
                snapshot: Arc::new(self.build(&event).await?),
                public: false,
            });
        }
        let latest = self.snapshots.latest(id).await.map_err(unavailable)?;
        let snapshot = match latest {
            Some(s) if now - s.taken_at < self.settings.max_age => s,
            stale => {
                let until = now + self.settings.rebuild_claim;
                let claimed = self
                    .snapshots
                    .claim_rebuild(id, now, until)
                    .await
                    .map_err(unavailable)?;
                match (claimed, stale) {
                    (true, _) => {
                        let fresh = self.build(&event).await?;
                        self.snapshots
                            .store(id, &fresh)
                            .await
                            .map_err(unavailable)?;
                        fresh
                    }
                    // Another viewer is rebuilding: serve the last one meanwhile.
                    (false, Some(s)) => s,
                    // The first views of an event, all at once: nothing sold yet, so reading
                    // the units is cheap; each builds its own and leaves storing to the claim.
                    (false, None) => self.build(&event).await?,
                }
            }
        };
        let snapshot = Arc::new(snapshot);
        let mut served = self.served.lock().expect("served lock");
        if served.len() >= SERVED_CAPACITY {
            served.clear();
        }
        served.insert(id.clone(), snapshot.clone());
        Ok(SeatMapView {
            snapshot,
            public: true,
        })
    }

    async fn build(&self, event: &Event) -> Result<Snapshot, CatalogError> {
        let now = self.clock.now();
        let records = self
            .inventory
            .live_units(&event.id, &event.layout.blocks(), now)
            .await
            .map_err(unavailable)?;
        Ok(Snapshot::of(&availability(event, &records, now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_round_trip() {
        use SeatState::*;
        let states = vec![Available, Available, Sold, Held, Held, Held, Available];
        assert_eq!(runs(states.clone()), "2a1s3h1a");
        assert_eq!(seat_states("2a1s3h1a"), Some(states));
        assert_eq!(runs(vec![Sold; 120]), "120s");
        assert_eq!(runs(Vec::new()), "");
        assert_eq!(seat_states(""), Some(vec![]));
        assert_eq!(seat_states("3"), None);
        assert_eq!(seat_states("2x"), None);
        assert_eq!(seat_states("a"), None);
    }
}
