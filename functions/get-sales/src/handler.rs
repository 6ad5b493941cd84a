//! GET /events/{eventId}/sales — the organiser's sales figures for an event, as the
//! `count-sales` subscriber has tallied them from the booking events.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::sales::{SalesError, SalesTally, ViewSales};

pub const FUNCTION: Function = Function {
    name: "get-sales",
    route: Some(Route::token("GET", "/events/{eventId}/sales", doc)),
    wire,
};

/// An event's sales. Counted from the bus: a booking shows here a moment after it is
/// confirmed (usually within a second or two).
#[derive(Serialize, ToSchema)]
struct SalesView<'a> {
    event_id: &'a str,
    /// ISO 4217; every amount is in its minor units.
    currency: &'a str,
    /// Bookings confirmed (paid), including those later cancelled.
    bookings: i64,
    /// Tickets of those bookings.
    tickets_sold: i64,
    /// Their total charged.
    gross: i64,
    cancelled_bookings: i64,
    cancelled_tickets: i64,
    refunded: i64,
    /// Bookings that did not go ahead (nothing kept).
    failed_bookings: i64,
    /// Tickets still valid: sold minus cancelled.
    net_tickets: i64,
    /// Takings kept: gross minus refunded.
    net: i64,
    /// When a booking event was last counted.
    updated_at: String,
}

impl<'a> From<&'a SalesTally> for SalesView<'a> {
    fn from(t: &'a SalesTally) -> Self {
        let c = &t.counts;
        Self {
            event_id: t.event_id.as_str(),
            currency: &t.currency,
            bookings: c.bookings,
            tickets_sold: c.tickets,
            gross: c.gross,
            cancelled_bookings: c.cancelled_bookings,
            cancelled_tickets: c.cancelled_tickets,
            refunded: c.refunded,
            failed_bookings: c.failed_bookings,
            net_tickets: t.net_tickets(),
            net: t.net(),
            updated_at: t
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let view = Arc::new(ViewSales {
            catalog: w.catalog()?,
            ledger: w.sales()?,
        });
        Ok(http(move |req| handle(view.clone(), req)))
    })
}

async fn handle(view: Arc<ViewSales>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let tally = view.view(&organiser, &id).await?;
            // The figures change with every booking: never from a cache.
            Ok(no_store(json(200, &SalesView::from(&tally))))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("An event's sales so far")
        .describe("The event's organiser or an admin. Counted from the booking events by the `count-sales` subscriber, so a booking appears a moment after it is confirmed.")
        .answers::<SalesView>(200, "The sales figures")
        .errors([
            ApiError::Forbidden(String::new()),
            SalesError::EventNotFound(String::new()).into(),
        ])
}
