//! Venue layouts (sections → rows → seats, and general-admission areas), price tiers, and the
//! "units" a hold claims: one per seat, one per general-admission place.
//!
//! Layouts are stored compactly (a row says how many seats it has) so a 50,000-seat stadium
//! stays a small record; seats are numbered 1..=n and named `SECTION-ROW-NUMBER`.

use super::error::CatalogError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

pub const MAX_SECTIONS: usize = 200;
pub const MAX_ROWS_PER_SECTION: usize = 500;
pub const MAX_SEATS_PER_ROW: u32 = 500;
pub const MAX_GA_AREAS: usize = 50;
pub const MAX_GA_CAPACITY: u32 = 100_000;
pub const MAX_UNITS_PER_EVENT: u64 = 200_000;
pub const MAX_PRICE_TIERS: usize = 50;
/// 1,000,000.00 in minor units: a guard against typos, not a business limit.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceTier {
    pub id: String,
    pub name: String,
    /// Minor units of the event's currency (pence, cents).
    pub price: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default)]
    pub ga_areas: Vec<GaArea>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub name: String,
    /// The price tier of every row that does not name its own.
    pub tier: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub label: String,
    /// Seats are numbered 1..=seats.
    pub seats: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GaArea {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub capacity: u32,
}

/// One sellable thing: a seat (`A-12-7`) or a general-admission place (`floor#42`).
/// The part before the first `-` or `#` is its block (section or area), which stores use to
/// spread an on-sale over many partitions instead of one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitId(String);

impl UnitId {
    pub fn seat(section: &str, row: &str, number: u32) -> Self {
        Self(format!("{section}-{row}-{number}"))
    }

    pub fn ga_place(area: &str, slot: u32) -> Self {
        Self(format!("{area}#{slot}"))
    }

    /// Rebuilds a unit id read back from a store; stores only hold ids this module made.
    pub fn from_stored(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn block(&self) -> &str {
        self.0
            .split(['-', '#'])
            .next()
            .expect("split always yields one part")
    }

    pub fn is_ga(&self) -> bool {
        self.0.contains('#')
    }

    /// The general-admission area of a place, if this unit is one.
    pub fn ga_area(&self) -> Option<&str> {
        self.0.split_once('#').map(|(area, _)| area)
    }

    /// The place number of a general-admission place in `area`, if this unit is one.
    pub fn ga_slot_in(&self, area: &str) -> Option<u32> {
        let (a, slot) = self.0.split_once('#')?;
        if a == area { slot.parse().ok() } else { None }
    }
}

impl std::fmt::Display for UnitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names used inside seat ids must not contain the separators.
fn is_name(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_tier_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), CatalogError> {
    if value.trim().is_empty() {
        return Err(CatalogError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(CatalogError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(CatalogError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Field-level rules for price tiers: always enforced, on drafts too.
pub fn validate_tiers(tiers: &[PriceTier]) -> Result<(), CatalogError> {
    if tiers.len() > MAX_PRICE_TIERS {
        return Err(CatalogError::invalid(
            "price_tiers",
            format!("at most {MAX_PRICE_TIERS} tiers"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, tier) in tiers.iter().enumerate() {
        let field = format!("price_tiers[{i}]");
        if !is_tier_id(&tier.id) {
            return Err(CatalogError::invalid(
                format!("{field}.id"),
                "must be 1-32 characters of a-z, 0-9 and _",
            ));
        }
        if !seen.insert(tier.id.as_str()) {
            return Err(CatalogError::invalid(
                format!("{field}.id"),
                format!("tier {} is defined twice", tier.id),
            ));
        }
        check_text(&format!("{field}.name"), &tier.name, 100)?;
        if tier.price < 0 {
            return Err(CatalogError::NegativePrice {
                field: format!("{field}.price"),
            });
        }
        if tier.price > MAX_PRICE_MINOR {
            return Err(CatalogError::invalid(
                format!("{field}.price"),
                format!("must be at most {MAX_PRICE_MINOR} minor units"),
            ));
        }
    }
    Ok(())
}

impl Layout {
    /// Structural rules: unique names, sizes within bounds, every tier reference resolvable.
    pub fn validate(&self, tiers: &[PriceTier]) -> Result<(), CatalogError> {
        let bad = |m: String| Err(CatalogError::InvalidLayout(m));
        let tier_ids: HashSet<&str> = tiers.iter().map(|t| t.id.as_str()).collect();
        if self.sections.len() > MAX_SECTIONS {
            return bad(format!("at most {MAX_SECTIONS} sections"));
        }
        if self.ga_areas.len() > MAX_GA_AREAS {
            return bad(format!("at most {MAX_GA_AREAS} general-admission areas"));
        }
        let mut blocks = HashSet::new();
        let mut units: u64 = 0;
        for section in &self.sections {
            if !is_name(&section.id, 16) {
                return bad(format!(
                    "section id {:?} must be 1-16 letters or digits",
                    section.id
                ));
            }
            if !blocks.insert(section.id.as_str()) {
                return bad(format!("section or area id {} is used twice", section.id));
            }
            check_text(&format!("section {} name", section.id), &section.name, 100)
                .or_else(|e| bad(e.to_string()))?;
            if !tier_ids.contains(section.tier.as_str()) {
                return bad(format!(
                    "section {} uses unknown price tier {:?}",
                    section.id, section.tier
                ));
            }
            if section.rows.is_empty() || section.rows.len() > MAX_ROWS_PER_SECTION {
                return bad(format!(
                    "section {} must have 1-{MAX_ROWS_PER_SECTION} rows",
                    section.id
                ));
            }
            let mut labels = HashSet::new();
            for row in &section.rows {
                if !is_name(&row.label, 8) {
                    return bad(format!(
                        "row label {:?} in section {} must be 1-8 letters or digits",
                        row.label, section.id
                    ));
                }
                if !labels.insert(row.label.as_str()) {
                    return bad(format!(
                        "row {} appears twice in section {}",
                        row.label, section.id
                    ));
                }
                if row.seats == 0 || row.seats > MAX_SEATS_PER_ROW {
                    return bad(format!(
                        "row {} in section {} must have 1-{MAX_SEATS_PER_ROW} seats",
                        row.label, section.id
                    ));
                }
                if let Some(t) = &row.tier
                    && !tier_ids.contains(t.as_str())
                {
                    return bad(format!(
                        "row {} in section {} uses unknown price tier {t:?}",
                        row.label, section.id
                    ));
                }
                units += u64::from(row.seats);
            }
        }
        for area in &self.ga_areas {
            if !is_name(&area.id, 16) {
                return bad(format!(
                    "area id {:?} must be 1-16 letters or digits",
                    area.id
                ));
            }
            if !blocks.insert(area.id.as_str()) {
                return bad(format!("section or area id {} is used twice", area.id));
            }
            check_text(&format!("area {} name", area.id), &area.name, 100)
                .or_else(|e| bad(e.to_string()))?;
            if !tier_ids.contains(area.tier.as_str()) {
                return bad(format!(
                    "area {} uses unknown price tier {:?}",
                    area.id, area.tier
                ));
            }
            if area.capacity == 0 || area.capacity > MAX_GA_CAPACITY {
                return bad(format!(
                    "area {} capacity must be 1-{MAX_GA_CAPACITY}",
                    area.id
                ));
            }
            units += u64::from(area.capacity);
        }
        if units > MAX_UNITS_PER_EVENT {
            return bad(format!(
                "{units} seats and places is more than the {MAX_UNITS_PER_EVENT} allowed"
            ));
        }
        Ok(())
    }

    pub fn unit_count(&self) -> u64 {
        let seats: u64 = self
            .sections
            .iter()
            .flat_map(|s| &s.rows)
            .map(|r| u64::from(r.seats))
            .sum();
        seats
            + self
                .ga_areas
                .iter()
                .map(|a| u64::from(a.capacity))
                .sum::<u64>()
    }

    /// The tier of a seat named `SECTION-ROW-NUMBER`, or None if there is no such seat.
    pub fn seat_tier(&self, seat: &str) -> Option<&str> {
        let mut parts = seat.split('-');
        let (section_id, row_label, number) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let number: u32 = number.parse().ok()?;
        // Reject "07" or "+7": the seat name must be the canonical one we store.
        if number.to_string() != number_str(seat) {
            return None;
        }
        let section = self.sections.iter().find(|s| s.id == section_id)?;
        let row = section.rows.iter().find(|r| r.label == row_label)?;
        (1..=row.seats)
            .contains(&number)
            .then(|| row.tier.as_deref().unwrap_or(&section.tier))
    }

    pub fn ga_area(&self, id: &str) -> Option<&GaArea> {
        self.ga_areas.iter().find(|a| a.id == id)
    }

    /// Every block (section or area): what a seat map reads.
    pub fn blocks(&self) -> Vec<Block> {
        self.sections
            .iter()
            .map(|s| Block::section(&s.id))
            .chain(self.ga_areas.iter().map(|a| Block::area(&a.id, a.capacity)))
            .collect()
    }
}

/// A block as a store reads it: a section, or a general-admission area with its capacity.
/// An area's places are numbered 1..=capacity, so a store that spreads them over several
/// partitions (to take a rush of writes) knows from the capacity which partitions to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: String,
    /// `None` for a section; an area's capacity.
    pub places: Option<u32>,
}

impl Block {
    pub fn section(id: &str) -> Self {
        Self {
            id: id.to_string(),
            places: None,
        }
    }

    pub fn area(id: &str, capacity: u32) -> Self {
        Self {
            id: id.to_string(),
            places: Some(capacity),
        }
    }
}

fn number_str(seat: &str) -> &str {
    seat.rsplit('-').next().unwrap_or_default()
}

/// Price lookup for a validated layout.
pub fn tier_prices(tiers: &[PriceTier]) -> BTreeMap<&str, i64> {
    tiers.iter().map(|t| (t.id.as_str(), t.price)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers() -> Vec<PriceTier> {
        vec![
            PriceTier {
                id: "std".into(),
                name: "Standard".into(),
                price: 4500,
            },
            PriceTier {
                id: "vip".into(),
                name: "VIP".into(),
                price: 9000,
            },
        ]
    }

    fn layout() -> Layout {
        Layout {
            sections: vec![Section {
                id: "A".into(),
                name: "Stalls A".into(),
                tier: "std".into(),
                rows: vec![
                    Row {
                        label: "1".into(),
                        seats: 10,
                        tier: Some("vip".into()),
                    },
                    Row {
                        label: "2".into(),
                        seats: 12,
                        tier: None,
                    },
                ],
            }],
            ga_areas: vec![GaArea {
                id: "floor".into(),
                name: "Floor".into(),
                tier: "std".into(),
                capacity: 300,
            }],
        }
    }

    #[test]
    fn valid_layout_counts_units_and_resolves_seats() {
        let l = layout();
        l.validate(&tiers()).unwrap();
        assert_eq!(l.unit_count(), 322);
        assert_eq!(l.seat_tier("A-1-10"), Some("vip"));
        assert_eq!(l.seat_tier("A-2-1"), Some("std"));
        for missing in [
            "A-1-11", "A-1-0", "A-3-1", "B-1-1", "A-1-01", "A-1-+1", "A-1", "A-1-1-1", "", "A--1",
        ] {
            assert_eq!(l.seat_tier(missing), None, "{missing}");
        }
    }

    type Mutation = Box<dyn Fn(&mut Layout)>;

    #[test]
    fn layout_rules_are_enforced() {
        let cases: Vec<(&str, Mutation)> = vec![
            ("dup block", Box::new(|l| l.ga_areas[0].id = "A".into())),
            (
                "unknown tier",
                Box::new(|l| l.sections[0].tier = "gold".into()),
            ),
            (
                "unknown row tier",
                Box::new(|l| l.sections[0].rows[1].tier = Some("x".into())),
            ),
            ("dash in id", Box::new(|l| l.sections[0].id = "A-B".into())),
            (
                "hash in label",
                Box::new(|l| l.sections[0].rows[0].label = "1#".into()),
            ),
            (
                "dup row",
                Box::new(|l| l.sections[0].rows[1].label = "1".into()),
            ),
            ("zero seats", Box::new(|l| l.sections[0].rows[0].seats = 0)),
            ("huge row", Box::new(|l| l.sections[0].rows[0].seats = 501)),
            ("zero capacity", Box::new(|l| l.ga_areas[0].capacity = 0)),
            ("no rows", Box::new(|l| l.sections[0].rows.clear())),
        ];
        for (name, mutate) in cases {
            let mut l = layout();
            mutate(&mut l);
            assert!(
                matches!(l.validate(&tiers()), Err(CatalogError::InvalidLayout(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn tiers_reject_negative_and_duplicate() {
        let mut t = tiers();
        t[1].price = -1;
        assert!(matches!(
            validate_tiers(&t),
            Err(CatalogError::NegativePrice { .. })
        ));
        let mut t = tiers();
        t[1].id = "std".into();
        assert!(validate_tiers(&t).is_err());
    }

    #[test]
    fn units_know_their_block() {
        assert_eq!(UnitId::seat("A", "12", 7).block(), "A");
        assert_eq!(UnitId::ga_place("floor", 42).block(), "floor");
        assert_eq!(UnitId::ga_place("floor", 42).ga_area(), Some("floor"));
        assert_eq!(UnitId::ga_place("floor", 42).ga_slot_in("floor"), Some(42));
        assert_eq!(UnitId::ga_place("floor", 42).ga_slot_in("pit"), None);
        assert_eq!(UnitId::seat("floor", "1", 2).ga_slot_in("floor"), None);
        assert!(!UnitId::seat("A", "1", 1).is_ga());
    }
}
