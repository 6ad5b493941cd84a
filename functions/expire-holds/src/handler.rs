//! Records `HoldExpired` (once per hold) from the inventory table's stream. A held seat's
//! claim leaves the table expired in two ways: DynamoDB's TTL deletes it (up to 48 hours after
//! its expiry), or another hold takes the seat over first. Either record names the hold in its
//! old image; [`ExpireHolds::observe`] then records the expiry if no one has (a release, a
//! checkout attempt, or another of the hold's seats may have first).

use aws_lambda_events::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use stagepass_api::prelude::*;
use stagepass_domain::{ExpireHolds, HoldId};
use stagepass_dynamo::expired_claim_of;

pub const FUNCTION: Function = Function {
    name: "expire-holds",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let expiry = Arc::new(ExpireHolds {
            inventory: w.inventory()?,
            clock: w.clock(),
        });
        Ok(Handler::Stream(Arc::new(move |batch| {
            let expiry = expiry.clone();
            Box::pin(async move { expire_batch(&expiry, batch).await })
        })))
    })
}

/// The hold whose seat claim this record shows ending expired, if any.
fn expired_claim(record: &aws_lambda_events::dynamodb::EventRecord) -> Option<HoldId> {
    let change = &record.change;
    let changed_at = change.approximate_creation_date_time;
    expired_claim_of(&change.old_image, &change.new_image, changed_at)
        .and_then(|id| HoldId::parse(&id))
}

/// Records each expired hold of the batch once. A failure reports that record and the rest
/// (stream batches are ordered), so they are retried; recording twice is harmless.
async fn expire_batch(expiry: &ExpireHolds, batch: DynamoDbEvent) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut seen: Vec<HoldId> = Vec::new();
    for record in &batch.records {
        let Some(hold) = expired_claim(record) else {
            continue;
        };
        if seen.contains(&hold) {
            continue;
        }
        match expiry.observe(&hold).await {
            Ok(true) => tracing::info!(%hold, "hold expiry recorded"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(%hold, error = %e, "expiry not recorded; the stream will retry");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                return response;
            }
        }
        seen.push(hold);
    }
    response
}
