//! The event cancellation worker: SQS → this. Each message asks for the next page of a
//! cancelled event's bookings to be cancelled; this cancels it, records the progress on the
//! event and queues the next, until the event is `cancelled`.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use stagepass_api::prelude::*;
use stagepass_domain::bookings::Settlement;
use stagepass_domain::catalog::CancelEventBookings;
use stagepass_domain::catalog::ports::CancellationRequest;

pub const FUNCTION: Function = Function {
    name: "cancel-event-bookings",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let worker = Arc::new(CancelEventBookings {
            catalog: w.catalog()?,
            settlement: Settlement {
                inventory: w.inventory()?,
                bookings: w.bookings()?,
                payments: w.payments()?,
                clock: w.clock(),
            },
            queue: w.cancellations()?,
        });
        Ok(Handler::Queue(Arc::new(move |batch| {
            let worker = worker.clone();
            Box::pin(async move { work(&worker, batch).await })
        })))
    })
}

/// Works through a batch. A message that failed is reported, so only it comes back (after
/// `maxReceiveCount`, to the dead-letter queue); an unreadable one fails for the same end.
async fn work(worker: &CancelEventBookings, batch: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in batch.records {
        let message_id = record.message_id.unwrap_or_default();
        let outcome = match CancellationRequest::parse(record.body.as_deref().unwrap_or_default()) {
            Ok(request) => worker
                .next_page(&request.event_id)
                .await
                .map(|done| (request.event_id, done)),
            Err(e) => Err(e),
        };
        match outcome {
            Ok((event, done)) => tracing::info!(%event, ?done, "cancellation page"),
            Err(e) => {
                tracing::warn!(record = %message_id, error = %e, "cancellation page failed");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message_id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}
