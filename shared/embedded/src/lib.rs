//! Embedded, durable adapters for `make run`: one redb file under the data folder.
//!
//! redb runs one write transaction at a time, so "check every unit is free, then claim them
//! all" inside a single write transaction is atomic under any number of concurrent requests.
//! Each commit is fsynced (`Durability::Immediate`): data survives a crash or a restart.

use redb::Database;
use std::path::Path;

mod bookings;
mod catalog;
mod identity;
mod inventory;
mod payments;
mod sales;
mod seat_maps;
mod waiting_rooms;
use std::sync::Arc;

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

pub(crate) fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`. Only one process may open a store at a time.
    pub fn open(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(fail)?;
        let db = Database::create(dir.join("stagepass.redb")).map_err(fail)?;
        let txn = db.begin_write().map_err(fail)?;
        catalog::create_tables(&txn)?;
        inventory::create_tables(&txn)?;
        txn.open_table(identity::ACCOUNTS).map_err(fail)?;
        txn.open_table(identity::REFRESH).map_err(fail)?;
        txn.open_table(identity::FAMILIES).map_err(fail)?;
        txn.open_table(identity::RATES).map_err(fail)?;
        txn.open_table(identity::SPENT_LINKS).map_err(fail)?;
        bookings::create_tables(&txn)?;
        payments::create_tables(&txn)?;
        sales::create_tables(&txn)?;
        seat_maps::create_tables(&txn)?;
        waiting_rooms::create_tables(&txn)?;
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
        E: Send + 'static + StoreFailure,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(E::store)?
    }

    /// Runs `work` in one write transaction off the async threads; commits only if it
    /// returns `Ok` (an outcome that must be kept even though it is a refusal goes in `T`).
    pub(crate) async fn write<T, E>(
        &self,
        work: impl FnOnce(&redb::WriteTransaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static + StoreFailure,
    {
        self.run(move |db| {
            let txn = db.begin_write().map_err(E::store)?;
            let out = work(&txn)?;
            txn.commit().map_err(E::store)?;
            Ok(out)
        })
        .await
    }
}

/// A port's error for a failure of the store itself (redb, or the blocking task): every port
/// reports those as its `Unavailable`.
pub(crate) trait StoreFailure {
    fn store(e: impl std::fmt::Display) -> Self;
}

macro_rules! store_failure {
    ($($error:ty => $make:expr),* $(,)?) => {
        $(impl StoreFailure for $error {
            fn store(e: impl std::fmt::Display) -> Self {
                $make(e.to_string())
            }
        })*
    };
}

store_failure! {
    stagepass_domain::CatalogStoreError => stagepass_domain::CatalogStoreError::Unavailable,
    stagepass_domain::InventoryStoreError => stagepass_domain::InventoryStoreError::Unavailable,
    stagepass_domain::IdentityStoreError => stagepass_domain::IdentityStoreError::Unavailable,
    stagepass_domain::BookingStoreError => stagepass_domain::BookingStoreError::Unavailable,
    stagepass_domain::InfraError => stagepass_domain::InfraError,
    // Store work whose only failure is the store's (saga execution records).
    String => String::from,
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(fail)
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("domain types serialise")
}
