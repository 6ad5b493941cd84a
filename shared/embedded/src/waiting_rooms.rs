//! Waiting rooms in the embedded store: rooms by event, entries by (event, fan), and the
//! order as keys `<event>\u{0}<order key>` (one ordered table: redb has no partitions, so
//! nothing to shard). A join writes its entry and its key in one transaction.

use crate::{EmbeddedStore, StoreFailure, decode, encode};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use stagepass_domain::InfraError;
use stagepass_domain::ids::EventId;
use stagepass_domain::queue::{Entry, OrderKey, Progress, Room, RoomConfig, WaitingRooms};

/// Event id → [`Stored`] JSON.
const ROOMS: TableDefinition<&str, &[u8]> = TableDefinition::new("waiting_rooms");
/// `<event>\0<fan>` → [`Entry`] JSON.
const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("queue_entries");
/// `<event>\0<order key>` → nothing: the queue's order.
const ORDER: TableDefinition<&str, ()> = TableDefinition::new("queue_order");

pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<(), String> {
    txn.open_table(ROOMS).map_err(crate::fail)?;
    txn.open_table(ENTRIES).map_err(crate::fail)?;
    txn.open_table(ORDER).map_err(crate::fail)?;
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Stored {
    config: RoomConfig,
    #[serde(default)]
    progress: Progress,
    tick_until: Option<DateTime<Utc>>,
}

fn joined(event: &EventId, rest: &str) -> String {
    format!("{event}\u{0}{rest}")
}

fn read_room(txn: &WriteTransaction, event: &EventId) -> Result<Option<Stored>, InfraError> {
    let rooms = txn.open_table(ROOMS).map_err(InfraError::store)?;
    let stored = rooms.get(event.as_str()).map_err(InfraError::store)?;
    stored
        .map(|v| decode(v.value()).map_err(InfraError::store))
        .transpose()
}

fn write_room(txn: &WriteTransaction, event: &EventId, stored: &Stored) -> Result<(), InfraError> {
    let mut rooms = txn.open_table(ROOMS).map_err(InfraError::store)?;
    rooms
        .insert(event.as_str(), encode(stored).as_slice())
        .map_err(InfraError::store)?;
    Ok(())
}

fn room_of(event: &EventId, stored: Stored) -> Room {
    Room {
        event_id: event.clone(),
        config: stored.config,
        progress: stored.progress,
    }
}

#[async_trait]
impl WaitingRooms for EmbeddedStore {
    async fn room(&self, event: &EventId) -> Result<Option<Room>, InfraError> {
        let event = event.clone();
        self.run(move |db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let rooms = txn.open_table(ROOMS).map_err(InfraError::store)?;
            let Some(v) = rooms.get(event.as_str()).map_err(InfraError::store)? else {
                return Ok(None);
            };
            let stored: Stored = decode(v.value()).map_err(InfraError::store)?;
            Ok(Some(room_of(&event, stored)))
        })
        .await
    }

    async fn configure(&self, event: &EventId, config: &RoomConfig) -> Result<(), InfraError> {
        let (event, config) = (event.clone(), config.clone());
        self.write(move |txn| -> Result<(), InfraError> {
            let stored = match read_room(txn, &event)? {
                Some(s) => Stored { config, ..s },
                None => Stored {
                    config,
                    progress: Progress::default(),
                    tick_until: None,
                },
            };
            write_room(txn, &event, &stored)
        })
        .await
    }

    async fn join(
        &self,
        entry: &Entry,
        _closes_at: DateTime<Utc>,
    ) -> Result<(Entry, bool), InfraError> {
        let entry = entry.clone();
        self.write(move |txn| -> Result<(Entry, bool), InfraError> {
            let mut entries = txn.open_table(ENTRIES).map_err(InfraError::store)?;
            let id = joined(&entry.event_id, &entry.fan);
            if let Some(v) = entries.get(id.as_str()).map_err(InfraError::store)? {
                return Ok((decode(v.value()).map_err(InfraError::store)?, false));
            }
            entries
                .insert(id.as_str(), encode(&entry).as_slice())
                .map_err(InfraError::store)?;
            let mut order = txn.open_table(ORDER).map_err(InfraError::store)?;
            order
                .insert(joined(&entry.event_id, entry.key.as_str()).as_str(), ())
                .map_err(InfraError::store)?;
            Ok((entry, true))
        })
        .await
    }

    async fn entry(&self, event: &EventId, fan: &str) -> Result<Option<Entry>, InfraError> {
        let id = joined(event, fan);
        self.run(move |db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let entries = txn.open_table(ENTRIES).map_err(InfraError::store)?;
            let stored = entries.get(id.as_str()).map_err(InfraError::store)?;
            stored
                .map(|v| decode(v.value()).map_err(InfraError::store))
                .transpose()
        })
        .await
    }

    async fn mark_admitted(
        &self,
        event: &EventId,
        fan: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Entry>, InfraError> {
        let id = joined(event, fan);
        self.write(move |txn| -> Result<Option<Entry>, InfraError> {
            let mut entries = txn.open_table(ENTRIES).map_err(InfraError::store)?;
            let stored = entries.get(id.as_str()).map_err(InfraError::store)?;
            let Some(mut entry) = stored
                .map(|v| decode::<Entry>(v.value()).map_err(InfraError::store))
                .transpose()?
            else {
                return Ok(None);
            };
            if entry.admitted_at.is_none() {
                entry.admitted_at = Some(at);
                entries
                    .insert(id.as_str(), encode(&entry).as_slice())
                    .map_err(InfraError::store)?;
            }
            Ok(Some(entry))
        })
        .await
    }

    async fn claim_tick(
        &self,
        event: &EventId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Room>, InfraError> {
        let event = event.clone();
        self.write(move |txn| -> Result<Option<Room>, InfraError> {
            let Some(mut stored) = read_room(txn, &event)? else {
                return Ok(None);
            };
            if stored.tick_until.is_some_and(|u| u > now) {
                return Ok(None);
            }
            stored.tick_until = Some(until);
            write_room(txn, &event, &stored)?;
            Ok(Some(room_of(&event, stored)))
        })
        .await
    }

    async fn save_progress(
        &self,
        event: &EventId,
        progress: &Progress,
        claim: DateTime<Utc>,
    ) -> Result<bool, InfraError> {
        let (event, progress) = (event.clone(), progress.clone());
        self.write(move |txn| -> Result<bool, InfraError> {
            let Some(mut stored) = read_room(txn, &event)? else {
                return Ok(false);
            };
            // Only under our own claim (see the port).
            if stored.tick_until != Some(claim) {
                return Ok(false);
            }
            stored.progress = progress;
            stored.tick_until = None;
            write_room(txn, &event, &stored)?;
            Ok(true)
        })
        .await
    }

    async fn keys_between(
        &self,
        event: &EventId,
        after: Option<&OrderKey>,
        before: &OrderKey,
        limit: usize,
    ) -> Result<Vec<OrderKey>, InfraError> {
        let prefix = joined(event, "");
        let from = joined(event, after.map_or("", OrderKey::as_str));
        let to = joined(event, before.as_str());
        let after = after.cloned();
        self.run(move |db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let order = txn.open_table(ORDER).map_err(InfraError::store)?;
            let mut keys = Vec::new();
            for row in order
                .range(from.as_str()..to.as_str())
                .map_err(InfraError::store)?
            {
                let (k, _) = row.map_err(InfraError::store)?;
                let key = OrderKey::from_stored(&k.value()[prefix.len()..]);
                if Some(&key) == after.as_ref() {
                    continue;
                }
                keys.push(key);
                if keys.len() == limit {
                    break;
                }
            }
            Ok(keys)
        })
        .await
    }
}
