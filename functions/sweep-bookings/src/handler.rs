//! The booking sweeper, every few minutes: every booking pending or cancelling and unchanged
//! for 2 minutes is finished. Pending: its saga is started (named by the booking, so a
//! running one is left alone), or, pending past any saga's lifetime, it is marked
//! `needs_attention`. Cancelling: the refund, the seats and the final write are done again
//! (each is idempotent).

use stagepass_api::prelude::*;
use stagepass_domain::bookings::Settlement;
use stagepass_domain::bookings::sweep::SweepBookings;

pub const FUNCTION: Function = Function {
    name: "sweep-bookings",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let sweeper = Arc::new(SweepBookings {
            workflow: w.workflow()?,
            settlement: Settlement {
                inventory: w.inventory()?,
                bookings: w.bookings()?,
                payments: w.payments()?,
                clock: w.clock(),
            },
        });
        Ok(Handler::Scheduled(Arc::new(move |_schedule| {
            let sweeper = sweeper.clone();
            Box::pin(async move {
                match sweeper.sweep().await {
                    Ok(report) => {
                        tracing::info!(?report, "booking sweep done");
                        Ok(serde_json::to_value(report).expect("reports serialise"))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "booking sweep failed; the next run retries");
                        Err(e.to_string())
                    }
                }
            })
        })))
    })
}
