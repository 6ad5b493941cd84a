//! POST /events/{eventId}/cancel — the organiser cancels the event; every booking is refunded.

use stagepass_api::prelude::*;
use stagepass_domain::bookings::Settlement;
use stagepass_domain::catalog::CancelEvent;

pub const FUNCTION: Function = Function {
    name: "cancel-event",
    route: Some(Route::token("POST", "/events/{eventId}/cancel")),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let cancel = Arc::new(CancelEvent {
            catalog: w.catalog()?,
            settlement: Settlement {
                inventory: w.inventory()?,
                bookings: w.bookings()?,
                payments: w.payments()?,
                clock: w.clock(),
            },
        });
        let handler = http(move |req| handle(cancel.clone(), req));
        idempotent(w, handler)
    })
}

async fn handle(cancel: Arc<CancelEvent>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let (event, refunded) = cancel.cancel_event(&organiser, &id).await?;
            Ok(json(
                200,
                &json!({ "event_id": event.id, "status": event.status, "bookings_cancelled": refunded }),
            ))
        }
        .await,
    )
}
