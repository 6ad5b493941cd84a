//! POST /bookings — check out a live hold. Answers 202 at once with the pending booking; the
//! saga confirms or fails it (poll `GET /bookings/{id}`).

use stagepass_api::prelude::*;
use stagepass_api::wiring::admissions;
use stagepass_domain::bookings::{Buyer, Checkout};
use stagepass_domain::{BookingError, BuyerRate, HoldId, PaymentMethod};

pub const FUNCTION: Function = Function {
    name: "checkout",
    route: Some(Route::token("POST", "/bookings", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckoutRequest {
    hold_id: String,
    /// A payment method token (`pm_…`) from the provider's client SDK, never a card number.
    payment_method: String,
}

struct Deps {
    checkout: Checkout,
    views: BookingViews,
    limits: Limits,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            checkout: Checkout {
                catalog: w.catalog()?,
                inventory: w.inventory()?,
                bookings: w.bookings()?,
                workflow: w.workflow()?,
                clock: w.clock(),
                rate: BuyerRate::new(
                    w.rate_limiter()?,
                    w.clock(),
                    "checkouts",
                    w.hold_settings()?.checkouts_per_minute,
                ),
                admissions: Some(admissions(w).await?),
            },
            views: BookingViews::wire(w).await?,
            limits: w.limits(),
        });
        let handler = http(move |req| handle(deps.clone(), req));
        idempotent(w, handler)
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = fresh_caller(&req)?;
            who.require_buyer()?;
            let input: CheckoutRequest = json_body(&req, deps.limits.max_body_bytes)?;
            // The payment method first: a card number is refused whatever else is wrong.
            let method = PaymentMethod::parse(&input.payment_method)?;
            let hold_id = HoldId::parse(&input.hold_id)
                .ok_or_else(|| BookingError::HoldNotFound(input.hold_id.clone()))?;
            let email = who.email.as_ref().ok_or_else(|| {
                ApiError::Forbidden("this token has no email to send the tickets to".into())
            })?;
            let buyer = Buyer {
                user: who.user.clone(),
                email: email.as_str().to_string(),
            };
            let outcome = deps
                .checkout
                .checkout_admitted(&buyer, &hold_id, method, admission_token(&req))
                .await?;
            let view = deps.views.view(&outcome.booking).await?;
            Ok(with_location(
                json(if outcome.created { 202 } else { 200 }, &view),
                format!("/bookings/{}", outcome.booking.id),
            ))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Check out a hold: start the booking")
        .describe(
            "Answers at once with the pending booking; poll GET /bookings/{bookingId} until \
             confirmed or failed. Test payment methods: pm_card_visa, pm_card_chargeDeclined, ...",
        )
        .body::<CheckoutRequest>(json!({"hold_id": "5a3e0000-0000-4000-8000-000000000001", "payment_method": "pm_card_visa"}))
        .idempotent()
        .admitted()
        .answers::<BookingView>(202, "The booking, pending, with a Location header")
        .link(202, "read", "get-booking", json!({"bookingId": "$response.body#/id"}))
        .link(202, "cancel", "cancel-booking", json!({"bookingId": "$response.body#/id"}))
        .answers::<BookingView>(200, "The booking this hold already made")
        .errors([
            ApiError::Forbidden(String::new()),
            ApiError::TokenExpired,
            BookingError::InvalidPaymentMethod(String::new()).into(),
            BookingError::CardNumberRefused.into(),
            BookingError::HoldNotFound(String::new()).into(),
            BookingError::HoldExpired(String::new()).into(),
            BookingError::HoldNotActive(String::new()).into(),
            BookingError::EventNotOnSale.into(),
            BookingError::EventStarted.into(),
            BookingError::EventCancelled.into(),
            BookingError::QueueTokenRequired.into(),
            BookingError::RateLimited { retry_after_secs: 0 }.into(),
        ])
}
