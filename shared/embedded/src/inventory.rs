//! The seat inventory in redb: one record per claimed unit, and the holds.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use stagepass_domain::{
    Block, EventId, ExpiredHolds, HeldPlaces, Hold, HoldId, HoldStatus, IntegrationEvent,
    InventoryStoreError, SeatInventory, UnitRecord, UnitState,
};

/// `{event}/{unit}` → unit record JSON.
const UNITS: TableDefinition<&str, &[u8]> = TableDefinition::new("units");
/// Hold id → hold JSON.
const HOLDS: TableDefinition<&str, &[u8]> = TableDefinition::new("holds");
/// `{event}/{holder}` → the holder's [`HeldPlaces`] JSON (the cap on places held).
const HELD: TableDefinition<&str, &[u8]> = TableDefinition::new("held_places");
/// `{expires ms, zero-padded}\0{hold}` → hold id, for active holds: what the local sweep
/// reads to record expiries (deployed, the TTL stream does).
const ACTIVE_BY_EXPIRY: TableDefinition<&str, &str> =
    TableDefinition::new("holds_active_by_expiry");

pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<(), String> {
    txn.open_table(UNITS).map_err(fail)?;
    txn.open_table(HOLDS).map_err(fail)?;
    txn.open_table(HELD).map_err(fail)?;
    txn.open_table(ACTIVE_BY_EXPIRY).map_err(fail)?;
    Ok(())
}

fn expiry_key(hold: &Hold) -> String {
    format!("{:015}\0{}", hold.expires_at.timestamp_millis(), hold.id)
}

/// Stores `hold` in the caller's transaction, keeping the active-by-expiry index in step.
fn save_hold(txn: &redb::WriteTransaction, hold: &Hold) -> Result<(), InventoryStoreError> {
    let mut holds = txn.open_table(HOLDS).map_err(InventoryStoreError::store)?;
    holds
        .insert(hold.id.as_str(), encode(hold).as_slice())
        .map_err(InventoryStoreError::store)?;
    let mut index = txn
        .open_table(ACTIVE_BY_EXPIRY)
        .map_err(InventoryStoreError::store)?;
    let key = expiry_key(hold);
    match hold.status {
        HoldStatus::Active => index.insert(key.as_str(), hold.id.as_str()).map(|_| ()),
        _ => index.remove(key.as_str()).map(|_| ()),
    }
    .map_err(InventoryStoreError::store)
}

fn read_hold(txn: &redb::WriteTransaction, id: &HoldId) -> Result<Hold, InventoryStoreError> {
    let holds = txn.open_table(HOLDS).map_err(InventoryStoreError::store)?;
    match holds.get(id.as_str()).map_err(InventoryStoreError::store)? {
        Some(v) => decode(v.value()).map_err(InventoryStoreError::store),
        None => Err(InventoryStoreError::HoldNotFound),
    }
}

fn outbox(
    txn: &redb::WriteTransaction,
    events: &[IntegrationEvent],
) -> Result<(), InventoryStoreError> {
    crate::bookings::append_events(txn, events).map_err(InventoryStoreError::store)
}

fn held_key(hold: &Hold) -> String {
    format!("{}/{}", hold.event_id, hold.holder)
}

/// Changes the holder's count of places held in the caller's transaction.
fn change_held(
    txn: &redb::WriteTransaction,
    hold: &Hold,
    change: impl FnOnce(HeldPlaces) -> Result<HeldPlaces, InventoryStoreError>,
) -> Result<(), InventoryStoreError> {
    let mut table = txn.open_table(HELD).map_err(InventoryStoreError::store)?;
    let key = held_key(hold);
    let current: HeldPlaces = match table
        .get(key.as_str())
        .map_err(InventoryStoreError::store)?
    {
        Some(v) => decode(v.value()).map_err(InventoryStoreError::store)?,
        None => HeldPlaces::default(),
    };
    let next = change(current)?;
    table
        .insert(key.as_str(), encode(&next).as_slice())
        .map_err(InventoryStoreError::store)?;
    Ok(())
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
) -> Result<(), InventoryStoreError> {
    let mut units = txn.open_table(UNITS).map_err(InventoryStoreError::store)?;
    let mut taken = Vec::new();
    for unit in &hold.units {
        let key = unit_key(&hold.event_id, unit.as_str());
        if let Some(bytes) = units
            .get(key.as_str())
            .map_err(InventoryStoreError::store)?
        {
            let record: UnitRecord = decode(bytes.value()).map_err(InventoryStoreError::store)?;
            let own_sale = state == UnitState::Sold && record.hold_id == hold.id;
            if !own_sale && record.is_live(now) {
                taken.push(unit.clone());
            }
        }
    }
    if !taken.is_empty() {
        return Err(InventoryStoreError::Taken(taken));
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
            .map_err(InventoryStoreError::store)?;
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

/// Moves the expiry of every unit a live hold claims to `until`. The hold is live, so each of
/// its units is still its own: one that is not means the store is inconsistent.
fn keep_units_until(
    txn: &redb::WriteTransaction,
    hold: &Hold,
    until: DateTime<Utc>,
) -> Result<(), InventoryStoreError> {
    let mut units = txn.open_table(UNITS).map_err(InventoryStoreError::store)?;
    for unit in &hold.units {
        let key = unit_key(&hold.event_id, unit.as_str());
        let stored: Option<UnitRecord> = units
            .get(key.as_str())
            .map_err(InventoryStoreError::store)?
            .map(|bytes| decode(bytes.value()))
            .transpose()
            .map_err(InventoryStoreError::store)?;
        let mut record = match stored {
            Some(r) if r.hold_id == hold.id && r.state == UnitState::Held => r,
            _ => {
                return Err(InventoryStoreError::Unavailable(format!(
                    "unit {unit} of live hold {} is not claimed by it",
                    hold.id
                )));
            }
        };
        record.expires_at = until;
        units
            .insert(key.as_str(), encode(&record).as_slice())
            .map_err(InventoryStoreError::store)?;
    }
    Ok(())
}

#[async_trait]
impl SeatInventory for EmbeddedStore {
    async fn place_hold(
        &self,
        hold: &Hold,
        now: DateTime<Utc>,
        limit: u32,
        events: &[IntegrationEvent],
    ) -> Result<(), InventoryStoreError> {
        let hold = hold.clone();
        let events = events.to_vec();
        self.write(move |txn| -> Result<(), InventoryStoreError> {
            match read_hold(txn, &hold.id) {
                Ok(existing) => return Err(InventoryStoreError::HoldExists(Box::new(existing))),
                Err(InventoryStoreError::HoldNotFound) => {}
                Err(e) => return Err(e),
            }
            // Counted in the same transaction: a refusal writes nothing.
            change_held(txn, &hold, |held| {
                held.with(&hold, now, limit)
                    .map_err(|held| InventoryStoreError::LimitReached { held })
            })?;
            claim_units(txn, &hold, UnitState::Held, now)?;
            save_hold(txn, &hold)?;
            outbox(txn, &events)
        })
        .await
    }

    async fn find_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryStoreError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Hold>, InventoryStoreError> {
            let txn = db.begin_read().map_err(InventoryStoreError::store)?;
            let holds = txn.open_table(HOLDS).map_err(InventoryStoreError::store)?;
            let found = holds.get(id.as_str()).map_err(InventoryStoreError::store)?;
            found
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(InventoryStoreError::store)
        })
        .await
    }

    async fn release_hold(
        &self,
        id: &HoldId,
        events: &[IntegrationEvent],
    ) -> Result<Hold, InventoryStoreError> {
        let id = id.clone();
        let events = events.to_vec();
        self.write(move |txn| -> Result<Hold, InventoryStoreError> {
            let mut hold = read_hold(txn, &id)?;
            if hold.status != HoldStatus::Active {
                return Err(InventoryStoreError::HoldNotActive);
            }
            free_units(txn, &hold).map_err(InventoryStoreError::store)?;
            change_held(txn, &hold, |held| Ok(held.without(&hold.id)))?;
            hold.status = HoldStatus::Released;
            save_hold(txn, &hold)?;
            outbox(txn, &events)?;
            Ok(hold)
        })
        .await
    }

    async fn expire_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
        events: &[IntegrationEvent],
    ) -> Result<Option<Hold>, InventoryStoreError> {
        let id = id.clone();
        let events = events.to_vec();
        self.write(move |txn| -> Result<Option<Hold>, InventoryStoreError> {
            let mut hold = read_hold(txn, &id)?;
            if hold.status != HoldStatus::Active || hold.expires_at > now {
                return Ok(None);
            }
            hold.status = HoldStatus::Expired;
            save_hold(txn, &hold)?;
            outbox(txn, &events)?;
            Ok(Some(hold))
        })
        .await
    }

    async fn check_out_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Hold, InventoryStoreError> {
        let id = id.clone();
        self.write(move |txn| -> Result<Hold, InventoryStoreError> {
            let mut hold = read_hold(txn, &id)?;
            match hold.status {
                HoldStatus::CheckedOut => return Ok(hold),
                HoldStatus::Released => return Err(InventoryStoreError::HoldNotActive),
                HoldStatus::Expired => return Err(InventoryStoreError::HoldExpired),
                HoldStatus::Active if !hold.is_live(now) => {
                    return Err(InventoryStoreError::HoldExpired);
                }
                HoldStatus::Active => {}
            }
            hold.status = HoldStatus::CheckedOut;
            save_hold(txn, &hold)?;
            keep_units_until(txn, &hold, until)?;
            change_held(txn, &hold, |held| Ok(held.without(&hold.id)))?;
            Ok(hold)
        })
        .await
    }

    async fn sell_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryStoreError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), InventoryStoreError> {
            claim_units(txn, &hold, UnitState::Sold, now)
        })
        .await
    }

    async fn free_hold_units(&self, hold: &Hold) -> Result<(), InventoryStoreError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), InventoryStoreError> {
            free_units(txn, &hold).map_err(InventoryStoreError::store)
        })
        .await
    }

    async fn live_units(
        &self,
        event: &EventId,
        blocks: &[Block],
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitRecord>, InventoryStoreError> {
        let event = event.clone();
        // One file, no partitions: an area's places are one range like a section's seats.
        let blocks: Vec<String> = blocks.iter().map(|b| b.id.clone()).collect();
        self.run(move |db| -> Result<Vec<UnitRecord>, InventoryStoreError> {
            let txn = db.begin_read().map_err(InventoryStoreError::store)?;
            let units = txn.open_table(UNITS).map_err(InventoryStoreError::store)?;
            let mut out = Vec::new();
            for block in &blocks {
                // Seats are `block-…`, places `block#…`: '.' and '$' are the next characters up.
                for (sep, end) in [('-', '.'), ('#', '$')] {
                    let from = format!("{event}/{block}{sep}");
                    let to = format!("{event}/{block}{end}");
                    for entry in units
                        .range(from.as_str()..to.as_str())
                        .map_err(InventoryStoreError::store)?
                    {
                        let (_, bytes) = entry.map_err(InventoryStoreError::store)?;
                        let record: UnitRecord =
                            decode(bytes.value()).map_err(InventoryStoreError::store)?;
                        if record.is_live(now) {
                            out.push(record);
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl ExpiredHolds for EmbeddedStore {
    async fn expired_holds(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<HoldId>, InventoryStoreError> {
        self.run(move |db| -> Result<Vec<HoldId>, InventoryStoreError> {
            let txn = db.begin_read().map_err(InventoryStoreError::store)?;
            let index = txn
                .open_table(ACTIVE_BY_EXPIRY)
                .map_err(InventoryStoreError::store)?;
            // Keys sort by expiry; everything below "<now + 1 ms>" has expired.
            let to = format!("{:015}", now.timestamp_millis() + 1);
            let mut out = Vec::new();
            for entry in index
                .range(..to.as_str())
                .map_err(InventoryStoreError::store)?
                .take(limit)
            {
                let (_, id) = entry.map_err(InventoryStoreError::store)?;
                let id = HoldId::parse(id.value())
                    .ok_or_else(|| InventoryStoreError::store("bad hold id in expiry index"))?;
                out.push(id);
            }
            Ok(out)
        })
        .await
    }
}
