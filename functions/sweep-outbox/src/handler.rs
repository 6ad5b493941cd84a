//! The outbox sweeper, every few minutes: publishes the outbox events still there a few
//! minutes after they were written (the stream relay failed on them, gave up after an hour,
//! or the stream dropped them), then removes them. Consumers deduplicate by event id, so an
//! event the relay also publishes is acted on once.

use stagepass_api::prelude::*;
use stagepass_domain::integration::outbox::{OutboxRelay, stranded_after};

pub const FUNCTION: Function = Function {
    name: "sweep-outbox",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let relay = Arc::new(OutboxRelay {
            store: w.bookings()?,
            bus: w.bus()?,
            clock: w.clock(),
        });
        Ok(Handler::Scheduled(Arc::new(move |_schedule| {
            let relay = relay.clone();
            Box::pin(async move {
                match relay.publish_older_than(stranded_after()).await {
                    Ok(published) => {
                        if published > 0 {
                            tracing::warn!(published, "published events the relay left behind");
                        }
                        Ok(serde_json::json!({ "published": published }))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "outbox sweep failed; the next run retries");
                        Err(e.to_string())
                    }
                }
            })
        })))
    })
}
