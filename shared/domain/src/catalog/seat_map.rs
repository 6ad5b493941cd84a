//! The seat map a fan sees: every seat's state and the places left in each area.

use crate::catalog::event::Event;
use crate::holds::models::{UnitRecord, UnitState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatState {
    Available,
    Held,
    Sold,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeatMap {
    pub sections: Vec<SectionMap>,
    pub ga_areas: Vec<AreaMap>,
    pub available: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SectionMap {
    pub id: String,
    pub name: String,
    pub rows: Vec<RowMap>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowMap {
    pub label: String,
    pub tier: String,
    pub seats: Vec<SeatView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeatView {
    pub id: String,
    pub number: u32,
    pub state: SeatState,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AreaMap {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub capacity: u32,
    pub available: u32,
    pub held: u32,
    pub sold: u32,
}

/// Builds the map from the layout and the live unit records; expired holds count as available.
pub fn seat_map(event: &Event, records: &[UnitRecord], now: DateTime<Utc>) -> SeatMap {
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
    let sections = event
        .layout
        .sections
        .iter()
        .map(|section| SectionMap {
            id: section.id.clone(),
            name: section.name.clone(),
            rows: section
                .rows
                .iter()
                .map(|row| RowMap {
                    label: row.label.clone(),
                    tier: row.tier.clone().unwrap_or_else(|| section.tier.clone()),
                    seats: (1..=row.seats)
                        .map(|n| {
                            let id = format!("{}-{}-{n}", section.id, row.label);
                            let state = states
                                .get(id.as_str())
                                .copied()
                                .unwrap_or(SeatState::Available);
                            if state == SeatState::Available {
                                available += 1;
                            }
                            SeatView {
                                id,
                                number: n,
                                state,
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let ga_areas = event
        .layout
        .ga_areas
        .iter()
        .map(|area| {
            let (mut held, mut sold) = (0u32, 0u32);
            for (unit, state) in &states {
                if unit.split_once('#').map(|(a, _)| a) == Some(area.id.as_str()) {
                    match state {
                        SeatState::Sold => sold += 1,
                        _ => held += 1,
                    }
                }
            }
            let left = area.capacity.saturating_sub(held + sold);
            available += u64::from(left);
            AreaMap {
                id: area.id.clone(),
                name: area.name.clone(),
                tier: area.tier.clone(),
                capacity: area.capacity,
                available: left,
                held,
                sold,
            }
        })
        .collect();
    SeatMap {
        sections,
        ga_areas,
        available,
    }
}
