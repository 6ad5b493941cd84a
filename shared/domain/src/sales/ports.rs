//! Where the sales subscriber keeps its tallies.

use super::models::{SalesChange, SalesTally};
use crate::error::InfraError;
use crate::ids::EventId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait SalesLedger: Send + Sync {
    /// Adds `change` to its event's tally unless the integration event `fact_id` was counted
    /// already, remembering `fact_id` until `remember_until`; the mark and the addition are
    /// one atomic write, so a crash between them cannot count a fact twice or lose it.
    /// `Ok(false)`: already counted, nothing changed. Errors are the store's (retry).
    async fn count(
        &self,
        fact_id: &str,
        change: &SalesChange,
        remember_until: DateTime<Utc>,
    ) -> Result<bool, InfraError>;

    /// The event's tally; none before its first booking event is counted.
    async fn tally(&self, event: &EventId) -> Result<Option<SalesTally>, InfraError>;
}
