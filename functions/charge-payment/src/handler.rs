//! Saga step `ChargePayment`: charge the booking's total once.

use stagepass_api::prelude::*;
use stagepass_saga::ChargePayment;

pub const FUNCTION: Function = Function {
    name: "charge-payment",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(ChargePayment {
            bookings: w.bookings()?,
            catalog: w.catalog()?,
            payments: w.payments()?,
            clock: w.clock(),
        })))
    })
}
