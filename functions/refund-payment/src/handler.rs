//! Saga compensation `RefundPayment`: refund whatever was charged, and fence later charges.

use stagepass_api::prelude::*;
use stagepass_saga::RefundPayment;

pub const FUNCTION: Function = Function {
    name: "refund-payment",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(RefundPayment {
            bookings: w.bookings()?,
            payments: w.payments()?,
            clock: w.clock(),
        })))
    })
}
