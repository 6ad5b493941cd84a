//! GET /events/{eventId}/sales — the organiser's sales figures for an event, as the
//! `count-sales` subscriber has tallied them from the booking events.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::queue::{WaitingRooms, room_stats};
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
    /// Seats and places the event has.
    capacity: u64,
    /// Net tickets over capacity (0 to 1).
    sell_through: f64,
    /// The on-sale's waiting room, if it has one: queue length, admitted so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_room: Option<RoomView>,
}

impl<'a> SalesView<'a> {
    fn new(t: &'a SalesTally, capacity: u64, waiting_room: Option<RoomView>) -> Self {
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
            capacity,
            sell_through: if capacity == 0 {
                0.0
            } else {
                t.net_tickets().max(0) as f64 / capacity as f64
            },
            waiting_room,
        }
    }
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let view = Arc::new(Deps {
            sales: ViewSales {
                catalog: w.catalog()?,
                ledger: w.sales()?,
            },
            rooms: w.waiting_rooms()?,
            clock: w.clock(),
        });
        Ok(http(move |req| handle(view.clone(), req)))
    })
}

struct Deps {
    sales: ViewSales,
    rooms: Arc<dyn WaitingRooms>,
    clock: Arc<dyn stagepass_domain::Clock>,
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            // The sales view checks the caller may manage the event first.
            let (tally, capacity) = deps.sales.view(&organiser, &id).await?;
            let room = room_stats(deps.rooms.as_ref(), &id, deps.clock.now())
                .await?
                .map(|stats| RoomView::new(&id, &stats));
            // The figures change with every booking: never from a cache.
            Ok(no_store(json(200, &SalesView::new(&tally, capacity, room))))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("An event's sales so far")
        .describe("The event's organiser or an admin. Counted from the booking events by the `count-sales` subscriber, so a booking appears a moment after it is confirmed. With a waiting room: its queue length and admissions so far.")
        .answers::<SalesView>(200, "The sales figures")
        .errors([
            ApiError::Forbidden(String::new()),
            SalesError::EventNotFound(String::new()).into(),
        ])
}
