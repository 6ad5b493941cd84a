//! POST /bookings/{bookingId}/cancel — the buyer cancels before the event: refunded in full.

use stagepass_api::prelude::*;
use stagepass_domain::bookings::{CancelBooking, Settlement};
use stagepass_domain::{TicketFiles, TicketSigner};

pub const FUNCTION: Function = Function {
    name: "cancel-booking",
    route: Some(Route::token("POST", "/bookings/{bookingId}/cancel")),
    wire,
};

struct Deps {
    cancel: CancelBooking,
    files: Arc<dyn TicketFiles>,
    signer: Arc<dyn TicketSigner>,
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
            files: w.files()?,
            signer: w.tokens().await?,
        });
        let handler = http(move |req| handle(deps.clone(), req));
        Ok(idempotent(w.idempotency()?, w.clock(), w.limits(), handler))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            who.require_buyer()?;
            let id = booking_id(&req)?;
            let booking = deps.cancel.cancel(&who.actor(), &id).await?;
            let view = BookingView::new(&booking, deps.files.as_ref(), deps.signer.as_ref());
            Ok(json(200, &view.await?))
        }
        .await,
    )
}
