//! Bookings, their outbox, and idempotency keys in the embedded store. A booking change and
//! its outbox events are written in one redb transaction: the local relay can never see one
//! without the other.

use crate::StoreFailure;
use crate::{EmbeddedStore, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use stagepass_domain::{Booking, BookingId, EventId, IntegrationEvent, UserId};
use stagepass_domain::{
    BookingStore, BookingStoreError, Claim, IdempotencyStore, InfraError, Lease, SavedResponse,
};
use std::ops::Bound;

/// Booking id → booking JSON.
const BOOKINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("bookings");
/// `{buyer}\0{created ms, zero-padded}\0{booking}` → booking id.
const BY_BUYER: TableDefinition<&str, &str> = TableDefinition::new("bookings_by_buyer");
/// `{event}/{booking}` → booking id.
const BY_EVENT: TableDefinition<&str, &str> = TableDefinition::new("bookings_by_event");
/// `{updated ms, zero-padded}\0{booking}` → booking id, for bookings still in motion
/// (pending or cancelling): what the sweeper looks at.
const UNSETTLED: TableDefinition<&str, &str> = TableDefinition::new("bookings_unsettled");
/// Sequence number → event JSON, oldest first.
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// Event id → its sequence number, so recording an event twice keeps one copy.
const OUTBOX_IDS: TableDefinition<&str, u64> = TableDefinition::new("outbox_ids");
/// The next outbox sequence number: never reused, even once the outbox is empty.
const OUTBOX_NEXT: TableDefinition<&str, u64> = TableDefinition::new("outbox_next");
/// Saga execution name → "running" or how it ended (the local Step Functions' memory).
const EXECUTIONS: TableDefinition<&str, &str> = TableDefinition::new("executions");
/// Idempotency key → record JSON.
const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency_keys");

pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<(), String> {
    txn.open_table(BOOKINGS).map_err(fail)?;
    txn.open_table(BY_BUYER).map_err(fail)?;
    txn.open_table(BY_EVENT).map_err(fail)?;
    txn.open_table(UNSETTLED).map_err(fail)?;
    txn.open_table(OUTBOX).map_err(fail)?;
    txn.open_table(OUTBOX_IDS).map_err(fail)?;
    txn.open_table(OUTBOX_NEXT).map_err(fail)?;
    txn.open_table(KEYS).map_err(fail)?;
    txn.open_table(EXECUTIONS).map_err(fail)?;
    Ok(())
}

fn unsettled_key(b: &Booking) -> String {
    format!("{:015}\0{}", b.updated_at.timestamp_millis(), b.id)
}

/// Keeps the unsettled index in step with a booking's change from `old` (if stored) to `new`.
fn index_unsettled(
    txn: &WriteTransaction,
    old: Option<&Booking>,
    new: &Booking,
) -> Result<(), String> {
    let mut index = txn.open_table(UNSETTLED).map_err(fail)?;
    if let Some(old) = old.filter(|o| o.status.is_unsettled()) {
        index.remove(unsettled_key(old).as_str()).map_err(fail)?;
    }
    if new.status.is_unsettled() {
        index
            .insert(unsettled_key(new).as_str(), new.id.as_str())
            .map_err(fail)?;
    }
    Ok(())
}

fn buyer_key(b: &Booking) -> String {
    format!(
        "{}\0{:015}\0{}",
        b.buyer,
        b.created_at.timestamp_millis(),
        b.id
    )
}

/// Adds `events` to the outbox in the caller's transaction (whatever store writes the fact
/// they report); an event id already recorded, even delivered, is skipped.
pub(crate) fn append_events(
    txn: &WriteTransaction,
    events: &[IntegrationEvent],
) -> Result<(), String> {
    let mut outbox = txn.open_table(OUTBOX).map_err(fail)?;
    let mut ids = txn.open_table(OUTBOX_IDS).map_err(fail)?;
    let mut counter = txn.open_table(OUTBOX_NEXT).map_err(fail)?;
    let mut next = counter.get("next").map_err(fail)?.map_or(0, |v| v.value());
    for e in events {
        if ids.get(e.id.as_str()).map_err(fail)?.is_some() {
            continue;
        }
        outbox.insert(next, encode(e).as_slice()).map_err(fail)?;
        ids.insert(e.id.as_str(), next).map_err(fail)?;
        next += 1;
    }
    counter.insert("next", next).map_err(fail)?;
    Ok(())
}

impl EmbeddedStore {
    /// Replaces a booking at `expected_version` with its outbox events, in one transaction;
    /// with `unless_event_cancelled`, only while its event is not cancelled.
    async fn update_booking(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
        unless_event_cancelled: bool,
    ) -> Result<(), BookingStoreError> {
        let booking = booking.clone();
        let events = events.to_vec();
        self.write(move |txn| -> Result<(), BookingStoreError> {
            if unless_event_cancelled
                && crate::catalog::is_cancelled(txn, &booking.event_id)
                    .map_err(BookingStoreError::store)?
            {
                return Err(BookingStoreError::EventCancelled);
            }
            let mut bookings = txn.open_table(BOOKINGS).map_err(BookingStoreError::store)?;
            let current: Option<Booking> = bookings
                .get(booking.id.as_str())
                .map_err(BookingStoreError::store)?
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(BookingStoreError::store)?;
            let Some(current) = current.filter(|c| c.version == expected_version) else {
                return Err(BookingStoreError::VersionConflict);
            };
            bookings
                .insert(booking.id.as_str(), encode(&booking).as_slice())
                .map_err(BookingStoreError::store)?;
            index_unsettled(txn, Some(&current), &booking).map_err(BookingStoreError::store)?;
            append_events(txn, &events).map_err(BookingStoreError::store)?;
            Ok(())
        })
        .await
    }
}

/// Which way an index range is read.
#[derive(Clone, Copy)]
enum Order {
    Ascending,
    Descending,
}

impl EmbeddedStore {
    /// Up to `limit` bookings an index (key → booking id) names within `range`, in key order
    /// or its reverse, read in one transaction.
    async fn indexed(
        &self,
        index: TableDefinition<'static, &'static str, &'static str>,
        range: (Bound<String>, Bound<String>),
        order: Order,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        self.run(move |db| -> Result<Vec<Booking>, BookingStoreError> {
            let txn = db.begin_read().map_err(BookingStoreError::store)?;
            let index = txn.open_table(index).map_err(BookingStoreError::store)?;
            let bookings = txn.open_table(BOOKINGS).map_err(BookingStoreError::store)?;
            let bounds = (
                range.0.as_ref().map(String::as_str),
                range.1.as_ref().map(String::as_str),
            );
            let entries = index
                .range::<&str>(bounds)
                .map_err(BookingStoreError::store)?;
            let entries: Box<dyn Iterator<Item = _>> = match order {
                Order::Ascending => Box::new(entries),
                Order::Descending => Box::new(entries.rev()),
            };
            let mut out = Vec::new();
            for entry in entries {
                if out.len() >= limit {
                    break;
                }
                let (_, id) = entry.map_err(BookingStoreError::store)?;
                if let Some(v) = bookings.get(id.value()).map_err(BookingStoreError::store)? {
                    out.push(decode(v.value()).map_err(BookingStoreError::store)?);
                }
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl BookingStore for EmbeddedStore {
    async fn create(&self, booking: &Booking) -> Result<(), BookingStoreError> {
        let booking = booking.clone();
        self.write(move |txn| -> Result<(), BookingStoreError> {
            let mut bookings = txn.open_table(BOOKINGS).map_err(BookingStoreError::store)?;
            if let Some(existing) = bookings
                .get(booking.id.as_str())
                .map_err(BookingStoreError::store)?
            {
                let existing: Booking =
                    decode(existing.value()).map_err(BookingStoreError::store)?;
                return Err(BookingStoreError::Exists(Box::new(existing)));
            }
            bookings
                .insert(booking.id.as_str(), encode(&booking).as_slice())
                .map_err(BookingStoreError::store)?;
            txn.open_table(BY_BUYER)
                .map_err(BookingStoreError::store)?
                .insert(buyer_key(&booking).as_str(), booking.id.as_str())
                .map_err(BookingStoreError::store)?;
            txn.open_table(BY_EVENT)
                .map_err(BookingStoreError::store)?
                .insert(
                    format!("{}/{}", booking.event_id, booking.id).as_str(),
                    booking.id.as_str(),
                )
                .map_err(BookingStoreError::store)?;
            index_unsettled(txn, None, &booking).map_err(BookingStoreError::store)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &BookingId) -> Result<Option<Booking>, BookingStoreError> {
        let id = id.clone();
        self.run(move |db| -> Result<Option<Booking>, BookingStoreError> {
            let txn = db.begin_read().map_err(BookingStoreError::store)?;
            let bookings = txn.open_table(BOOKINGS).map_err(BookingStoreError::store)?;
            let found = bookings
                .get(id.as_str())
                .map_err(BookingStoreError::store)?;
            found
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(BookingStoreError::store)
        })
        .await
    }

    async fn update(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError> {
        self.update_booking(booking, expected_version, events, false)
            .await
    }

    async fn update_unless_event_cancelled(
        &self,
        booking: &Booking,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), BookingStoreError> {
        self.update_booking(booking, expected_version, events, true)
            .await
    }

    async fn for_buyer(
        &self,
        buyer: &UserId,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        let range = (
            Bound::Included(format!("{buyer}\0")),
            Bound::Excluded(format!("{buyer}\u{1}")),
        );
        self.indexed(BY_BUYER, range, Order::Descending, limit)
            .await
    }

    async fn for_event(
        &self,
        event: &EventId,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        // Keys are `<event>/<booking id>`: the event's run, in booking id order.
        let from = match after {
            Some(id) => format!("{event}/{id}"),
            None => format!("{event}/"),
        };
        let range = (Bound::Excluded(from), Bound::Excluded(format!("{event}0")));
        self.indexed(BY_EVENT, range, Order::Ascending, limit).await
    }

    async fn unsettled(
        &self,
        before: DateTime<Utc>,
        after: Option<&Booking>,
        limit: usize,
    ) -> Result<Vec<Booking>, BookingStoreError> {
        // Keys sort by change time; `{before ms}` sorts above every key of an earlier change.
        let to = format!("{:015}", before.timestamp_millis());
        let from = match after.map(unsettled_key) {
            Some(from) if from >= to => return Ok(Vec::new()),
            Some(from) => Bound::Excluded(from),
            None => Bound::Unbounded,
        };
        self.indexed(
            UNSETTLED,
            (from, Bound::Excluded(to)),
            Order::Ascending,
            limit,
        )
        .await
    }

    async fn record_events(&self, events: &[IntegrationEvent]) -> Result<(), BookingStoreError> {
        let events = events.to_vec();
        self.write(move |txn| -> Result<(), BookingStoreError> {
            append_events(txn, &events).map_err(BookingStoreError::store)
        })
        .await
    }

    async fn undelivered(&self, limit: usize) -> Result<Vec<IntegrationEvent>, BookingStoreError> {
        self.run(
            move |db| -> Result<Vec<IntegrationEvent>, BookingStoreError> {
                let txn = db.begin_read().map_err(BookingStoreError::store)?;
                let outbox = txn.open_table(OUTBOX).map_err(BookingStoreError::store)?;
                let mut out = Vec::new();
                for entry in outbox.iter().map_err(BookingStoreError::store)?.take(limit) {
                    let (_, v) = entry.map_err(BookingStoreError::store)?;
                    out.push(decode(v.value()).map_err(BookingStoreError::store)?);
                }
                Ok(out)
            },
        )
        .await
    }

    async fn delivered(&self, ids: &[String]) -> Result<(), BookingStoreError> {
        let ids = ids.to_vec();
        self.write(move |txn| -> Result<(), BookingStoreError> {
            let mut outbox = txn.open_table(OUTBOX).map_err(BookingStoreError::store)?;
            let index = txn
                .open_table(OUTBOX_IDS)
                .map_err(BookingStoreError::store)?;
            for id in &ids {
                // The id stays in the index, so a late duplicate record is still ignored.
                if let Some(seq) = index
                    .get(id.as_str())
                    .map_err(BookingStoreError::store)?
                    .map(|s| s.value())
                {
                    outbox.remove(seq).map_err(BookingStoreError::store)?;
                }
            }
            Ok(())
        })
        .await
    }
}

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    fingerprint: String,
    response: Option<SavedResponse>,
    lease_until: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// The attempt holding the key (records written before fencing have none).
    #[serde(default)]
    token: String,
    /// When this use of the key began; records without it began when they were claimed.
    #[serde(default)]
    since: Option<DateTime<Utc>>,
}

fn key_record(
    keys: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<KeyRecord>, InfraError> {
    keys.get(key)
        .map_err(InfraError::store)?
        .map(|v| decode(v.value()))
        .transpose()
        .map_err(InfraError::store)
}

#[async_trait]
impl IdempotencyStore for EmbeddedStore {
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, InfraError> {
        let key = key.to_string();
        let fingerprint = fingerprint.to_string();
        self.write(move |txn| -> Result<Claim, InfraError> {
            let mut keys = txn.open_table(KEYS).map_err(InfraError::store)?;
            let mut since = now;
            if let Some(r) = key_record(&keys, &key)?.filter(|r| r.expires_at > now) {
                if r.fingerprint != fingerprint {
                    return Ok(Claim::Mismatch);
                }
                if let Some(saved) = r.response {
                    return Ok(Claim::Done(saved));
                }
                if r.lease_until > now {
                    return Ok(Claim::InFlight);
                }
                // Taking over a crashed attempt: the same use of the key goes on.
                since = r.since.unwrap_or(now);
            }
            let lease = Lease::new(since);
            let record = KeyRecord {
                fingerprint,
                response: None,
                lease_until,
                expires_at,
                token: lease.token.clone(),
                since: Some(since),
            };
            keys.insert(key.as_str(), encode(&record).as_slice())
                .map_err(InfraError::store)?;
            Ok(Claim::Started(lease))
        })
        .await
    }

    async fn complete(
        &self,
        key: &str,
        token: &str,
        response: &SavedResponse,
    ) -> Result<bool, InfraError> {
        let (key, token, response) = (key.to_string(), token.to_string(), response.clone());
        self.write(move |txn| -> Result<bool, InfraError> {
            let mut keys = txn.open_table(KEYS).map_err(InfraError::store)?;
            let Some(mut record) = key_record(&keys, &key)? else {
                return Ok(false);
            };
            if record.token != token || record.response.is_some() {
                return Ok(false);
            }
            record.response = Some(response);
            keys.insert(key.as_str(), encode(&record).as_slice())
                .map_err(InfraError::store)?;
            Ok(true)
        })
        .await
    }

    async fn abandon(&self, key: &str, token: &str) -> Result<(), InfraError> {
        let (key, token) = (key.to_string(), token.to_string());
        self.write(move |txn| -> Result<(), InfraError> {
            let mut keys = txn.open_table(KEYS).map_err(InfraError::store)?;
            // Only this attempt's unanswered claim is let go.
            if key_record(&keys, &key)?.is_some_and(|r| r.token == token && r.response.is_none()) {
                keys.remove(key.as_str()).map_err(InfraError::store)?;
            }
            Ok(())
        })
        .await
    }
}

/// What the local saga runner remembers about executions, so a name starts once and a run cut
/// short by a crash is resumed when the server starts again.
impl EmbeddedStore {
    /// Records a new execution as running: false if the name was already started.
    pub async fn begin_execution(&self, name: &str) -> Result<bool, String> {
        let name = name.to_string();
        self.write(move |txn| -> Result<bool, String> {
            let mut runs = txn.open_table(EXECUTIONS).map_err(fail)?;
            if runs.get(name.as_str()).map_err(fail)?.is_some() {
                return Ok(false);
            }
            runs.insert(name.as_str(), "running").map_err(fail)?;
            Ok(true)
        })
        .await
    }

    pub async fn finish_execution(&self, name: &str, status: &str) -> Result<(), String> {
        let (name, status) = (name.to_string(), status.to_string());
        self.write(move |txn| -> Result<(), String> {
            let mut runs = txn.open_table(EXECUTIONS).map_err(fail)?;
            runs.insert(name.as_str(), status.as_str()).map_err(fail)?;
            Ok(())
        })
        .await
    }

    pub async fn running_executions(&self) -> Result<Vec<String>, String> {
        self.run(|db| -> Result<Vec<String>, String> {
            let txn = db.begin_read().map_err(fail)?;
            let runs = txn.open_table(EXECUTIONS).map_err(fail)?;
            let mut out = Vec::new();
            for entry in runs.iter().map_err(fail)? {
                let (name, status) = entry.map_err(fail)?;
                if status.value() == "running" {
                    out.push(name.value().to_string());
                }
            }
            Ok(out)
        })
        .await
    }
}
