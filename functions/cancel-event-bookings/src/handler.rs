//! The event cancellation worker: SQS → this. Each message asks for the next page of a
//! cancelled event's bookings to be cancelled; this cancels it, records the progress on the
//! event and queues the next, until the event is `cancelled`. A message that is not a
//! cancellation request goes to its dead-letter queue at once, with the reason.

use stagepass_api::prelude::*;
use stagepass_domain::MessageFailure;
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
        Ok(queue(w.dead_letters()?, move |body| {
            let worker = worker.clone();
            async move {
                let request = CancellationRequest::parse(&body)?;
                let done = worker
                    .next_page(&request.event_id)
                    .await
                    .map_err(|e| MessageFailure::Retry(e.to_string()))?;
                tracing::info!(event = %request.event_id, ?done, "cancellation page");
                Ok(())
            }
        }))
    })
}
