//! Embedded, durable adapters for `make run`: one redb file under the data folder.
//!
//! redb runs one write transaction at a time, so "check every unit is free, then claim them
//! all" inside a single write transaction is atomic under any number of concurrent requests.
//! Each commit is fsynced (`Durability::Immediate`): data survives a crash or a restart.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use stagepass_domain::{CatalogError, EventCatalog, InventoryError, ListingQuery, SeatInventory};
use stagepass_domain::{
    Event, EventId, EventStatus, Hold, HoldId, HoldStatus, UnitRecord, UnitState,
};
use std::path::Path;

mod bookings;
mod identity;
use std::sync::Arc;

/// Event id → event JSON.
const EVENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("events");
/// Start key → event id, for published events only (the search index).
const LISTING: TableDefinition<&str, &str> = TableDefinition::new("listing");
/// `{event}/{unit}` → unit record JSON.
const UNITS: TableDefinition<&str, &[u8]> = TableDefinition::new("units");
/// Hold id → hold JSON.
const HOLDS: TableDefinition<&str, &[u8]> = TableDefinition::new("holds");

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

pub(crate) fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn unit_key(event: &EventId, unit: &str) -> String {
    format!("{event}/{unit}")
}

/// Claims every unit of `hold` as `state`, all or nothing. A unit is free when it has no
/// record, its record is not live at `now`, or (when selling) it is this hold's own. Taken
/// units are named and nothing is written: the caller's transaction is dropped uncommitted.
fn claim_units(
    txn: &redb::WriteTransaction,
    hold: &Hold,
    state: UnitState,
    now: DateTime<Utc>,
) -> Result<(), WrapInventory> {
    let mut units = txn.open_table(UNITS).map_err(fail)?;
    let mut taken = Vec::new();
    for unit in &hold.units {
        let key = unit_key(&hold.event_id, unit.as_str());
        if let Some(bytes) = units.get(key.as_str()).map_err(fail)? {
            let record: UnitRecord = decode(bytes.value())?;
            let own_sale = state == UnitState::Sold && record.hold_id == hold.id;
            if !own_sale && record.is_live(now) {
                taken.push(unit.clone());
            }
        }
    }
    if !taken.is_empty() {
        return Err(WrapInventory(InventoryError::Taken(taken)));
    }
    for unit in &hold.units {
        let record = UnitRecord {
            unit: unit.clone(),
            hold_id: hold.id.clone(),
            state,
            expires_at: hold.expires_at,
        };
        let key = unit_key(&hold.event_id, unit.as_str());
        units
            .insert(key.as_str(), encode(&record).as_slice())
            .map_err(fail)?;
    }
    Ok(())
}

/// Deletes the unit records `hold` still owns. After expiry another hold may own a unit:
/// that one is left alone.
fn free_units(txn: &redb::WriteTransaction, hold: &Hold) -> Result<(), String> {
    let mut units = txn.open_table(UNITS).map_err(fail)?;
    for unit in &hold.units {
        let key = unit_key(&hold.event_id, unit.as_str());
        let ours = match units.get(key.as_str()).map_err(fail)? {
            Some(bytes) => decode::<UnitRecord>(bytes.value())?.hold_id == hold.id,
            None => false,
        };
        if ours {
            units.remove(key.as_str()).map_err(fail)?;
        }
    }
    Ok(())
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`. Only one process may open a store at a time.
    pub fn open(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(fail)?;
        let db = Database::create(dir.join("stagepass.redb")).map_err(fail)?;
        let txn = db.begin_write().map_err(fail)?;
        for table in [EVENTS, UNITS, HOLDS] {
            txn.open_table(table).map_err(fail)?;
        }
        txn.open_table(LISTING).map_err(fail)?;
        txn.open_table(identity::ACCOUNTS).map_err(fail)?;
        txn.open_table(identity::REFRESH).map_err(fail)?;
        txn.open_table(identity::FAMILIES).map_err(fail)?;
        txn.open_table(identity::RATES).map_err(fail)?;
        bookings::create_tables(&txn)?;
        txn.commit().map_err(fail)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Runs blocking store work off the async threads.
    pub(crate) async fn run<T, E>(
        &self,
        work: impl FnOnce(&Database) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static + From<String>,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|e| E::from(fail(e)))?
    }

    /// Runs `work` in one write transaction off the async threads; commits only if it
    /// returns `Ok` (an outcome that must be kept even though it is a refusal goes in `T`).
    pub(crate) async fn write<T, E>(
        &self,
        work: impl FnOnce(&redb::WriteTransaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static + From<String>,
    {
        self.run(move |db| {
            let txn = db.begin_write().map_err(fail)?;
            let out = work(&txn)?;
            txn.commit().map_err(fail)?;
            Ok(out)
        })
        .await
    }
}

impl From<String> for WrapCatalog {
    fn from(s: String) -> Self {
        Self(CatalogError::Unavailable(s))
    }
}

/// Local newtypes so `run` can turn join and redb failures into each port's `Unavailable`.
struct WrapCatalog(CatalogError);
struct WrapInventory(InventoryError);

impl From<String> for WrapInventory {
    fn from(s: String) -> Self {
        Self(InventoryError::Unavailable(s))
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(fail)
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("domain types serialise")
}

#[async_trait]
impl EventCatalog for EmbeddedStore {
    async fn insert(&self, event: &Event) -> Result<(), CatalogError> {
        let event = event.clone();
        self.write(move |txn| -> Result<(), WrapCatalog> {
            let mut events = txn.open_table(EVENTS).map_err(fail)?;
            if events.get(event.id.as_str()).map_err(fail)?.is_some() {
                return Err(WrapCatalog(CatalogError::AlreadyExists));
            }
            events
                .insert(event.id.as_str(), encode(&event).as_slice())
                .map_err(fail)?;
            if event.status == EventStatus::Published {
                let mut listing = txn.open_table(LISTING).map_err(fail)?;
                listing
                    .insert(event.start_key().as_str(), event.id.as_str())
                    .map_err(fail)?;
            }
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }

    async fn get(&self, id: &EventId) -> Result<Option<Event>, CatalogError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Event>, WrapCatalog> {
            let txn = db.begin_read().map_err(fail)?;
            let events = txn.open_table(EVENTS).map_err(fail)?;
            let found = events.get(id.as_str()).map_err(fail)?;
            Ok(found.map(|v| decode(v.value())).transpose()?)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn replace(&self, event: &Event, expected_version: u64) -> Result<(), CatalogError> {
        let event = event.clone();
        self.write(move |txn| -> Result<(), WrapCatalog> {
            let mut events = txn.open_table(EVENTS).map_err(fail)?;
            let stored: Option<Event> = events
                .get(event.id.as_str())
                .map_err(fail)?
                .map(|v| decode(v.value()))
                .transpose()?;
            let Some(stored) = stored.filter(|s| s.version == expected_version) else {
                return Err(WrapCatalog(CatalogError::VersionConflict));
            };
            events
                .insert(event.id.as_str(), encode(&event).as_slice())
                .map_err(fail)?;
            let mut listing = txn.open_table(LISTING).map_err(fail)?;
            if stored.status == EventStatus::Published {
                listing.remove(stored.start_key().as_str()).map_err(fail)?;
            }
            if event.status == EventStatus::Published {
                listing
                    .insert(event.start_key().as_str(), event.id.as_str())
                    .map_err(fail)?;
            }
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }

    async fn list_published(&self, query: &ListingQuery) -> Result<Vec<Event>, CatalogError> {
        let query = query.clone();
        self.run(move |db| -> Result<Vec<Event>, WrapCatalog> {
            let txn = db.begin_read().map_err(fail)?;
            let listing = txn.open_table(LISTING).map_err(fail)?;
            let events = txn.open_table(EVENTS).map_err(fail)?;
            let mut out = Vec::new();
            if query.from_key > query.to_key {
                return Ok(out);
            }
            for entry in listing
                .range(query.from_key.as_str()..=query.to_key.as_str())
                .map_err(fail)?
            {
                let (_, id) = entry.map_err(fail)?;
                let Some(bytes) = events.get(id.value()).map_err(fail)? else {
                    continue;
                };
                let event: Event = decode(bytes.value())?;
                let city_ok = query
                    .city_key
                    .as_ref()
                    .is_none_or(|c| *c == event.city_key());
                let category_ok = query.category.is_none_or(|c| c == event.category);
                if city_ok && category_ok {
                    out.push(event);
                    if out.len() >= query.limit {
                        break;
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|w| w.0)
    }
}

#[async_trait]
impl SeatInventory for EmbeddedStore {
    async fn place_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), WrapInventory> {
            let mut holds = txn.open_table(HOLDS).map_err(fail)?;
            if let Some(existing) = holds.get(hold.id.as_str()).map_err(fail)? {
                let existing: Hold = decode(existing.value())?;
                return Err(WrapInventory(InventoryError::HoldExists(Box::new(
                    existing,
                ))));
            }
            claim_units(txn, &hold, UnitState::Held, now)?;
            holds
                .insert(hold.id.as_str(), encode(&hold).as_slice())
                .map_err(fail)?;
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }

    async fn find_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Hold>, WrapInventory> {
            let txn = db.begin_read().map_err(fail)?;
            let holds = txn.open_table(HOLDS).map_err(fail)?;
            let found = holds.get(id.as_str()).map_err(fail)?;
            Ok(found.map(|v| decode(v.value())).transpose()?)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn release_hold(&self, id: &HoldId) -> Result<Hold, InventoryError> {
        let id = id.clone();
        self.write(move |txn| -> Result<Hold, WrapInventory> {
            let mut holds = txn.open_table(HOLDS).map_err(fail)?;
            let mut hold: Hold = match holds.get(id.as_str()).map_err(fail)? {
                Some(v) => decode(v.value())?,
                None => return Err(WrapInventory(InventoryError::HoldNotFound)),
            };
            if hold.status != HoldStatus::Active {
                return Err(WrapInventory(InventoryError::HoldNotActive));
            }
            free_units(txn, &hold)?;
            hold.status = HoldStatus::Released;
            holds
                .insert(hold.id.as_str(), encode(&hold).as_slice())
                .map_err(fail)?;
            Ok(hold)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn check_out_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
    ) -> Result<Hold, InventoryError> {
        let id = id.clone();
        self.write(move |txn| -> Result<Hold, WrapInventory> {
            let mut holds = txn.open_table(HOLDS).map_err(fail)?;
            let mut hold: Hold = match holds.get(id.as_str()).map_err(fail)? {
                Some(v) => decode(v.value())?,
                None => return Err(WrapInventory(InventoryError::HoldNotFound)),
            };
            match hold.status {
                HoldStatus::CheckedOut => return Ok(hold),
                HoldStatus::Released => return Err(WrapInventory(InventoryError::HoldNotActive)),
                HoldStatus::Active if !hold.is_live(now) => {
                    return Err(WrapInventory(InventoryError::HoldExpired));
                }
                HoldStatus::Active => {}
            }
            hold.status = HoldStatus::CheckedOut;
            holds
                .insert(hold.id.as_str(), encode(&hold).as_slice())
                .map_err(fail)?;
            Ok(hold)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn sell_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), WrapInventory> {
            claim_units(txn, &hold, UnitState::Sold, now)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn free_hold_units(&self, hold: &Hold) -> Result<(), InventoryError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), WrapInventory> { Ok(free_units(txn, &hold)?) })
            .await
            .map_err(|w| w.0)
    }

    async fn live_units(
        &self,
        event: &EventId,
        blocks: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitRecord>, InventoryError> {
        let event = event.clone();
        let blocks = blocks.to_vec();
        self.run(move |db| -> Result<Vec<UnitRecord>, WrapInventory> {
            let txn = db.begin_read().map_err(fail)?;
            let units = txn.open_table(UNITS).map_err(fail)?;
            let mut out = Vec::new();
            for block in &blocks {
                // Seats are `block-…`, places `block#…`: '.' and '$' are the next characters up.
                for (sep, end) in [('-', '.'), ('#', '$')] {
                    let from = format!("{event}/{block}{sep}");
                    let to = format!("{event}/{block}{end}");
                    for entry in units.range(from.as_str()..to.as_str()).map_err(fail)? {
                        let (_, bytes) = entry.map_err(fail)?;
                        let record: UnitRecord = decode(bytes.value())?;
                        if record.is_live(now) {
                            out.push(record);
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|w| w.0)
    }
}
