//! The sales subscriber's tallies in the embedded store: the fact's mark and the tally's
//! addition in one redb write transaction.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use stagepass_domain::InfraError;
use stagepass_domain::ids::EventId;
use stagepass_domain::sales::{SalesChange, SalesCounts, SalesLedger, SalesTally};

/// Event id → tally JSON.
const TALLIES: TableDefinition<&str, &[u8]> = TableDefinition::new("sales_tallies");
/// Integration event id → until when it is remembered (epoch ms). Not swept locally: a
/// developer's store never holds enough to matter.
const COUNTED: TableDefinition<&str, i64> = TableDefinition::new("sales_counted");

pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<(), String> {
    txn.open_table(TALLIES).map_err(fail)?;
    txn.open_table(COUNTED).map_err(fail)?;
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Stored {
    currency: String,
    counts: SalesCounts,
    updated_at: DateTime<Utc>,
}

fn tally_of(event_id: &EventId, stored: Stored) -> SalesTally {
    SalesTally {
        event_id: event_id.clone(),
        currency: stored.currency,
        counts: stored.counts,
        updated_at: stored.updated_at,
    }
}

#[async_trait]
impl SalesLedger for EmbeddedStore {
    async fn count(
        &self,
        fact_id: &str,
        change: &SalesChange,
        remember_until: DateTime<Utc>,
    ) -> Result<bool, InfraError> {
        let (fact_id, change) = (fact_id.to_string(), change.clone());
        self.write(move |txn| -> Result<bool, InfraError> {
            let mut counted = txn.open_table(COUNTED).map_err(InfraError::store)?;
            if counted
                .get(fact_id.as_str())
                .map_err(InfraError::store)?
                .is_some()
            {
                return Ok(false);
            }
            counted
                .insert(fact_id.as_str(), remember_until.timestamp_millis())
                .map_err(InfraError::store)?;
            let mut tallies = txn.open_table(TALLIES).map_err(InfraError::store)?;
            let key = change.event_id.as_str();
            let current = match tallies.get(key).map_err(InfraError::store)? {
                Some(v) => Some(decode::<Stored>(v.value()).map_err(InfraError::store)?),
                None => None,
            };
            let next = match current {
                Some(stored) => tally_of(&change.event_id, stored).with(&change),
                None => SalesTally::first(&change),
            };
            let stored = Stored {
                currency: next.currency,
                counts: next.counts,
                updated_at: next.updated_at,
            };
            tallies
                .insert(key, encode(&stored).as_slice())
                .map_err(InfraError::store)?;
            Ok(true)
        })
        .await
    }

    async fn tally(&self, event: &EventId) -> Result<Option<SalesTally>, InfraError> {
        let event = event.clone();
        self.run(move |db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let table = txn.open_table(TALLIES).map_err(InfraError::store)?;
            let stored = table.get(event.as_str()).map_err(InfraError::store)?;
            let stored = stored.map(|v| decode::<Stored>(v.value())).transpose();
            Ok(stored
                .map_err(InfraError::store)?
                .map(|s| tally_of(&event, s)))
        })
        .await
    }
}
