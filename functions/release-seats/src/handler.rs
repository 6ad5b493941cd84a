//! Saga compensation `ReleaseSeats`: put the booking's seats back on sale.

use stagepass_api::prelude::*;
use stagepass_saga::ReleaseSeats;

pub const FUNCTION: Function = Function {
    name: "release-seats",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(ReleaseSeats {
            bookings: w.bookings()?,
            inventory: w.inventory()?,
        })))
    })
}
