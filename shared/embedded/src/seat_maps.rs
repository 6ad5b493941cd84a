//! Seat map snapshots in the embedded store: event id → the snapshot and its rebuild claim.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use stagepass_domain::InfraError;
use stagepass_domain::catalog::seat_map::{MapSnapshots, Snapshot};
use stagepass_domain::ids::EventId;

/// Event id → [`Stored`] JSON.
const MAPS: TableDefinition<&str, &[u8]> = TableDefinition::new("seat_maps");

pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<(), String> {
    txn.open_table(MAPS).map_err(fail)?;
    Ok(())
}

#[derive(Serialize, Deserialize, Default)]
struct Stored {
    taken_at: Option<DateTime<Utc>>,
    body: Option<String>,
    etag: Option<String>,
    rebuild_until: Option<DateTime<Utc>>,
}

fn read(txn: &redb::WriteTransaction, event: &str) -> Result<Stored, InfraError> {
    let maps = txn.open_table(MAPS).map_err(InfraError::store)?;
    let stored = maps.get(event).map_err(InfraError::store)?;
    Ok(match stored {
        Some(v) => decode(v.value()).map_err(InfraError::store)?,
        None => Stored::default(),
    })
}

fn write(txn: &redb::WriteTransaction, event: &str, stored: &Stored) -> Result<(), InfraError> {
    let mut maps = txn.open_table(MAPS).map_err(InfraError::store)?;
    maps.insert(event, encode(stored).as_slice())
        .map_err(InfraError::store)?;
    Ok(())
}

#[async_trait]
impl MapSnapshots for EmbeddedStore {
    async fn latest(&self, event: &EventId) -> Result<Option<Snapshot>, InfraError> {
        let event = event.clone();
        self.run(move |db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let maps = txn.open_table(MAPS).map_err(InfraError::store)?;
            let Some(v) = maps.get(event.as_str()).map_err(InfraError::store)? else {
                return Ok(None);
            };
            let stored: Stored = decode(v.value()).map_err(InfraError::store)?;
            Ok(match (stored.taken_at, stored.body, stored.etag) {
                (Some(taken_at), Some(body), Some(etag)) => Some(Snapshot {
                    taken_at,
                    body,
                    etag,
                }),
                _ => None,
            })
        })
        .await
    }

    async fn claim_rebuild(
        &self,
        event: &EventId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, InfraError> {
        let event = event.clone();
        self.write(move |txn| -> Result<bool, InfraError> {
            let mut stored = read(txn, event.as_str())?;
            if stored.rebuild_until.is_some_and(|u| u > now) {
                return Ok(false);
            }
            stored.rebuild_until = Some(until);
            write(txn, event.as_str(), &stored)?;
            Ok(true)
        })
        .await
    }

    async fn store(&self, event: &EventId, snapshot: &Snapshot) -> Result<(), InfraError> {
        let (event, snapshot) = (event.clone(), snapshot.clone());
        self.write(move |txn| -> Result<(), InfraError> {
            let mut stored = read(txn, event.as_str())?;
            // A slow rebuild must not replace a newer map; it gives its claim up all the same.
            if stored.taken_at.is_some_and(|t| t > snapshot.taken_at) {
                stored.rebuild_until = None;
                return write(txn, event.as_str(), &stored);
            }
            let next = Stored {
                taken_at: Some(snapshot.taken_at),
                body: Some(snapshot.body),
                etag: Some(snapshot.etag),
                rebuild_until: None,
            };
            write(txn, event.as_str(), &next)
        })
        .await
    }
}
