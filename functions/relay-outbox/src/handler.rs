//! The outbox relay: the bookings table's stream → the event bus. Each outbox item is
//! published, then deleted from the outbox.

use aws_lambda_events::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use stagepass_api::prelude::*;
use stagepass_domain::{BookingStore, EventBus};
use stagepass_dynamo::outbox_event;

pub const FUNCTION: Function = Function {
    name: "relay-outbox",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let (bus, store) = (w.bus()?, w.bookings()?);
        Ok(Handler::Stream(Arc::new(move |batch| {
            let (bus, store) = (bus.clone(), store.clone());
            Box::pin(async move { relay_batch(bus.as_ref(), store.as_ref(), batch).await })
        })))
    })
}

/// Publishes the outbox events in a stream batch, then deletes them from the outbox. On a
/// failure, the first failed record and everything after it are reported (stream batches
/// are ordered), so they are retried and nothing is lost; consumers deduplicate by event id.
async fn relay_batch(
    bus: &dyn EventBus,
    store: &dyn BookingStore,
    batch: DynamoDbEvent,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &batch.records {
        if record.event_name != "INSERT" && record.event_name != "MODIFY" {
            continue;
        }
        let published = match outbox_event(&record.change.new_image) {
            None => continue,
            Some(Err(e)) => {
                // Unreadable forever: skip it rather than block the stream; it is logged.
                tracing::error!(error = %e, "skipping unreadable outbox record");
                continue;
            }
            Some(Ok(e)) => bus
                .publish(std::slice::from_ref(&e))
                .await
                .map(|()| e.id)
                .map_err(|err| err.0),
        };
        let done = match published {
            Ok(id) => store.delivered(&[id]).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "outbox relay stopped; the stream will retry");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            return response;
        }
    }
    response
}
