//! Checkout, bookings, cancellations and check-in.

use super::respond;
use crate::app::App;
use crate::auth::{Role, caller};
use crate::error::ApiError;
use crate::request::{json_body, path_param, query_param};
use crate::response::json;
use crate::views::BookingView;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use stagepass_domain::{BookingId, Buyer, DomainError, EventId, HoldId, PaymentMethod};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutRequest {
    hold_id: String,
    payment_method: PaymentInput,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentInput {
    card: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInRequest {
    qr: String,
    gate: String,
}

fn booking_id(req: &Request) -> Result<BookingId, ApiError> {
    let raw = path_param(req, "bookingId").unwrap_or_default();
    BookingId::parse(&raw).ok_or_else(|| DomainError::BookingNotFound(raw).into())
}

/// POST /bookings — check out a live hold. Answers 202 at once with the pending booking; the
/// saga confirms or fails it (poll `GET /bookings/{id}`).
pub async fn checkout(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            who.require_buyer()?;
            let input: CheckoutRequest = json_body(&req, app.max_body_bytes)?;
            let hold_id = HoldId::parse(&input.hold_id)
                .ok_or_else(|| DomainError::HoldNotFound(input.hold_id.clone()))?;
            let method = PaymentMethod::parse(&input.payment_method.card)?;
            let email = who.email.as_ref().ok_or_else(|| {
                ApiError::Forbidden("this token has no email to send the tickets to".into())
            })?;
            let buyer = Buyer {
                user: who.user.clone(),
                email: email.as_str().to_string(),
            };
            let outcome = app.bookings.checkout(&buyer, &hold_id, method).await?;
            let view = BookingView::new(&outcome.booking, &app).await?;
            let mut response = json(if outcome.created { 202 } else { 200 }, &view);
            response.headers_mut().insert(
                "location",
                format!("/bookings/{}", outcome.booking.id)
                    .parse()
                    .expect("uuid path is a valid header"),
            );
            Ok(response)
        }
        .await,
    )
}

/// GET /bookings/{bookingId} — one of the caller's bookings.
pub async fn get_booking(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            let id = booking_id(&req)?;
            let booking = app.bookings.get(&who.actor(), &id).await?;
            Ok(json(200, &BookingView::new(&booking, &app).await?))
        }
        .await,
    )
}

/// GET /me/bookings — the caller's bookings, newest first (`limit`, default 20, at most 100).
pub async fn my_bookings(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            let limit = match query_param(&req, "limit") {
                None => 20,
                Some(raw) => raw
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| DomainError::invalid("limit", "must be 1-100"))?,
            };
            let bookings = app.bookings.mine(&who.user, limit).await?;
            let mut views = Vec::new();
            for b in &bookings {
                views.push(BookingView::new(b, &app).await?);
            }
            Ok(json(200, &json!({ "bookings": views })))
        }
        .await,
    )
}

/// POST /bookings/{bookingId}/cancel — the buyer cancels before the event: refunded in full.
pub async fn cancel_booking(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            who.require_buyer()?;
            let id = booking_id(&req)?;
            let booking = app.bookings.cancel(&who.actor(), &id).await?;
            Ok(json(200, &BookingView::new(&booking, &app).await?))
        }
        .await,
    )
}

/// POST /events/{eventId}/cancel — the organiser cancels the event; every booking is refunded.
pub async fn cancel_event(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let raw = path_param(&req, "eventId").unwrap_or_default();
            let id = EventId::parse(&raw).ok_or(DomainError::EventNotFound(raw))?;
            let (event, refunded) = app.bookings.cancel_event(&organiser, &id).await?;
            Ok(json(
                200,
                &json!({ "event_id": event.id, "status": event.status, "bookings_cancelled": refunded }),
            ))
        }
        .await,
    )
}

/// POST /checkins — door staff scan a ticket's QR payload.
pub async fn check_in(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            if !(who.has(Role::Door) || who.has(Role::Admin)) {
                return Err(ApiError::Forbidden("this route needs the door role".into()));
            }
            let input: CheckInRequest = json_body(&req, app.max_body_bytes)?;
            let gate = input.gate.trim();
            if gate.is_empty() || gate.chars().count() > 40 || gate.chars().any(char::is_control) {
                return Err(
                    DomainError::invalid("gate", "must be 1-40 printable characters").into(),
                );
            }
            let (booking, ticket) = app.bookings.check_in(&input.qr, gate).await?;
            let t = booking
                .ticket(&ticket)
                .expect("checked in a ticket of this booking");
            Ok(json(
                200,
                &json!({
                    "status": "admitted",
                    "ticket_id": t.id,
                    "seat": t.unit,
                    "event_id": booking.event_id,
                    "checked_in_at": t.checked_in.as_ref().map(|c| c.at),
                    "gate": gate,
                }),
            ))
        }
        .await,
    )
}
