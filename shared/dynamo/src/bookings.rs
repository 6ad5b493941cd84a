//! Bookings, the transactional outbox and idempotency keys in DynamoDB (bookings table,
//! `pk`/`sk`, TTL on `ttl`):
//! - booking: `BOOKING#<id>` / `BOOKING`, with `data` (JSON) and `version`; `buyer` and
//!   `buyer_sk` feed the `by_buyer` GSI, `event_id` the `by_event` GSI.
//!   While the booking is pending or cancelling it also carries `unsettled` =
//!   `UNSETTLED#<shard>` and `unsettled_sk` = `<updated ms>#<id>`, feeding the sparse
//!   `unsettled` GSI the sweeper reads. The shard is the id's first hex digit: every saga step
//!   rewrites these keys, and 16 partitions keep an on-sale's rate of them under one GSI
//!   partition's write limit.
//! - outbox event: see [`crate::outbox`]. Written in the same transaction as the booking
//!   change it reports; the stream relay publishes it and marks it delivered.
//! - idempotency key: `IDEM#<key>` / `IDEM`, with `fingerprint`, `response`, `lease_until`,
//!   `expires_at` (epoch ms) and `ttl`.

use crate::outbox::{outbox_items, outbox_pk, outbox_put};
use crate::{Item, Outcome, describe, get_n, get_s, n, s, transact};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use stagepass_domain::{Booking, BookingId, EventId, EventStatus, IntegrationEvent, UserId};
use stagepass_domain::{
    BookingStore, BookingStoreError, Claim, IdempotencyStore, InfraError, Lease, SavedResponse,
};

/// Shards of the `unsettled` index: one per hex digit a booking id starts with.
const UNSETTLED_SHARDS: &str = "0123456789abcdef";

fn unsettled_sk(b: &Booking) -> String {
    format!("{:015}#{}", b.updated_at.timestamp_millis(), b.id)
}

#[derive(Clone)]
pub struct DynamoBookings {
    pub(crate) client: Client,
    pub(crate) table: String,
    /// The events table, for writes conditional on a booking's event (see
    /// [`BookingStore::update_unless_event_cancelled`]); only the functions making those
    /// are given it.
    events_table: Option<String>,
}

fn unavailable(e: impl Into<String>) -> BookingStoreError {
    BookingStoreError::Unavailable(e.into())
}

fn booking_pk(id: &BookingId) -> String {
    format!("BOOKING#{id}")
}

fn decode_booking(item: &Item) -> Result<Booking, BookingStoreError> {
    let data = get_s(item, "data").map_err(unavailable)?;
    serde_json::from_str(data).map_err(|e| unavailable(format!("stored booking unreadable: {e}")))
}

impl DynamoBookings {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            events_table: None,
        }
    }

    /// Lets writes check the booking's event (its item in `events_table`) in the same
    /// transaction.
    pub fn with_events_table(mut self, events_table: Option<String>) -> Self {
        self.events_table = events_table;
        self
    }

    /// Saves `booking` at `expected_version` with its outbox events, and with `guard` (a
    /// condition on another item) in the same transaction.
    async fn save(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
        guard: Option<ConditionCheck>,
    ) -> Result<(), BookingStoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.booking_item(booking)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .expect("table and item set");
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        items.extend(outbox_items(&self.table, events));
        let guarded = guard.is_some();
        items.extend(guard.map(|c| TransactWriteItem::builder().condition_check(c).build()));
        match transact(&self.client, items).await.map_err(unavailable)? {
            Outcome::Done => Ok(()),
            // A failed version condition or a write racing ours: both mean reload.
            Outcome::Cancelled(per_item) if per_item.first().is_some_and(|(f, c)| *f || *c) => {
                Err(BookingStoreError::VersionConflict)
            }
            Outcome::Cancelled(per_item) if guarded && per_item.last().is_some_and(|r| r.0) => {
                Err(BookingStoreError::EventCancelled)
            }
            Outcome::Cancelled(per_item) => Err(unavailable(format!(
                "booking update cancelled by another of its items: {per_item:?}"
            ))),
        }
    }

    fn booking_put(
        &self,
        b: &Booking,
    ) -> aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.booking_item(b)))
    }

    fn booking_item(&self, b: &Booking) -> Item {
        let mut item = Item::from([
            ("pk".into(), s(booking_pk(&b.id))),
            ("sk".into(), s("BOOKING")),
            (
                "data".into(),
                s(serde_json::to_string(b).expect("bookings serialise")),
            ),
            ("version".into(), n(b.version)),
            ("buyer".into(), s(b.buyer.as_str())),
            (
                "buyer_sk".into(),
                s(format!("{:015}#{}", b.created_at.timestamp_millis(), b.id)),
            ),
            ("event_id".into(), s(b.event_id.as_str())),
        ]);
        // A put replaces the whole item, so a settled booking drops out of the index.
        if b.status.is_unsettled() {
            let shard = &b.id.as_str()[..1];
            item.insert("unsettled".into(), s(format!("UNSETTLED#{shard}")));
            item.insert("unsettled_sk".into(), s(unsettled_sk(b)));
        }
        item
    }

    /// Items of `index` whose `key` is `value`, in sort key order (or its reverse), at most
    /// `limit`; with `above`, only those whose sort key attribute is greater than its value.
    async fn query_all(
        &self,
        index: &str,
        key: &str,
        value: &str,
        above: Option<(&str, String)>,
        forward: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, BookingStoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .expression_attribute_names("#k", key)
                .expression_attribute_values(":v", s(value));
            let query = match &above {
                Some((sort_key, after)) => query
                    .key_condition_expression("#k = :v AND #sk > :after")
                    .expression_attribute_names("#sk", *sort_key)
                    .expression_attribute_values(":after", s(after)),
                None => query.key_condition_expression("#k = :v"),
            };
            let page = query
                .scan_index_forward(forward)
                .set_limit(limit.map(|l| (l - out.len()).min(1000) as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable(describe(e.into_service_error())))?;
            out.extend(page.items().iter().cloned());
            if limit.is_some_and(|l| out.len() >= l) {
                out.truncate(limit.unwrap_or(usize::MAX));
                return Ok(out);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl BookingStore for DynamoBookings {
    async fn create(&self, booking: &Booking) -> Result<(), BookingStoreError> {
        let result = self
            .booking_put(booking)
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                let stored = self
                    .get(&booking.id)
                    .await?
                    .ok_or_else(|| unavailable("booking condition failed but none is stored"))?;
                Err(BookingStoreError::Exists(Box::new(stored)))
            }
            Err(e) => Err(unavailable(describe(e.into_service_error()))),
        }
    }

    async fn get(&self, id: &BookingId) -> Result<Option<Booking>, BookingStoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(booking_pk(id)))
            .key("sk", s("BOOKING"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        out.item.as_ref().map(decode_booking).transpose()
    }

    async fn update(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError> {
        self.save(booking, expected_version, events, None).await
    }

    async fn update_unless_event_cancelled(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError> {
        let events_table = self.events_table.as_deref().ok_or_else(|| {
            unavailable("no events table given (EVENTS_TABLE): cannot check the booking's event")
        })?;
        // A missing status reads as not cancelled, as a missing event does.
        let check = ConditionCheck::builder()
            .table_name(events_table)
            .key("pk", s(booking.event_id.as_str()))
            .condition_expression("NOT #status IN (:cancelling, :cancelled)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":cancelling", s(EventStatus::Cancelling.as_str()))
            .expression_attribute_values(":cancelled", s(EventStatus::Cancelled.as_str()))
            .build()
            .expect("table, key and condition set");
        self.save(booking, expected_version, events, Some(check))
            .await
    }

    async fn for_buyer(
        &self,
        buyer: &UserId,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        let items = self
            .query_all(
                "by_buyer",
                "buyer",
                buyer.as_str(),
                None,
                false,
                Some(limit),
            )
            .await?;
        items.iter().map(decode_booking).collect()
    }

    async fn unsettled(
        &self,
        before: DateTime<Utc>,
        after: Option<&Booking>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        // `{before ms}` sorts above every key of an earlier change; BETWEEN is inclusive, and
        // `after` itself is dropped below.
        let to = format!("{:015}", before.timestamp_millis());
        let from = after.map(unsettled_sk);
        if from.as_ref().is_some_and(|f| *f >= to) {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for shard in UNSETTLED_SHARDS.chars() {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("unsettled")
                .expression_attribute_values(":shard", s(format!("UNSETTLED#{shard}")))
                .expression_attribute_values(":to", s(&to))
                .limit(limit.clamp(1, 1000) as i32 + 1);
            let query = match &from {
                Some(from) => query
                    .key_condition_expression(
                        "unsettled = :shard AND unsettled_sk BETWEEN :from AND :to",
                    )
                    .expression_attribute_values(":from", s(from)),
                None => query.key_condition_expression("unsettled = :shard AND unsettled_sk < :to"),
            };
            let page = query
                .send()
                .await
                .map_err(|e| unavailable(describe(e.into_service_error())))?;
            for item in page.items() {
                let sk = get_s(item, "unsettled_sk").map_err(unavailable)?;
                if from.as_deref() != Some(sk) {
                    found.push((sk.to_string(), decode_booking(item)?));
                }
            }
        }
        // Each shard gave its oldest `limit`: the oldest `limit` of all are among them.
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found.into_iter().take(limit).map(|(_, b)| b).collect())
    }

    async fn for_event(
        &self,
        event: &EventId,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        // The index sorts an event's bookings by `pk`, so a page starts above the last one's;
        // every booking's `pk` sorts above the bare prefix.
        let after = after.map(booking_pk).unwrap_or_else(|| "BOOKING#".into());
        let items = self
            .query_all(
                "by_event",
                "event_id",
                event.as_str(),
                Some(("pk", after)),
                true,
                Some(limit),
            )
            .await?;
        items.iter().map(decode_booking).collect()
    }

    async fn record_events(&self, events: &[IntegrationEvent]) -> Result<(), BookingStoreError> {
        for (n, e) in events.iter().enumerate() {
            let put = outbox_put(&self.table, e, n);
            // An id already recorded, pending or delivered, is this same fact: keep one.
            match self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(put.item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
            {
                Ok(_) => {}
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {}
                Err(e) => return Err(unavailable(describe(e.into_service_error()))),
            }
        }
        Ok(())
    }

    async fn undelivered(&self, limit: usize) -> Result<Vec<IntegrationEvent>, BookingStoreError> {
        let items = self
            .query_all("outbox", "outbox", "pending", None, true, Some(limit))
            .await?;
        items
            .iter()
            .map(|i| {
                let data = get_s(i, "data").map_err(unavailable)?;
                serde_json::from_str(data)
                    .map_err(|e| unavailable(format!("stored event unreadable: {e}")))
            })
            .collect()
    }

    async fn delivered(&self, ids: &[String]) -> Result<(), BookingStoreError> {
        for id in ids {
            // Kept without its data and out of the index: the id is remembered until TTL.
            match self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(outbox_pk(id)))
                .key("sk", s("OUTBOX"))
                .update_expression("REMOVE outbox, outbox_sk, #data SET delivered = :yes")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":yes", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
                .send()
                .await
            {
                Ok(_) => {}
                // Gone already (TTL): nothing left to mark.
                Err(SdkError::ServiceError(e))
                    if matches!(
                        e.err(),
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(_)
                    ) => {}
                Err(e) => return Err(unavailable(describe(e.into_service_error()))),
            }
        }
        Ok(())
    }
}

fn infra(e: impl Into<String>) -> InfraError {
    InfraError(e.into())
}

#[async_trait]
impl IdempotencyStore for DynamoBookings {
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, InfraError> {
        let pk = format!("IDEM#{key}");
        for _ in 0..5 {
            // A free or expired key: a new use of it begins now.
            let lease = Lease::new(now);
            let fresh = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(&pk))
                .item("sk", s("IDEM"))
                .item("fingerprint", s(fingerprint))
                .item("lease_until", n(lease_until.timestamp_millis()))
                .item("expires_at", n(expires_at.timestamp_millis()))
                .item("ttl", n(expires_at.timestamp()))
                .item("token", s(&lease.token))
                .item("since", n(now.timestamp_millis()))
                .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .send()
                .await
                .map_err(|e| e.into_service_error().into());
            match fresh {
                Ok(_) => return Ok(Claim::Started(lease)),
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(infra(describe(e))),
            }
            // An unanswered claim of the same request whose lease ran out: take it over,
            // keeping when this use of the key began.
            let lease = Lease::new(now);
            let takeover = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s("IDEM"))
                .update_expression(
                    "SET lease_until = :lease, #token = :token, since = if_not_exists(since, :now)",
                )
                .condition_expression(
                    "expires_at > :now AND attribute_not_exists(#r) AND lease_until <= :now \
                     AND fingerprint = :fp",
                )
                .expression_attribute_names("#r", "response")
                .expression_attribute_names("#token", "token")
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .expression_attribute_values(":lease", n(lease_until.timestamp_millis()))
                .expression_attribute_values(":token", s(&lease.token))
                .expression_attribute_values(":fp", s(fingerprint))
                .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
                .send()
                .await
                .map_err(|e| e.into_service_error().into());
            match takeover {
                Ok(out) => {
                    let item = out.attributes.unwrap_or_default();
                    let since = get_n(&item, "since").map_err(infra)?;
                    let since = DateTime::from_timestamp_millis(since).unwrap_or(now);
                    return Ok(Claim::Started(Lease { since, ..lease }));
                }
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(infra(describe(e))),
            }
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s("IDEM"))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| infra(describe(e.into_service_error())))?;
            // Gone since (abandoned or expired): claim again.
            let Some(item) = out.item else { continue };
            if get_n(&item, "expires_at").map_err(infra)? <= now.timestamp_millis() {
                continue;
            }
            if get_s(&item, "fingerprint").map_err(infra)? != fingerprint {
                return Ok(Claim::Mismatch);
            }
            if let Ok(saved) = get_s(&item, "response") {
                let saved: SavedResponse = serde_json::from_str(saved)
                    .map_err(|e| infra(format!("saved response unreadable: {e}")))?;
                return Ok(Claim::Done(saved));
            }
            if get_n(&item, "lease_until").map_err(infra)? > now.timestamp_millis() {
                return Ok(Claim::InFlight);
            }
        }
        Err(infra("idempotency key kept changing"))
    }

    async fn complete(
        &self,
        key: &str,
        token: &str,
        response: &SavedResponse,
    ) -> Result<bool, InfraError> {
        let saved = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("IDEM#{key}")))
            .key("sk", s("IDEM"))
            .update_expression("SET #r = :r")
            // Only the attempt still holding the key answers it.
            .condition_expression("#token = :token AND attribute_not_exists(#r)")
            .expression_attribute_names("#r", "response")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":token", s(token))
            .expression_attribute_values(
                ":r",
                s(serde_json::to_string(response).expect("responses serialise")),
            )
            .send()
            .await
            .map_err(|e| e.into_service_error().into());
        match saved {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(infra(describe(e))),
        }
    }

    async fn abandon(&self, key: &str, token: &str) -> Result<(), InfraError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("IDEM#{key}")))
            .key("sk", s("IDEM"))
            .condition_expression("#token = :token AND attribute_not_exists(#r)")
            .expression_attribute_names("#r", "response")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":token", s(token))
            .send()
            .await
            .map_err(|e| e.into_service_error().into());
        match deleted {
            // Answered, or another attempt holds it now: it stays.
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(infra(describe(e))),
        }
    }
}

fn is_condition_failed(e: &aws_sdk_dynamodb::Error) -> bool {
    matches!(
        e,
        aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_)
    )
}

/// The integration event in a stream record's new image, if the item is in the outbox (the
/// relay reads the bookings table's stream, so it needs this table's item layout).
pub fn outbox_event(image: &serde_dynamo::Item) -> Option<Result<IntegrationEvent, String>> {
    use serde_dynamo::AttributeValue;
    let text = |name: &str| match image.get(name) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    };
    let pk = text("pk")?;
    // A delivered event's item stays (without `outbox`) to remember its id: not news.
    if !pk.starts_with("OUTBOX#") || text("outbox") != Some("pending") {
        return None;
    }
    Some(
        text("data")
            .ok_or_else(|| format!("outbox item {pk} has no data"))
            .and_then(|d| serde_json::from_str(d).map_err(|e| e.to_string())),
    )
}
