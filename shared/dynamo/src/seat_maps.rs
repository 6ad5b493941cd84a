//! Seat map snapshots, in the inventory table: `MAP#<event>` / `MAP`, with `body` (the
//! availability JSON, gzipped: a 200,000-seat map's JSON may pass the 400 KB item limit,
//! gzipped it is tens of kilobytes), `etag`, `taken_at` (epoch ms) and, while a viewer
//! rebuilds it, `rebuild_until` (epoch ms). One item per event, read by every view that the
//! function's own memory cannot answer: a few read units, against ~900 for the units of a
//! sold-out 50,000-seat stadium.

use crate::{describe, get_n, get_s, n, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::EventId;
use stagepass_domain::InfraError;
use stagepass_domain::catalog::seat_map::{MapSnapshots, Snapshot};
use std::io::{Read, Write};

/// A snapshot item outlives its last rebuild by a day (an event nobody views any more).
const SNAPSHOT_TTL_DAYS: i64 = 1;

#[derive(Clone)]
pub struct DynamoMapSnapshots {
    client: Client,
    table: String,
}

impl DynamoMapSnapshots {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn pk(event: &EventId) -> AttributeValue {
    s(format!("MAP#{event}"))
}

fn unavailable(e: impl Into<String>) -> InfraError {
    InfraError(e.into())
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(text.as_bytes())
        .expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn gunzip(bytes: &[u8]) -> Result<String, String> {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .map_err(|e| format!("stored seat map unreadable: {e}"))?;
    Ok(out)
}

#[async_trait]
impl MapSnapshots for DynamoMapSnapshots {
    async fn latest(&self, event: &EventId) -> Result<Option<Snapshot>, InfraError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk(event))
            .key("sk", s("MAP"))
            // Half the units of a strong read; a map a moment older is still a map.
            .consistent_read(false)
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        // An item with only a claim: nobody has stored a map yet.
        let Some(body) = item.get("body").and_then(|b| b.as_b().ok()) else {
            return Ok(None);
        };
        let taken_at =
            DateTime::from_timestamp_millis(get_n(&item, "taken_at").map_err(unavailable)?)
                .ok_or_else(|| unavailable("taken_at out of range"))?;
        Ok(Some(Snapshot {
            taken_at,
            body: gunzip(body.as_ref()).map_err(unavailable)?,
            etag: get_s(&item, "etag").map_err(unavailable)?.to_string(),
        }))
    }

    async fn claim_rebuild(
        &self,
        event: &EventId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk(event))
            .key("sk", s("MAP"))
            .update_expression("SET rebuild_until = :until, #ttl = if_not_exists(#ttl, :ttl)")
            .condition_expression("attribute_not_exists(rebuild_until) OR rebuild_until <= :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(
                ":ttl",
                n((now + Duration::days(SNAPSHOT_TTL_DAYS)).timestamp()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(unavailable(describe(e.into_service_error()))),
        }
    }

    async fn store(&self, event: &EventId, snapshot: &Snapshot) -> Result<(), InfraError> {
        let taken = snapshot.taken_at.timestamp_millis();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk(event))
            .item("sk", s("MAP"))
            .item("body", AttributeValue::B(Blob::new(gzip(&snapshot.body))))
            .item("etag", s(snapshot.etag.clone()))
            .item("taken_at", n(taken))
            .item(
                "ttl",
                n((snapshot.taken_at + Duration::days(SNAPSHOT_TTL_DAYS)).timestamp()),
            )
            // A slow rebuild must not replace a newer map. Putting the item without
            // `rebuild_until` gives the claim up.
            .condition_expression("attribute_not_exists(taken_at) OR taken_at <= :taken")
            .expression_attribute_values(":taken", n(taken))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A newer map is there: keep it, and give the claim up all the same.
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", pk(event))
                    .key("sk", s("MAP"))
                    .update_expression("REMOVE rebuild_until")
                    .send()
                    .await
                    .map_err(|e| unavailable(describe(e.into_service_error())))?;
                Ok(())
            }
            Err(e) => Err(unavailable(describe(e.into_service_error()))),
        }
    }
}
