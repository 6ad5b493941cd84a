//! Waiting rooms, in the inventory table (the stream's filter passes only `UNIT#` keys, so a
//! join rush invokes no stream consumer):
//! - the room: `ROOM#<event>` / `ROOM`, with `config` and `progress` (JSON) and, while an
//!   admitter ticks it, `tick_until` (epoch ms). Written once per tick, read by polls.
//! - a fan's entry: `QFAN#<event>#<fan>` / `QFAN`, with `data` (JSON) and `admitted_at`
//!   (epoch ms, set once). Its own partition: "one place per fan" is its condition.
//! - the order: `QUEUE#<event>#<shard>` / `<order key>`, one of [`SHARDS`] partitions per
//!   event by a hash of the fan. Written in the same transaction as the entry; admission and
//!   the position count read the shards in key order and merge them.
//!
//! Every item expires a week after the room closes.

use crate::{Outcome, describe, get_n, get_s, n, s, transact};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::InfraError;
use stagepass_domain::ids::EventId;
use stagepass_domain::queue::{Entry, OrderKey, Progress, Room, RoomConfig, WaitingRooms};
use std::collections::HashMap;

/// Partitions the order of one event's queue is spread over. A partition takes 1,000 write
/// units a second and a join writes 2 here (a transaction), so 16 take 8,000 joins a second:
/// 100,000 fans in one minute need 1,667.
pub const SHARDS: u32 = 16;
/// How long a room's items outlive its closing.
const KEPT_AFTER_CLOSE_DAYS: i64 = 7;
/// Tries of a join whose transaction collided with another (the same fan twice at once).
const JOIN_TRIES: usize = 3;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoWaitingRooms {
    client: Client,
    table: String,
}

impl DynamoWaitingRooms {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn unavailable(e: impl Into<String>) -> InfraError {
    InfraError(e.into())
}

fn room_pk(event: &EventId) -> AttributeValue {
    s(format!("ROOM#{event}"))
}

fn fan_pk(event: &EventId, fan: &str) -> AttributeValue {
    s(format!("QFAN#{event}#{fan}"))
}

/// The shard of a fan's key: a stable hash (FNV-1a), so every fan lands in the same one.
fn shard_of(fan: &str) -> u32 {
    let hash = fan.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % u64::from(SHARDS)) as u32
}

fn shard_pk(event: &EventId, shard: u32) -> String {
    format!("QUEUE#{event}#{shard}")
}

fn json<T: serde::Serialize>(value: &T) -> AttributeValue {
    s(serde_json::to_string(value).expect("serialisable"))
}

fn parse<T: serde::de::DeserializeOwned>(item: &Item, key: &str) -> Result<T, InfraError> {
    serde_json::from_str(get_s(item, key).map_err(unavailable)?)
        .map_err(|e| unavailable(format!("stored {key} unreadable: {e}")))
}

fn entry_of(item: &Item) -> Result<Entry, InfraError> {
    let mut entry: Entry = parse(item, "data")?;
    entry.admitted_at = match item.get("admitted_at") {
        Some(_) => Some(
            DateTime::from_timestamp_millis(get_n(item, "admitted_at").map_err(unavailable)?)
                .ok_or_else(|| unavailable("admitted_at out of range"))?,
        ),
        None => None,
    };
    Ok(entry)
}

fn room_of(event: &EventId, item: &Item) -> Result<Option<Room>, InfraError> {
    if !item.contains_key("config") {
        return Ok(None);
    }
    Ok(Some(Room {
        event_id: event.clone(),
        config: parse(item, "config")?,
        progress: match item.get("progress") {
            Some(_) => parse(item, "progress")?,
            None => Progress::default(),
        },
    }))
}

impl DynamoWaitingRooms {
    /// One shard's keys in `(after, before)`, in order, up to `limit`.
    async fn shard_keys(
        client: Client,
        table: String,
        pk: String,
        after: Option<OrderKey>,
        before: OrderKey,
        limit: usize,
    ) -> Result<Vec<OrderKey>, InfraError> {
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut query = client
                .query()
                .table_name(&table)
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":before", s(before.as_str()))
                .projection_expression("sk")
                // A moment stale is fine: keys younger than SETTLE are not read at all.
                .consistent_read(false)
                .limit((limit - keys.len() + 1).min(10_000) as i32)
                .set_exclusive_start_key(start.take());
            query = match &after {
                // BETWEEN is inclusive: `after` itself is dropped below. `before` is never a
                // stored key (those have a tiebreak after the time).
                Some(a) => query
                    .key_condition_expression("pk = :pk AND sk BETWEEN :after AND :before")
                    .expression_attribute_values(":after", s(a.as_str())),
                None => query.key_condition_expression("pk = :pk AND sk < :before"),
            };
            let out = query
                .send()
                .await
                .map_err(|e| unavailable(describe(e.into_service_error())))?;
            for item in out.items() {
                let key = OrderKey::from_stored(get_s(item, "sk").map_err(unavailable)?);
                if Some(&key) != after.as_ref() && key < before {
                    keys.push(key);
                }
            }
            match out.last_evaluated_key {
                Some(k) if keys.len() < limit => start = Some(k),
                _ => break,
            }
        }
        keys.truncate(limit);
        Ok(keys)
    }
}

#[async_trait]
impl WaitingRooms for DynamoWaitingRooms {
    async fn room(&self, event: &EventId) -> Result<Option<Room>, InfraError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", room_pk(event))
            .key("sk", s("ROOM"))
            // Polls read the last tick's progress; a tick reads the room through its claim.
            .consistent_read(false)
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        match out.item {
            Some(item) => room_of(event, &item),
            None => Ok(None),
        }
    }

    async fn configure(&self, event: &EventId, config: &RoomConfig) -> Result<(), InfraError> {
        let ttl = (config.closes_at + Duration::days(KEPT_AFTER_CLOSE_DAYS)).timestamp();
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", room_pk(event))
            .key("sk", s("ROOM"))
            .update_expression("SET config = :config, #ttl = :ttl")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":config", json(config))
            .expression_attribute_values(":ttl", n(ttl))
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        Ok(())
    }

    async fn join(
        &self,
        entry: &Entry,
        closes_at: DateTime<Utc>,
    ) -> Result<(Entry, bool), InfraError> {
        let ttl = n((closes_at + Duration::days(KEPT_AFTER_CLOSE_DAYS)).timestamp());
        for _ in 0..JOIN_TRIES {
            let fan = Put::builder()
                .table_name(&self.table)
                .item("pk", fan_pk(&entry.event_id, &entry.fan))
                .item("sk", s("QFAN"))
                // A first admission lives in `admitted_at` (set once); `entry_of` reads it.
                .item("data", json(entry))
                .item("ttl", ttl.clone())
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| unavailable(e.to_string()))?;
            let key = Put::builder()
                .table_name(&self.table)
                .item("pk", s(shard_pk(&entry.event_id, shard_of(&entry.fan))))
                .item("sk", s(entry.key.as_str()))
                .item("ttl", ttl.clone())
                .build()
                .map_err(|e| unavailable(e.to_string()))?;
            let items = vec![
                TransactWriteItem::builder().put(fan).build(),
                TransactWriteItem::builder().put(key).build(),
            ];
            match transact(&self.client, items).await.map_err(unavailable)? {
                Outcome::Done => return Ok((entry.clone(), true)),
                Outcome::Cancelled(reasons) if reasons.first().is_some_and(|r| r.0) => {
                    let existing = self
                        .entry_read(&entry.event_id, &entry.fan, true)
                        .await?
                        .ok_or_else(|| unavailable("entry refused but not found"))?;
                    return Ok((existing, false));
                }
                // Collided with the same fan's other join: try again, and one of them wins.
                Outcome::Cancelled(_) => continue,
            }
        }
        Err(unavailable("join kept colliding with another join"))
    }

    async fn entry(&self, event: &EventId, fan: &str) -> Result<Option<Entry>, InfraError> {
        self.entry_read(event, fan, false).await
    }

    async fn mark_admitted(
        &self,
        event: &EventId,
        fan: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Entry>, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", fan_pk(event, fan))
            .key("sk", s("QFAN"))
            .update_expression("SET admitted_at = if_not_exists(admitted_at, :at)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", n(at.timestamp_millis()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                Ok(Some(entry_of(out.attributes().ok_or_else(|| {
                    unavailable("update returned no entry")
                })?)?))
            }
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(None)
            }
            Err(e) => Err(unavailable(describe(e.into_service_error()))),
        }
    }

    async fn claim_tick(
        &self,
        event: &EventId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Room>, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", room_pk(event))
            .key("sk", s("ROOM"))
            .update_expression("SET tick_until = :until")
            .condition_expression(
                "attribute_exists(config) AND (attribute_not_exists(tick_until) OR tick_until <= :now)",
            )
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            // The room as it stands under the claim: the progress the last tick saved.
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => room_of(
                event,
                out.attributes()
                    .ok_or_else(|| unavailable("update returned no room"))?,
            ),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(None)
            }
            Err(e) => Err(unavailable(describe(e.into_service_error()))),
        }
    }

    async fn save_progress(
        &self,
        event: &EventId,
        progress: &Progress,
        claim: DateTime<Utc>,
    ) -> Result<bool, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", room_pk(event))
            .key("sk", s("ROOM"))
            .update_expression("SET progress = :progress REMOVE tick_until")
            // Only under our own claim: one that lapsed may have been taken, and the other
            // admitter's progress must not be replaced by an older one.
            .condition_expression("tick_until = :claim")
            .expression_attribute_values(":progress", json(progress))
            .expression_attribute_values(":claim", n(claim.timestamp_millis()))
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

    async fn keys_between(
        &self,
        event: &EventId,
        after: Option<&OrderKey>,
        before: &OrderKey,
        limit: usize,
    ) -> Result<Vec<OrderKey>, InfraError> {
        if limit == 0 {
            return Ok(vec![]);
        }
        // Each shard's first `limit` keys hold the merged first `limit`.
        let mut reads = tokio::task::JoinSet::new();
        for shard in 0..SHARDS {
            reads.spawn(Self::shard_keys(
                self.client.clone(),
                self.table.clone(),
                shard_pk(event, shard),
                after.cloned(),
                before.clone(),
                limit,
            ));
        }
        let mut keys = Vec::new();
        while let Some(read) = reads.join_next().await {
            keys.extend(read.map_err(|e| unavailable(e.to_string()))??);
        }
        keys.sort();
        keys.truncate(limit);
        Ok(keys)
    }
}

impl DynamoWaitingRooms {
    async fn entry_read(
        &self,
        event: &EventId,
        fan: &str,
        consistent: bool,
    ) -> Result<Option<Entry>, InfraError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", fan_pk(event, fan))
            .key("sk", s("QFAN"))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        out.item.as_ref().map(entry_of).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fans_spread_over_every_shard() {
        let mut seen = [0u32; SHARDS as usize];
        for i in 0..16_000 {
            seen[shard_of(&format!("user:fan-{i}")) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
