//! The seat inventory in redb: one record per claimed unit, and the holds.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use stagepass_domain::{
    EventId, Hold, HoldId, HoldStatus, InventoryError, SeatInventory, UnitRecord, UnitState,
};

/// `{event}/{unit}` → unit record JSON.
const UNITS: TableDefinition<&str, &[u8]> = TableDefinition::new("units");
/// Hold id → hold JSON.
const HOLDS: TableDefinition<&str, &[u8]> = TableDefinition::new("holds");

pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<(), String> {
    txn.open_table(UNITS).map_err(fail)?;
    txn.open_table(HOLDS).map_err(fail)?;
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
) -> Result<(), InventoryError> {
    let mut units = txn.open_table(UNITS).map_err(InventoryError::store)?;
    let mut taken = Vec::new();
    for unit in &hold.units {
        let key = unit_key(&hold.event_id, unit.as_str());
        if let Some(bytes) = units.get(key.as_str()).map_err(InventoryError::store)? {
            let record: UnitRecord = decode(bytes.value()).map_err(InventoryError::store)?;
            let own_sale = state == UnitState::Sold && record.hold_id == hold.id;
            if !own_sale && record.is_live(now) {
                taken.push(unit.clone());
            }
        }
    }
    if !taken.is_empty() {
        return Err(InventoryError::Taken(taken));
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
            .map_err(InventoryError::store)?;
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

#[async_trait]
impl SeatInventory for EmbeddedStore {
    async fn place_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), InventoryError> {
            let mut holds = txn.open_table(HOLDS).map_err(InventoryError::store)?;
            if let Some(existing) = holds.get(hold.id.as_str()).map_err(InventoryError::store)? {
                let existing: Hold = decode(existing.value()).map_err(InventoryError::store)?;
                return Err(InventoryError::HoldExists(Box::new(existing)));
            }
            claim_units(txn, &hold, UnitState::Held, now)?;
            holds
                .insert(hold.id.as_str(), encode(&hold).as_slice())
                .map_err(InventoryError::store)?;
            Ok(())
        })
        .await
    }

    async fn find_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Hold>, InventoryError> {
            let txn = db.begin_read().map_err(InventoryError::store)?;
            let holds = txn.open_table(HOLDS).map_err(InventoryError::store)?;
            let found = holds.get(id.as_str()).map_err(InventoryError::store)?;
            found
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(InventoryError::store)
        })
        .await
    }

    async fn release_hold(&self, id: &HoldId) -> Result<Hold, InventoryError> {
        let id = id.clone();
        self.write(move |txn| -> Result<Hold, InventoryError> {
            let mut holds = txn.open_table(HOLDS).map_err(InventoryError::store)?;
            let mut hold: Hold = match holds.get(id.as_str()).map_err(InventoryError::store)? {
                Some(v) => decode(v.value()).map_err(InventoryError::store)?,
                None => return Err(InventoryError::HoldNotFound),
            };
            if hold.status != HoldStatus::Active {
                return Err(InventoryError::HoldNotActive);
            }
            free_units(txn, &hold).map_err(InventoryError::store)?;
            hold.status = HoldStatus::Released;
            holds
                .insert(hold.id.as_str(), encode(&hold).as_slice())
                .map_err(InventoryError::store)?;
            Ok(hold)
        })
        .await
    }

    async fn check_out_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
    ) -> Result<Hold, InventoryError> {
        let id = id.clone();
        self.write(move |txn| -> Result<Hold, InventoryError> {
            let mut holds = txn.open_table(HOLDS).map_err(InventoryError::store)?;
            let mut hold: Hold = match holds.get(id.as_str()).map_err(InventoryError::store)? {
                Some(v) => decode(v.value()).map_err(InventoryError::store)?,
                None => return Err(InventoryError::HoldNotFound),
            };
            match hold.status {
                HoldStatus::CheckedOut => return Ok(hold),
                HoldStatus::Released => return Err(InventoryError::HoldNotActive),
                HoldStatus::Active if !hold.is_live(now) => {
                    return Err(InventoryError::HoldExpired);
                }
                HoldStatus::Active => {}
            }
            hold.status = HoldStatus::CheckedOut;
            holds
                .insert(hold.id.as_str(), encode(&hold).as_slice())
                .map_err(InventoryError::store)?;
            Ok(hold)
        })
        .await
    }

    async fn sell_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), InventoryError> {
            claim_units(txn, &hold, UnitState::Sold, now)
        })
        .await
    }

    async fn free_hold_units(&self, hold: &Hold) -> Result<(), InventoryError> {
        let hold = hold.clone();
        self.write(move |txn| -> Result<(), InventoryError> {
            free_units(txn, &hold).map_err(InventoryError::store)
        })
        .await
    }

    async fn live_units(
        &self,
        event: &EventId,
        blocks: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitRecord>, InventoryError> {
        let event = event.clone();
        let blocks = blocks.to_vec();
        self.run(move |db| -> Result<Vec<UnitRecord>, InventoryError> {
            let txn = db.begin_read().map_err(InventoryError::store)?;
            let units = txn.open_table(UNITS).map_err(InventoryError::store)?;
            let mut out = Vec::new();
            for block in &blocks {
                // Seats are `block-…`, places `block#…`: '.' and '$' are the next characters up.
                for (sep, end) in [('-', '.'), ('#', '$')] {
                    let from = format!("{event}/{block}{sep}");
                    let to = format!("{event}/{block}{end}");
                    for entry in units
                        .range(from.as_str()..to.as_str())
                        .map_err(InventoryError::store)?
                    {
                        let (_, bytes) = entry.map_err(InventoryError::store)?;
                        let record: UnitRecord =
                            decode(bytes.value()).map_err(InventoryError::store)?;
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
