//! POST /events/{eventId}/holds — hold seats and/or GA places, all or nothing.

use stagepass_api::prelude::*;
use stagepass_api::wiring::admissions;
use stagepass_domain::HoldError;
use stagepass_domain::holds::HoldSeats;
use stagepass_domain::{HoldRequest, KeyUse};

pub const FUNCTION: Function = Function {
    name: "hold-seats",
    route: Some(Route::token("POST", "/events/{eventId}/holds", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let holds = Arc::new(
            HoldSeats::new(
                w.catalog()?,
                w.inventory()?,
                w.rate_limiter()?,
                w.clock(),
                w.hold_settings()?,
            )
            .with_admissions(admissions(w).await?),
        );
        let limits = w.limits();
        let handler = http(move |req| handle(holds.clone(), limits, req));
        idempotent(w, handler)
    })
}

async fn handle(holds: Arc<HoldSeats>, limits: Limits, req: Request) -> Response<Body> {
    respond(
        async {
            let holder = fresh_caller(&req)?;
            holder.require_buyer()?;
            let buyer = holder.buyer();
            let id = event_id(&req)?;
            // The hold id is derived from this use of the Idempotency-Key (set by `idempotent`),
            // so even without the stored answer a retry finds the hold the first attempt made.
            let key = req.extensions().get::<KeyUse>().cloned();
            let request: HoldRequest = json_body(&req, limits.max_body_bytes)?;
            let outcome = holds
                .hold_admitted(&buyer, &id, &request, key.as_ref(), admission_token(&req))
                .await?;
            let status = if outcome.created { 201 } else { 200 };
            Ok(json(status, &HoldView::new(&outcome.hold, holds.now())))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Hold seats and general-admission places, all or nothing")
        .describe(
            "Fans, guests and admins. A hold lasts a few minutes; check it out with POST /bookings. \
             While the event's waiting room guards its on-sale, send the admission token it gave \
             you in the Admission-Token header.",
        )
        .body::<HoldRequest>(json!({"seats": ["A-1-1", "A-1-2"], "ga": [{"area": "floor", "quantity": 2}]}))
        .idempotent()
        .admitted()
        .answers::<HoldView>(201, "The hold")
        .link_with_body(
            201,
            "check_out",
            "checkout",
            json!({}),
            Some(json!({"hold_id": "$response.body#/id", "payment_method": "pm_card_visa"})),
        )
        .link(201, "release", "release-hold", json!({"holdId": "$response.body#/id"}))
        .answers::<HoldView>(200, "The same hold again (an Idempotency-Key replay)")
        .errors([
            ApiError::Forbidden(String::new()),
            ApiError::TokenExpired,
            HoldError::EmptySeatList.into(),
            HoldError::DuplicateSeats { seats: vec![] }.into(),
            HoldError::UnknownSeats { seats: vec![] }.into(),
            HoldError::TooManySeats { max: 0, asked: 0 }.into(),
            HoldError::EventNotFound(String::new()).into(),
            HoldError::EventNotOnSale.into(),
            HoldError::SeatsUnavailable { seats: vec![] }.into(),
            HoldError::NotEnoughPlaces { area: String::new(), available: 0 }.into(),
            HoldError::HoldLimitReached { held: 0, limit: 0 }.into(),
            HoldError::QueueTokenRequired.into(),
            HoldError::RateLimited { retry_after_secs: 0 }.into(),
        ])
}
