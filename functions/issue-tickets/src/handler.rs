//! Saga step `IssueTickets`: one PDF ticket with a signed QR code per seat.

use stagepass_api::prelude::*;
use stagepass_saga::IssueTickets;

pub const FUNCTION: Function = Function {
    name: "issue-tickets",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(Handler::Step(Arc::new(IssueTickets {
            bookings: w.bookings()?,
            files: w.files()?,
            signer: w.ticket_signer().await?,
            renderer: w.ticket_renderer(),
            clock: w.clock(),
        })))
    })
}
