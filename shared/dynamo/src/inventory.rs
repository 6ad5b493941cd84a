use crate::{Item, Outcome, describe, get_n, get_s, n, s, transact};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::{
    Block, EventId, HeldPlaces, Hold, HoldId, HoldStatus, UnitId, UnitRecord, UnitState,
};
use stagepass_domain::{IntegrationEvent, InventoryStoreError, SeatInventory};
use std::collections::HashMap;

/// Hold records outlive their expiry by a week so a late release or lookup still finds them.
const HOLD_RECORD_GRACE_DAYS: i64 = 7;
/// Transactions that collide with another in flight are retried this many times.
const CONFLICT_RETRIES: u32 = 4;
/// Holds of one holder racing each other on their count are retried this many times.
const HELD_RETRIES: u32 = 30;

#[derive(Clone)]
pub struct DynamoInventory {
    client: Client,
    table: String,
    /// The bookings table, whose outbox gets the hold events; only the functions that place,
    /// release or expire holds are given it.
    outbox: Option<String>,
}

impl DynamoInventory {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            outbox: None,
        }
    }

    /// Lets hold writes put their events in the outbox of `bookings_table`.
    pub fn with_outbox(mut self, bookings_table: Option<String>) -> Self {
        self.outbox = bookings_table;
        self
    }

    /// `events` as outbox items for a transaction. Errors if there are events but no outbox.
    fn outbox_items(
        &self,
        events: &[IntegrationEvent],
    ) -> Result<Vec<TransactWriteItem>, InventoryStoreError> {
        match (&self.outbox, events.is_empty()) {
            (_, true) => Ok(Vec::new()),
            (Some(table), false) => Ok(crate::outbox::outbox_items(table, events)),
            (None, false) => Err(unavailable("no outbox table (BOOKINGS_TABLE) configured")),
        }
    }
}

/// General-admission places per partition key. A partition key takes at most 1,000 write
/// units a second, and a place claimed in a transaction costs 2, so one key sells at most 500
/// places a second: an area's places `1..=1000` share key `…#area#0`, `1001..=2000` key
/// `…#area#1`, and so on. Holds pick places at random, so a rush spreads over every key of
/// the area (a 100,000-place floor: 100 keys, 50,000 places a second). A hold of places under
/// several keys is still one transaction: all or nothing.
pub const GA_PLACES_PER_KEY: u32 = 1000;

/// The partition key of a unit: its section, or its area and the share of places it is in.
pub fn unit_pk(event: &EventId, unit: &UnitId) -> String {
    let block = unit.block();
    match unit.ga_slot_in(block) {
        Some(slot) => area_pk(event, block, slot.saturating_sub(1) / GA_PLACES_PER_KEY),
        None => format!("UNIT#{event}#{block}"),
    }
}

fn area_pk(event: &EventId, area: &str, share: u32) -> String {
    format!("UNIT#{event}#{area}#{share}")
}

/// Every partition key a block's units are under.
fn block_pks(event: &EventId, block: &Block) -> Vec<String> {
    match block.places {
        None => vec![format!("UNIT#{event}#{}", block.id)],
        Some(places) => (0..places.div_ceil(GA_PLACES_PER_KEY).max(1))
            .map(|share| area_pk(event, &block.id, share))
            .collect(),
    }
}

fn hold_pk(id: &HoldId) -> String {
    format!("HOLD#{id}")
}

/// One item per (event, holder): the places they hold there ([`HeldPlaces`]), versioned.
fn held_pk(hold: &Hold) -> String {
    format!("HELD#{}#{}", hold.event_id, hold.holder)
}

fn unavailable(e: impl Into<String>) -> InventoryStoreError {
    InventoryStoreError::Unavailable(e.into())
}

impl DynamoInventory {
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Outcome, InventoryStoreError> {
        transact(&self.client, items).await.map_err(unavailable)
    }

    async fn read_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryStoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(hold_pk(id)))
            .key("sk", s("HOLD"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let data = get_s(&item, "data").map_err(unavailable)?;
        serde_json::from_str(data)
            .map(Some)
            .map_err(|e| unavailable(format!("stored hold unreadable: {e}")))
    }

    /// The holder's places at the hold's event, and the version to write the next one over.
    async fn read_held(&self, hold: &Hold) -> Result<(HeldPlaces, i64), InventoryStoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(held_pk(hold)))
            .key("sk", s("HELD"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(describe(e.into_service_error())))?;
        let Some(item) = out.item else {
            return Ok((HeldPlaces::default(), 0));
        };
        let data = get_s(&item, "data").map_err(unavailable)?;
        let held = serde_json::from_str(data)
            .map_err(|e| unavailable(format!("stored held places unreadable: {e}")))?;
        Ok((held, get_n(&item, "version").map_err(unavailable)?))
    }

    /// Writes the next count over `version` (0: none yet), so two holds of one holder racing
    /// each other cannot both count from the same total.
    fn held_put(&self, hold: &Hold, next: &HeldPlaces, version: i64) -> Put {
        let ttl = next.expires_at().unwrap_or(hold.expires_at) + Duration::days(1);
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", s(held_pk(hold)))
            .item("sk", s("HELD"))
            .item(
                "data",
                s(serde_json::to_string(next).expect("held places serialise")),
            )
            .item("version", n(version + 1))
            .item("ttl", n(ttl.timestamp()));
        match version {
            0 => put.condition_expression("attribute_not_exists(pk)"),
            v => put
                .condition_expression("version = :version")
                .expression_attribute_values(":version", n(v)),
        }
        .build()
        .expect("table, item set")
    }

    /// Takes a released or checked-out hold out of its holder's count. Done after the write
    /// that ended the hold: until it lands the hold still counts, which only errs on the side
    /// of the limit (it also stops counting at its expiry), so a failure is logged, not raised.
    async fn forget_held(&self, hold: &Hold) {
        for attempt in 0..=CONFLICT_RETRIES {
            let outcome = async {
                let (held, version) = self.read_held(hold).await?;
                if !held.holds.iter().any(|e| e.hold == hold.id) {
                    return Ok(Outcome::Done);
                }
                let put = self.held_put(hold, &held.without(&hold.id), version);
                self.transact(vec![TransactWriteItem::builder().put(put).build()])
                    .await
            }
            .await;
            match outcome {
                Ok(Outcome::Done) => return,
                Ok(Outcome::Cancelled(_)) => backoff(attempt + 1).await,
                Err(e) => {
                    tracing::warn!(hold = %hold.id, error = %e, "held places not updated");
                    return;
                }
            }
        }
    }

    fn hold_put(&self, hold: &Hold) -> Put {
        let ttl = (hold.expires_at + Duration::days(HOLD_RECORD_GRACE_DAYS)).timestamp();
        Put::builder()
            .table_name(&self.table)
            .item("pk", s(hold_pk(&hold.id)))
            .item("sk", s("HOLD"))
            .item(
                "data",
                s(serde_json::to_string(hold).expect("holds serialise")),
            )
            .item("status", s("active"))
            .item("expires_at", n(hold.expires_at.timestamp_millis()))
            .item("ttl", n(ttl))
            // A retry with the same Idempotency-Key finds the hold its first attempt recorded.
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table, item set")
    }

    /// Moves a hold's record from `active` to `hold.status` (and its JSON to `hold`), only if
    /// the stored status is still `active` and, with `expiry`, its expiry compares to `now` as
    /// given (`"<="`: expired by then; `">"`: still live): the one write that ends a hold, so
    /// a release, a checkout and an expiry can never both land.
    fn end_hold(&self, hold: &Hold, expiry: Option<(&str, DateTime<Utc>)>) -> Update {
        let status = match hold.status {
            HoldStatus::Released => "released",
            HoldStatus::CheckedOut => "checked_out",
            HoldStatus::Expired => "expired",
            HoldStatus::Active => unreachable!("a hold is ended into another status"),
        };
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(hold_pk(&hold.id)))
            .key("sk", s("HOLD"))
            .update_expression("SET #status = :next, #data = :data")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":next", s(status))
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(
                ":data",
                s(serde_json::to_string(hold).expect("holds serialise")),
            );
        match expiry {
            None => update.condition_expression("#status = :active"),
            Some((op, now)) => update
                .condition_expression(format!("#status = :active AND expires_at {op} :now"))
                .expression_attribute_values(":now", n(now.timestamp_millis())),
        }
        .build()
        .expect("table, key, expression set")
    }

    /// Claims one unit for `hold` as `state`. The expiry is in the condition: an expired hold
    /// never blocks anyone, whether or not TTL has deleted its items yet. A sale may also take
    /// over the hold's own claim, and sold units have no TTL: they stay sold until freed.
    fn unit_put(&self, hold: &Hold, unit: &UnitId, state: UnitState, now: DateTime<Utc>) -> Put {
        let (name, condition) = match state {
            UnitState::Held => (
                "held",
                "attribute_not_exists(pk) OR (#state = :held AND expires_at <= :now)",
            ),
            UnitState::Sold => (
                "sold",
                "attribute_not_exists(pk) OR hold_id = :hold OR \
                 (#state = :held AND expires_at <= :now)",
            ),
        };
        let mut put = Put::builder()
            .table_name(&self.table)
            .item("pk", s(unit_pk(&hold.event_id, unit)))
            .item("sk", s(unit.as_str()))
            .item("hold_id", s(hold.id.as_str()))
            .item("state", s(name))
            .item("expires_at", n(hold.expires_at.timestamp_millis()))
            .condition_expression(condition)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":held", s("held"))
            .expression_attribute_values(":now", n(now.timestamp_millis()));
        put = match state {
            UnitState::Held => put.item("ttl", n(hold.expires_at.timestamp())),
            UnitState::Sold => put.expression_attribute_values(":hold", s(hold.id.as_str())),
        };
        put.build().expect("table, item set")
    }
}

async fn backoff(attempt: u32) {
    use rand::Rng;
    let jitter = rand::rng().random_range(0..(10u64 << attempt.min(6)));
    tokio::time::sleep(std::time::Duration::from_millis(5 + jitter)).await;
}

#[async_trait]
impl SeatInventory for DynamoInventory {
    async fn place_hold(
        &self,
        hold: &Hold,
        now: DateTime<Utc>,
        limit: u32,
        events: &[IntegrationEvent],
    ) -> Result<(), InventoryStoreError> {
        let outbox = self.outbox_items(events)?;
        let (mut attempt, mut held_races) = (0, 0);
        loop {
            let (held, version) = self.read_held(hold).await?;
            let next = held
                .with(hold, now, limit)
                .map_err(|held| InventoryStoreError::LimitReached { held })?;
            let mut items = vec![
                TransactWriteItem::builder()
                    .put(self.hold_put(hold))
                    .build(),
            ];
            items.extend(hold.units.iter().map(|u| {
                TransactWriteItem::builder()
                    .put(self.unit_put(hold, u, UnitState::Held, now))
                    .build()
            }));
            // Then the holder's count, in the same transaction, and the events (which have
            // no condition: the hold's own makes them happen once).
            items.push(
                TransactWriteItem::builder()
                    .put(self.held_put(hold, &next, version))
                    .build(),
            );
            items.extend(outbox.iter().cloned());
            let per_item = match self.transact(items).await? {
                Outcome::Done => return Ok(()),
                Outcome::Cancelled(r) => r,
            };
            if per_item.first().is_some_and(|(failed, _)| *failed) {
                let existing = self.read_hold(&hold.id).await?.ok_or_else(|| {
                    unavailable("hold record condition failed but no hold was found")
                })?;
                return Err(InventoryStoreError::HoldExists(Box::new(existing)));
            }
            let units = per_item.iter().skip(1).zip(&hold.units);
            let taken: Vec<UnitId> = units
                .clone()
                .filter(|((f, _), _)| *f)
                .map(|(_, u)| u.clone())
                .collect();
            if !taken.is_empty() {
                return Err(InventoryStoreError::Taken(taken));
            }
            let contended: Vec<UnitId> = units
                .filter(|((_, c), _)| *c)
                .map(|(_, u)| u.clone())
                .collect();
            attempt += 1;
            if contended.is_empty() {
                // Only the holder's count moved (their other holds, placed meanwhile): count
                // again. Bounded by how many holds one holder runs at once.
                held_races += 1;
                if held_races > HELD_RETRIES {
                    return Err(unavailable("the holder's count kept changing; retry"));
                }
                backoff(attempt.min(3)).await;
                continue;
            }
            if attempt > CONFLICT_RETRIES {
                // Another transaction kept claiming these units: report them as taken.
                return Err(InventoryStoreError::Taken(contended));
            }
            backoff(attempt).await;
        }
    }

    async fn find_hold(&self, id: &HoldId) -> Result<Option<Hold>, InventoryStoreError> {
        self.read_hold(id).await
    }

    async fn release_hold(
        &self,
        id: &HoldId,
        events: &[IntegrationEvent],
    ) -> Result<Hold, InventoryStoreError> {
        let outbox = self.outbox_items(events)?;
        let mut hold = self
            .read_hold(id)
            .await?
            .ok_or(InventoryStoreError::HoldNotFound)?;
        if hold.status != HoldStatus::Active {
            return Err(InventoryStoreError::HoldNotActive);
        }
        hold.status = HoldStatus::Released;
        let mark = self.end_hold(&hold, None);
        let mut ours: Vec<UnitId> = hold.units.clone();
        for attempt in 0..=CONFLICT_RETRIES + hold.units.len() as u32 {
            let mut items = vec![TransactWriteItem::builder().update(mark.clone()).build()];
            items.extend(ours.iter().map(|u| {
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .key("pk", s(unit_pk(&hold.event_id, u)))
                            .key("sk", s(u.as_str()))
                            .condition_expression("hold_id = :hold")
                            .expression_attribute_values(":hold", s(id.as_str()))
                            .build()
                            .expect("table, key set"),
                    )
                    .build()
            }));
            // Last, so the per-item reasons above line up with `ours`.
            items.extend(outbox.iter().cloned());
            let per_item = match self.transact(items).await? {
                Outcome::Done => {
                    self.forget_held(&hold).await;
                    return Ok(hold);
                }
                Outcome::Cancelled(r) => r,
            };
            if per_item.first().is_some_and(|(failed, _)| *failed) {
                return Err(InventoryStoreError::HoldNotActive);
            }
            // Units another hold took after this one expired are not ours to free: drop them.
            let lost: Vec<bool> = per_item
                .iter()
                .skip(1)
                .take(ours.len())
                .map(|(f, _)| *f)
                .collect();
            let mut i = 0;
            ours.retain(|_| {
                let keep = !lost.get(i).copied().unwrap_or(false);
                i += 1;
                keep
            });
            if per_item.iter().any(|(_, c)| *c) {
                backoff(attempt).await;
            }
        }
        Err(unavailable(
            "release kept colliding with other transactions",
        ))
    }

    async fn expire_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
        events: &[IntegrationEvent],
    ) -> Result<Option<Hold>, InventoryStoreError> {
        let mut hold = self
            .read_hold(id)
            .await?
            .ok_or(InventoryStoreError::HoldNotFound)?;
        if hold.status != HoldStatus::Active || hold.expires_at > now {
            return Ok(None);
        }
        hold.status = HoldStatus::Expired;
        // Conditional on the stored status and expiry, not on what was read: of any number of
        // observers (and a racing release or checkout) exactly one write lands.
        let mark = self.end_hold(&hold, Some(("<=", now)));
        let mut items = vec![TransactWriteItem::builder().update(mark).build()];
        items.extend(self.outbox_items(events)?);
        for attempt in 0..=CONFLICT_RETRIES {
            match self.transact(items.clone()).await? {
                Outcome::Done => return Ok(Some(hold)),
                Outcome::Cancelled(r) if r.first().is_some_and(|(failed, _)| *failed) => {
                    return Ok(None);
                }
                Outcome::Cancelled(_) => backoff(attempt + 1).await,
            }
        }
        Err(unavailable("expiry kept colliding with other transactions"))
    }

    async fn check_out_hold(
        &self,
        id: &HoldId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Hold, InventoryStoreError> {
        let mut hold = self
            .read_hold(id)
            .await?
            .ok_or(InventoryStoreError::HoldNotFound)?;
        match hold.status {
            HoldStatus::CheckedOut => {
                // A retry: the first attempt may have stopped before the count.
                self.forget_held(&hold).await;
                return Ok(hold);
            }
            HoldStatus::Released => return Err(InventoryStoreError::HoldNotActive),
            HoldStatus::Expired => return Err(InventoryStoreError::HoldExpired),
            HoldStatus::Active if !hold.is_live(now) => {
                return Err(InventoryStoreError::HoldExpired);
            }
            HoldStatus::Active => {}
        }
        hold.status = HoldStatus::CheckedOut;
        let mark = self.end_hold(&hold, Some((">", now)));
        let mut items = vec![TransactWriteItem::builder().update(mark).build()];
        // The hold is live, so its units are its own: keep them until the saga's deadline.
        items.extend(hold.units.iter().map(|u| {
            let keep = Update::builder()
                .table_name(&self.table)
                .key("pk", s(unit_pk(&hold.event_id, u)))
                .key("sk", s(u.as_str()))
                .update_expression("SET expires_at = :until, #ttl = :ttl")
                .condition_expression("hold_id = :hold AND #state = :held")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":until", n(until.timestamp_millis()))
                .expression_attribute_values(":ttl", n(until.timestamp()))
                .expression_attribute_values(":hold", s(id.as_str()))
                .expression_attribute_values(":held", s("held"))
                .build()
                .expect("table, key, expression set");
            TransactWriteItem::builder().update(keep).build()
        }));
        for attempt in 0..=CONFLICT_RETRIES {
            let per_item = match self.transact(items.clone()).await? {
                Outcome::Done => {
                    self.forget_held(&hold).await;
                    return Ok(hold);
                }
                Outcome::Cancelled(r) => r,
            };
            if per_item.first().is_some_and(|(failed, _)| *failed) {
                // Released, expired or checked out by a concurrent request: say which.
                let stored = self
                    .read_hold(id)
                    .await?
                    .ok_or(InventoryStoreError::HoldNotFound)?;
                return match stored.status {
                    HoldStatus::CheckedOut => Ok(stored),
                    HoldStatus::Released => Err(InventoryStoreError::HoldNotActive),
                    HoldStatus::Active | HoldStatus::Expired => {
                        Err(InventoryStoreError::HoldExpired)
                    }
                };
            }
            if per_item.iter().any(|(failed, _)| *failed) {
                return Err(unavailable(format!(
                    "a unit of live hold {id} is not claimed by it"
                )));
            }
            backoff(attempt + 1).await;
        }
        Err(unavailable(
            "checkout kept colliding with other transactions",
        ))
    }

    async fn sell_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), InventoryStoreError> {
        for attempt in 0..=CONFLICT_RETRIES {
            let items: Vec<TransactWriteItem> = hold
                .units
                .iter()
                .map(|u| {
                    TransactWriteItem::builder()
                        .put(self.unit_put(hold, u, UnitState::Sold, now))
                        .build()
                })
                .collect();
            let per_item = match self.transact(items).await? {
                Outcome::Done => return Ok(()),
                Outcome::Cancelled(r) => r,
            };
            let taken: Vec<UnitId> = per_item
                .iter()
                .zip(&hold.units)
                .filter(|((failed, _), _)| *failed)
                .map(|(_, u)| u.clone())
                .collect();
            if !taken.is_empty() {
                return Err(InventoryStoreError::Taken(taken));
            }
            backoff(attempt + 1).await;
        }
        Err(unavailable(
            "selling kept colliding with other transactions",
        ))
    }

    async fn free_hold_units(&self, hold: &Hold) -> Result<(), InventoryStoreError> {
        for u in &hold.units {
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(unit_pk(&hold.event_id, u)))
                .key("sk", s(u.as_str()))
                .condition_expression("hold_id = :hold")
                .expression_attribute_values(":hold", s(hold.id.as_str()))
                .send()
                .await;
            match result {
                Ok(_) => {}
                // Already free, or another hold's now: not ours to delete.
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() => {}
                Err(e) => return Err(unavailable(describe(e.into_service_error()))),
            }
        }
        Ok(())
    }

    async fn live_units(
        &self,
        event: &EventId,
        blocks: &[Block],
        now: DateTime<Utc>,
    ) -> Result<Vec<UnitRecord>, InventoryStoreError> {
        let mut out = Vec::new();
        for pk in blocks.iter().flat_map(|b| block_pks(event, b)) {
            let mut start: Option<Item> = None;
            loop {
                let page = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(pk.clone()))
                    .projection_expression("sk, hold_id, #state, expires_at")
                    .expression_attribute_names("#state", "state")
                    // Eventually consistent, at half the read units: see the port.
                    .consistent_read(false)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| unavailable(describe(e.into_service_error())))?;
                for item in page.items() {
                    let record = unit_record(item).map_err(unavailable)?;
                    if record.is_live(now) {
                        out.push(record);
                    }
                }
                match page.last_evaluated_key {
                    Some(key) if !key.is_empty() => start = Some(key),
                    _ => break,
                }
            }
        }
        Ok(out)
    }
}

fn unit_record(
    item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Result<UnitRecord, String> {
    let state = match get_s(item, "state")? {
        "sold" => UnitState::Sold,
        _ => UnitState::Held,
    };
    let expires_at = DateTime::from_timestamp_millis(get_n(item, "expires_at")?)
        .ok_or("expires_at out of range")?;
    let hold_id = HoldId::parse(get_s(item, "hold_id")?).ok_or("stored hold id is not a uuid")?;
    Ok(UnitRecord {
        unit: UnitId::from_stored(get_s(item, "sk")?),
        hold_id,
        state,
        expires_at,
    })
}

/// The hold whose claim on a seat a stream record shows ending expired: the old image is a
/// held unit's claim whose expiry had passed when the item changed, and the new image (if the
/// item is still there) is not that hold's. DynamoDB's TTL deleting the claim gives such a
/// record, and so does another hold taking the seat over; a checkout or sale keeps the hold's
/// id on the seat, and a release deletes claims before their expiry: neither counts.
pub fn expired_claim_of(
    old: &serde_dynamo::Item,
    new: &serde_dynamo::Item,
    changed_at: DateTime<Utc>,
) -> Option<String> {
    use serde_dynamo::AttributeValue;
    let text = |item: &serde_dynamo::Item, k: &str| match item.get(k) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    };
    if !text(old, "pk")?.starts_with("UNIT#") || text(old, "state")? != "held" {
        return None;
    }
    let hold = text(old, "hold_id")?;
    if text(new, "hold_id").as_deref() == Some(hold.as_str()) {
        return None;
    }
    let expires_ms: i64 = match old.get("expires_at") {
        Some(AttributeValue::N(n)) => n.parse().ok()?,
        _ => return None,
    };
    // Stream times may be whole seconds: a second's leeway, as a hold that turns out not to
    // have expired is left alone by `expire_hold` (it checks the stored hold and the clock).
    let changed_ms = changed_at.timestamp_millis() + 1000;
    (expires_ms <= changed_ms).then_some(hold)
}
