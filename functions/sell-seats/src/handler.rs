//! Saga step `SellSeats`: mark the held seats sold.

use stagepass_api::prelude::*;
use stagepass_saga::SellSeats;

pub const FUNCTION: Function = Function {
    name: "sell-seats",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(SellSeats {
            bookings: w.bookings()?,
            catalog: w.catalog()?,
            inventory: w.inventory()?,
            clock: w.clock(),
        })))
    })
}
