//! GET /bookings/{bookingId} — one of the caller's bookings.

use stagepass_api::prelude::*;
use stagepass_domain::BookingError;
use stagepass_domain::BookingStore;
use stagepass_domain::bookings::queries::visible_booking;

pub const FUNCTION: Function = Function {
    name: "get-booking",
    route: Some(Route::token("GET", "/bookings/{bookingId}", doc)),
    wire,
};

struct Deps {
    bookings: Arc<dyn BookingStore>,
    views: BookingViews,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            bookings: w.bookings()?,
            views: BookingViews::wire(w).await?,
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            let id = booking_id(&req)?;
            let booking = visible_booking(deps.bookings.as_ref(), &who.actor(), &id).await?;
            let view = deps.views.view(&booking);
            Ok(json(200, &view.await?))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("A booking: its status and, once confirmed, its tickets")
        .answers::<BookingView>(200, "The booking")
        .errors([BookingError::BookingNotFound(String::new()).into()])
}
