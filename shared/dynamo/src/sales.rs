//! The sales subscriber's own table (`SALES_TABLE`), apart from Stagepass's tables as any
//! subscriber's would be:
//! - a tally per event: `pk` = `EVENT#<event>`, `sk` = `TALLY`, one number per counter, which
//!   each fact `ADD`s to, and `currency`, `updated_at`;
//! - a mark per counted fact: `pk` = `FACT#<integration event id>`, `sk` = `FACT`, with a `ttl`.
//!
//! Counting is one transaction: put the mark if it is absent, and add to the tally. A fact
//! delivered again finds its mark, and the whole transaction is refused.

use crate::{Item, Outcome, describe, get_n, get_s, n, s, transact};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use stagepass_domain::InfraError;
use stagepass_domain::ids::EventId;
use stagepass_domain::sales::{SalesChange, SalesCounts, SalesLedger, SalesTally};

/// The counters, by attribute name.
const COUNTERS: [&str; 7] = [
    "bookings",
    "tickets",
    "gross",
    "cancelled_bookings",
    "cancelled_tickets",
    "refunded",
    "failed_bookings",
];

/// Tries of one count when another count of the same event's tally collided with it (an
/// on-sale's confirmations arrive together); past them the message is retried later.
const ATTEMPTS: u32 = 5;

pub struct DynamoSales {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoSales {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn values(c: &SalesCounts) -> [i64; 7] {
    [
        c.bookings,
        c.tickets,
        c.gross,
        c.cancelled_bookings,
        c.cancelled_tickets,
        c.refunded,
        c.failed_bookings,
    ]
}

fn tally_pk(event: &EventId) -> String {
    format!("EVENT#{event}")
}

fn infra(e: impl Into<String>) -> InfraError {
    InfraError(e.into())
}

fn tally_of(event: &EventId, item: &Item) -> Result<SalesTally, String> {
    let v = |k| get_n(item, k);
    let updated_at = DateTime::parse_from_rfc3339(get_s(item, "updated_at")?)
        .map_err(|e| format!("tally updated_at: {e}"))?
        .with_timezone(&Utc);
    Ok(SalesTally {
        event_id: event.clone(),
        currency: get_s(item, "currency")?.to_string(),
        counts: SalesCounts {
            bookings: v(COUNTERS[0])?,
            tickets: v(COUNTERS[1])?,
            gross: v(COUNTERS[2])?,
            cancelled_bookings: v(COUNTERS[3])?,
            cancelled_tickets: v(COUNTERS[4])?,
            refunded: v(COUNTERS[5])?,
            failed_bookings: v(COUNTERS[6])?,
        },
        updated_at,
    })
}

#[async_trait]
impl SalesLedger for DynamoSales {
    async fn count(
        &self,
        fact_id: &str,
        change: &SalesChange,
        remember_until: DateTime<Utc>,
    ) -> Result<bool, InfraError> {
        let mark = Put::builder()
            .table_name(&self.table)
            .item("pk", s(format!("FACT#{fact_id}")))
            .item("sk", s("FACT"))
            .item("event_id", s(change.event_id.as_str()))
            .item("ttl", n(remember_until.timestamp()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table, item set");
        let adds: Vec<String> = COUNTERS.iter().map(|c| format!("{c} :{c}")).collect();
        let mut add = Update::builder()
            .table_name(&self.table)
            .key("pk", s(tally_pk(&change.event_id)))
            .key("sk", s("TALLY"))
            .update_expression(format!(
                "SET currency = if_not_exists(currency, :currency), updated_at = :now ADD {}",
                adds.join(", ")
            ))
            .expression_attribute_values(":currency", s(&change.currency))
            .expression_attribute_values(":now", s(change.counted_at.to_rfc3339()));
        for (name, value) in COUNTERS.iter().zip(values(&change.counts)) {
            add = add.expression_attribute_values(format!(":{name}"), n(value));
        }
        let add = add.build().expect("table, key, expression set");
        for _ in 0..ATTEMPTS {
            let items = vec![
                TransactWriteItem::builder().put(mark.clone()).build(),
                TransactWriteItem::builder().update(add.clone()).build(),
            ];
            match transact(&self.client, items).await.map_err(infra)? {
                Outcome::Done => return Ok(true),
                Outcome::Cancelled(reasons) if reasons.first().is_some_and(|r| r.0) => {
                    return Ok(false);
                }
                Outcome::Cancelled(reasons) if reasons.iter().any(|r| r.1) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Outcome::Cancelled(reasons) => {
                    return Err(infra(format!(
                        "counting {fact_id} was refused: {reasons:?}"
                    )));
                }
            }
        }
        Err(infra(format!(
            "counting {fact_id} collided {ATTEMPTS} times with other counts; retry"
        )))
    }

    async fn tally(&self, event: &EventId) -> Result<Option<SalesTally>, InfraError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(tally_pk(event)))
            .key("sk", s("TALLY"))
            .send()
            .await
            .map_err(|e| infra(describe(e.into_service_error())))?;
        out.item
            .map(|item| tally_of(event, &item).map_err(infra))
            .transpose()
    }
}
