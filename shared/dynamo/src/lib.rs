//! DynamoDB adapters for the catalog and seat-inventory ports.
//!
//! Item design (see README "DynamoDB item design"):
//! - events table, `pk` = event id; `data` holds the event as JSON, `version` guards writes.
//!   Published events also carry `listing`, `city_key`, `start_key`, `category`, which feed
//!   two sparse GSIs: `by_start` (listing, start_key) and `by_city` (city_key, start_key).
//! - inventory table, (`pk`, `sk`):
//!   - a unit (seat or GA place): `UNIT#{event}#{block}` / unit id, with `hold_id`, `state`,
//!     `expires_at` (epoch ms, in every condition) and `ttl` (epoch s, for DynamoDB TTL).
//!     One item per seat; one partition key per section, and per 1,000 places of an area
//!     (`UNIT#{event}#{area}#{share}`): an on-sale spreads its writes.
//!   - a hold: `HOLD#{id}` / `HOLD`, with `data` (JSON), `status` and `ttl`.
//!   - a seat map snapshot: `MAP#{event}` / `MAP` (see `seat_maps`).
//!   - a waiting room, its entries and their order: `ROOM#`, `QFAN#`, `QUEUE#` (see
//!     `waiting_rooms`).

mod bookings;
mod catalog;
mod identity;
pub mod inventory;
mod outbox;
mod payments;
mod sales;
mod seat_maps;
mod waiting_rooms;

pub use bookings::{DynamoBookings, outbox_event};
pub use catalog::DynamoCatalog;
pub use identity::DynamoIdentity;
pub use inventory::{DynamoInventory, expired_claim_of};
pub use sales::DynamoSales;
pub use seat_maps::DynamoMapSnapshots;
pub use waiting_rooms::DynamoWaitingRooms;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, String> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| format!("item has no string attribute {key}"))
}

pub(crate) fn get_n(item: &Item, key: &str) -> Result<i64, String> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("item has no number attribute {key}"))
}

/// Infrastructure failures are reported with their full cause chain, never swallowed.
pub(crate) fn describe<E: std::error::Error + ProvideErrorMetadata>(e: E) -> String {
    format!("{}", DisplayErrorContext(e))
}

/// What a `TransactWriteItems` did.
pub(crate) enum Outcome {
    Done,
    /// Cancelled. Per item, in order: did its condition fail, and did it collide with another
    /// transaction.
    Cancelled(Vec<(bool, bool)>),
}

/// Runs one transaction; a cancellation is an outcome (with its per-item reasons), any other
/// failure an error with its cause.
pub(crate) async fn transact(
    client: &aws_sdk_dynamodb::Client,
    items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> Result<Outcome, String> {
    use aws_sdk_dynamodb::error::SdkError;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
    {
        Ok(_) => Ok(Outcome::Done),
        Err(SdkError::ServiceError(e)) => match e.into_err() {
            TransactWriteItemsError::TransactionCanceledException(c) => Ok(Outcome::Cancelled(
                c.cancellation_reasons()
                    .iter()
                    .map(|r| {
                        let code = r.code().unwrap_or("None");
                        (
                            code == "ConditionalCheckFailed",
                            code == "TransactionConflict",
                        )
                    })
                    .collect(),
            )),
            other => Err(describe(other)),
        },
        Err(e) => Err(format!("{}", DisplayErrorContext(e))),
    }
}
