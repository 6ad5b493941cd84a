//! The outbox's items, in the bookings table: `OUTBOX#<event id>` / `OUTBOX`. Any adapter
//! whose write makes a fact true (a booking change, a hold, a publication) puts the fact's
//! event here in the same transaction. While pending an item carries `data`, `outbox` =
//! `pending` and `outbox_sk` (the sparse `outbox` GSI the sweeper reads); once delivered it
//! is kept without them until its TTL, so recording the same event id again (a retried
//! stream record, a second observer of one expiry) is recognised and not published twice.

use crate::{n, s};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::Duration;
use stagepass_domain::IntegrationEvent;

/// How long an event id is remembered after it happened (pending or delivered).
pub(crate) const OUTBOX_TTL_DAYS: i64 = 30;

pub(crate) fn outbox_pk(id: &str) -> String {
    format!("OUTBOX#{id}")
}

/// The pending outbox item of `e`; `order` orders events recorded together (same time): the
/// outbox lists them as written.
pub(crate) fn outbox_put(table: &str, e: &IntegrationEvent, order: usize) -> Put {
    let ttl = (e.time + Duration::days(OUTBOX_TTL_DAYS)).timestamp();
    Put::builder()
        .table_name(table)
        .item("pk", s(outbox_pk(&e.id)))
        .item("sk", s("OUTBOX"))
        .item(
            "data",
            s(serde_json::to_string(e).expect("events serialise")),
        )
        .item("outbox", s("pending"))
        .item(
            "outbox_sk",
            s(format!(
                "{:015}#{order:03}#{}",
                e.time.timestamp_millis(),
                e.id
            )),
        )
        .item("ttl", n(ttl))
        .build()
        .expect("table and item set")
}

/// `events` as transaction items, to go with the write that makes them true. That write's
/// own condition is what makes each fact happen once, so these puts need none.
pub(crate) fn outbox_items(table: &str, events: &[IntegrationEvent]) -> Vec<TransactWriteItem> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            TransactWriteItem::builder()
                .put(outbox_put(table, e, i))
                .build()
        })
        .collect()
}
