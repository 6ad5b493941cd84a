//! The simulated payment provider's ledger in the bookings table: one item per order
//! (`pk` = `SIMPAY#<key>`, `sk` = `SIMPAY`), its entry as JSON in `data` and a `version` for
//! compare-and-set, so every function's container sees one ledger.

use crate::{DynamoBookings, Item, describe, get_n, get_s, n, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use stagepass_domain::InfraError;
use stagepass_domain::bookings::payments::{LedgerEntry, PaymentLedger};

const PREFIX: &str = "SIMPAY#";

fn infra(e: impl Into<String>) -> InfraError {
    InfraError(e.into())
}

fn decode(item: &Item) -> Result<LedgerEntry, InfraError> {
    let data = get_s(item, "data").map_err(infra)?;
    serde_json::from_str(data).map_err(|e| infra(format!("ledger entry unreadable: {e}")))
}

#[async_trait]
impl PaymentLedger for DynamoBookings {
    async fn entry(&self, key: &str) -> Result<Option<(LedgerEntry, u64)>, InfraError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("{PREFIX}{key}")))
            .key("sk", s("SIMPAY"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| infra(describe(e.into_service_error())))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let version = get_n(&item, "version").map_err(infra)?;
        Ok(Some((decode(&item)?, version as u64)))
    }

    async fn put(
        &self,
        key: &str,
        entry: &LedgerEntry,
        version: Option<u64>,
    ) -> Result<bool, InfraError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("{PREFIX}{key}")))
            .item("sk", s("SIMPAY"))
            .item(
                "data",
                s(serde_json::to_string(entry).expect("entries serialise")),
            )
            .item("version", n(version.map_or(1, |v| v + 1)));
        let put = match version {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(infra(describe(e.into_service_error()))),
        }
    }

    /// A scan: for tests and the benchmark, never on a request's path.
    async fn entries(&self) -> Result<Vec<(String, LedgerEntry)>, InfraError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :prefix)")
                .expression_attribute_values(":prefix", s(PREFIX))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| infra(describe(e.into_service_error())))?;
            for item in page.items() {
                let key = get_s(item, "pk").map_err(infra)?;
                out.push((key.trim_start_matches(PREFIX).to_string(), decode(item)?));
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }
}
