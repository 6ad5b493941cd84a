//! POST /events/{eventId}/cancel — the organiser cancels the event: off sale at once, 202;
//! its bookings are refunded in the background (`cancel-event-bookings`), the progress on
//! the event (`GET /events/{eventId}`). Asking again restarts a stalled cancellation.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::CatalogError;
use stagepass_domain::EventStatus;
use stagepass_domain::catalog::CancelEvent;
use stagepass_domain::catalog::event::CancellationProgress;

pub const FUNCTION: Function = Function {
    name: "cancel-event",
    route: Some(Route::token("POST", "/events/{eventId}/cancel", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let cancel = Arc::new(CancelEvent {
            catalog: w.catalog()?,
            queue: w.cancellations()?,
            clock: w.clock(),
        });
        let handler = http(move |req| handle(cancel.clone(), req));
        idempotent(w, handler)
    })
}

async fn handle(cancel: Arc<CancelEvent>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = fresh_caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let event = cancel.cancel_event(&organiser, &id).await?;
            // 202 while bookings are still being cancelled; 200 once every one has been.
            let status = match event.status {
                EventStatus::Cancelled => 200,
                _ => 202,
            };
            Ok(json(
                status,
                &Cancelled {
                    event_id: event.id.as_str(),
                    status: event.status,
                    cancellation: event.cancellation.as_ref(),
                },
            ))
        }
        .await,
    )
}

/// A cancelled event and how far the refunding of its bookings has got.
#[derive(Serialize, ToSchema)]
struct Cancelled<'a> {
    event_id: &'a str,
    /// `cancelling`, then `cancelled` once every booking has been.
    status: EventStatus,
    cancellation: Option<&'a CancellationProgress>,
}

fn doc() -> Doc {
    Doc::new("Cancel an event: off sale at once, every booking refunded")
        .describe("Asking again restarts a stalled cancellation.")
        .idempotent()
        .answers::<Cancelled>(
            202,
            "Off sale; bookings are being refunded in the background",
        )
        .answers::<Cancelled>(200, "Every booking has been cancelled")
        .errors([
            ApiError::Forbidden(String::new()),
            ApiError::TokenExpired,
            CatalogError::EventNotFound(String::new()).into(),
            CatalogError::ConcurrentModification.into(),
        ])
}
