//! The example subscriber: EventBridge rule (booking events) → SQS → this → its own DynamoDB
//! table. Adds each booking event to its event's sales tally once (the organiser's sales view,
//! `get-sales`, reads the tally). A message that is not a booking event it reads goes to its
//! dead-letter queue at once, with the reason.

use stagepass_api::prelude::*;
use stagepass_domain::sales::{CountSales, Counted};

pub const FUNCTION: Function = Function {
    name: "count-sales",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let count = Arc::new(CountSales {
            ledger: w.sales()?,
            clock: w.clock(),
        });
        Ok(queue(w.dead_letters()?, move |body| {
            let count = count.clone();
            async move {
                match count.handle(&body).await? {
                    Counted::Counted(event) => tracing::info!(%event, "sale counted"),
                    Counted::Duplicate => tracing::info!("already counted"),
                }
                Ok(())
            }
        }))
    })
}
