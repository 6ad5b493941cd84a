//! GET /me/bookings — the caller's bookings, newest first (`limit`, default 20, at most 100).

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::BookingStore;
use stagepass_domain::bookings::queries::bookings_of;

pub const FUNCTION: Function = Function {
    name: "my-bookings",
    route: Some(Route::token("GET", "/me/bookings", doc)),
    wire,
};

struct Deps {
    bookings: Arc<dyn BookingStore>,
    views: BookingViews,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            bookings: w.bookings()?,
            views: BookingViews::wire(w).await?,
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            let limit = match query_param(&req, "limit") {
                None => 20,
                Some(raw) => raw
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| ApiError::invalid("limit", "must be 1-100"))?,
            };
            let bookings = bookings_of(deps.bookings.as_ref(), &who.user, limit).await?;
            let mut views = Vec::new();
            for b in &bookings {
                views.push(deps.views.view(b).await?);
            }
            Ok(json(200, &MyBookings { bookings: views }))
        }
        .await,
    )
}

#[derive(Serialize, ToSchema)]
struct MyBookings {
    /// Newest first.
    bookings: Vec<BookingView>,
}

fn doc() -> Doc {
    Doc::new("The caller's bookings")
        .query(
            "limit",
            "Bookings to answer, default 20",
            json!({"type": "integer", "minimum": 1, "maximum": 100}),
        )
        .answers::<MyBookings>(200, "Newest first")
        .errors([ApiError::invalid("", "")])
}
