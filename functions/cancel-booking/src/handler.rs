//! POST /bookings/{bookingId}/cancel — the buyer cancels before the event: refunded in full.

use stagepass_api::prelude::*;
use stagepass_domain::BookingError;
use stagepass_domain::bookings::{CancelBooking, Settlement};

pub const FUNCTION: Function = Function {
    name: "cancel-booking",
    route: Some(Route::token("POST", "/bookings/{bookingId}/cancel", doc)),
    wire,
};

struct Deps {
    cancel: CancelBooking,
    views: BookingViews,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            cancel: CancelBooking {
                settlement: Settlement {
                    inventory: w.inventory()?,
                    bookings: w.bookings()?,
                    payments: w.payments()?,
                    clock: w.clock(),
                },
            },
            views: BookingViews::wire(w).await?,
        });
        let handler = http(move |req| handle(deps.clone(), req));
        idempotent(w, handler)
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = fresh_caller(&req)?;
            who.require_buyer()?;
            let id = booking_id(&req)?;
            let booking = deps
                .cancel
                .cancel(&who.actor(), who.email_verified, &id)
                .await?;
            let view = deps.views.view(&booking);
            Ok(json(200, &view.await?))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Cancel a confirmed booking before the event: full refund")
        .idempotent()
        .answers::<BookingView>(200, "The booking, cancelled (refunded: true)")
        .errors([
            ApiError::TokenExpired,
            BookingError::BookingNotFound(String::new()).into(),
            BookingError::BookingNotCancellable(String::new()).into(),
            BookingError::EventStarted.into(),
            BookingError::EmailNotVerified.into(),
        ])
}
