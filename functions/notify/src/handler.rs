//! The notification consumer: EventBridge → SQS → this → the mailer, one email per event id.
//! A message that is not a booking event it reads goes to its dead-letter queue at once, with
//! the reason.

use stagepass_api::prelude::*;
use stagepass_domain::MessageFailure;
use stagepass_domain::integration::consumer::{accept, fact};
use stagepass_domain::integration::events::BookingFields;
use stagepass_domain::notifications::notifier::NOTIFY_KINDS;
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
            links: w.access_signer().await?,
            from,
            public_url: w.public_url()?,
        });
        Ok(queue(w.dead_letters()?, move |body| {
            let notifier = notifier.clone();
            async move { notify(&notifier, &body).await }
        }))
    })
}

/// Mails buyers about the event one message carries, once per event id.
async fn notify(notifier: &Notifier, body: &str) -> Result<(), MessageFailure> {
    let event = accept(body, "notify", NOTIFY_KINDS)?;
    // Every booking event names its booking: one that does not is unusable, not ignorable.
    fact::<BookingFields>(&event)?;
    match notifier.handle(&event).await? {
        Delivery::Sent(id) => tracing::info!(message = %id, "email sent"),
        Delivery::Duplicate => tracing::info!(event = %event.id, "duplicate event: no email"),
        Delivery::Ignored => {}
    }
    Ok(())
}
