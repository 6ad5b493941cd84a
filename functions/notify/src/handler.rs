//! The notification consumer: EventBridge → SQS → this → the mailer, one email per event id.

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
            links: w.access_signer().await?,
            from,
            public_url: w.public_url()?,
        });
        Ok(queue(move |body| {
            let notifier = notifier.clone();
            async move { notify(&notifier, &body).await }
        }))
    })
}

/// Mails buyers about the event one message carries, once per event id.
async fn notify(notifier: &Notifier, body: &str) -> Result<(), String> {
    let event = event_from_envelope(body).map_err(|e| e.to_string())?;
    match notifier.handle(&event).await.map_err(|e| e.to_string())? {
        Delivery::Sent(id) => tracing::info!(message = %id, "email sent"),
        Delivery::Duplicate => tracing::info!(event = %event.id, "duplicate event: no email"),
        Delivery::Ignored => {}
    }
    Ok(())
}
