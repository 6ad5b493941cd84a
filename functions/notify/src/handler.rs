//! The notification consumer: EventBridge → SQS → this → the mailer, one email per event id.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use stagepass_api::prelude::*;
use stagepass_domain::integration::events::event_from_envelope;
use stagepass_domain::notifications::{Delivery, Notifier};

pub const FUNCTION: Function = Function {
    name: "notify",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let (mailer, from) = w.mailer()?;
        let notifier = Arc::new(Notifier {
            bookings: w.bookings()?,
            files: w.files()?,
            mailer,
            dedupe: w.idempotency()?,
            clock: w.clock(),
            from,
            public_url: w.public_url()?,
        });
        Ok(Handler::Queue(Arc::new(move |batch| {
            let notifier = notifier.clone();
            Box::pin(async move { notify_batch(&notifier, batch).await })
        })))
    })
}

/// Mails buyers for each event in an SQS batch. Messages that failed are reported as batch
/// item failures, so only they come back (and after `maxReceiveCount`, go to the DLQ).
/// Unreadable messages are failed too: they end in the DLQ for a person to look at.
async fn notify_batch(notifier: &Notifier, batch: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in batch.records {
        let message_id = record.message_id.unwrap_or_default();
        let outcome = match event_from_envelope(record.body.as_deref().unwrap_or_default()) {
            Ok(e) => notifier.handle(&e).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Delivery::Sent(id)) => tracing::info!(message = %id, "email sent"),
            Ok(Delivery::Duplicate) => {
                tracing::info!(record = %message_id, "duplicate event: no email")
            }
            Ok(Delivery::Ignored) => {}
            Err(e) => {
                tracing::warn!(record = %message_id, error = %e, "notification failed");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message_id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}
