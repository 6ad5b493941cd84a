//! Saga compensation `FailBooking`: mark the booking failed with the caught error's reason.

use stagepass_api::prelude::*;
use stagepass_saga::FailBooking;

pub const FUNCTION: Function = Function {
    name: "fail-booking",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(FailBooking {
            bookings: w.bookings()?,
            clock: w.clock(),
        })))
    })
}
