//! The simulated payment provider's ledger in the embedded store: one entry per order,
//! changed by compare-and-set inside a redb write transaction.

use crate::{EmbeddedStore, StoreFailure, decode, encode, fail};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use stagepass_domain::InfraError;
use stagepass_domain::bookings::payments::{LedgerEntry, PaymentLedger};

/// Order key → versioned entry JSON.
const LEDGER: TableDefinition<&str, &[u8]> = TableDefinition::new("simulated_payments");

pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<(), String> {
    txn.open_table(LEDGER).map_err(fail)?;
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Stored {
    version: u64,
    entry: LedgerEntry,
}

#[async_trait]
impl PaymentLedger for EmbeddedStore {
    async fn entry(&self, key: &str) -> Result<Option<(LedgerEntry, u64)>, InfraError> {
        let key = key.to_string();
        self.run(move |db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let table = txn.open_table(LEDGER).map_err(InfraError::store)?;
            let stored = table.get(key.as_str()).map_err(InfraError::store)?;
            let stored = stored.map(|v| decode::<Stored>(v.value())).transpose();
            Ok(stored
                .map_err(InfraError::store)?
                .map(|s| (s.entry, s.version)))
        })
        .await
    }

    async fn put(
        &self,
        key: &str,
        entry: &LedgerEntry,
        version: Option<u64>,
    ) -> Result<bool, InfraError> {
        let (key, entry) = (key.to_string(), entry.clone());
        self.write(move |txn| -> Result<bool, InfraError> {
            let mut table = txn.open_table(LEDGER).map_err(InfraError::store)?;
            let current = match table.get(key.as_str()).map_err(InfraError::store)? {
                Some(v) => Some(
                    decode::<Stored>(v.value())
                        .map_err(InfraError::store)?
                        .version,
                ),
                None => None,
            };
            if current != version {
                return Ok(false);
            }
            let stored = Stored {
                version: version.map_or(1, |v| v + 1),
                entry,
            };
            table
                .insert(key.as_str(), encode(&stored).as_slice())
                .map_err(InfraError::store)?;
            Ok(true)
        })
        .await
    }

    async fn entries(&self) -> Result<Vec<(String, LedgerEntry)>, InfraError> {
        self.run(|db| -> Result<_, InfraError> {
            let txn = db.begin_read().map_err(InfraError::store)?;
            let table = txn.open_table(LEDGER).map_err(InfraError::store)?;
            let mut out = Vec::new();
            for row in table.iter().map_err(InfraError::store)? {
                let (key, value) = row.map_err(InfraError::store)?;
                let stored: Stored = decode(value.value()).map_err(InfraError::store)?;
                out.push((key.value().to_string(), stored.entry));
            }
            Ok(out)
        })
        .await
    }
}
