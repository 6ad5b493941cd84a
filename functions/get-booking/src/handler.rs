//! GET /bookings/{bookingId} — one of the caller's bookings.

use stagepass_api::prelude::*;
use stagepass_domain::bookings::queries::visible_booking;
use stagepass_domain::{BookingStore, TicketFiles, TicketSigner};

pub const FUNCTION: Function = Function {
    name: "get-booking",
    route: Some(Route::token("GET", "/bookings/{bookingId}")),
    wire,
};

struct Deps {
    bookings: Arc<dyn BookingStore>,
    files: Arc<dyn TicketFiles>,
    signer: Arc<dyn TicketSigner>,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            bookings: w.bookings()?,
            files: w.files()?,
            signer: w.tokens().await?,
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
            let view = BookingView::new(&booking, deps.files.as_ref(), deps.signer.as_ref());
            Ok(json(200, &view.await?))
        }
        .await,
    )
}
