//! Saga step `ConfirmBooking`: confirm, with its integration events in the same write.

use stagepass_api::prelude::*;
use stagepass_saga::ConfirmBooking;

pub const FUNCTION: Function = Function {
    name: "confirm-booking",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(ConfirmBooking {
            bookings: w.bookings()?,
            clock: w.clock(),
        })))
    })
}
