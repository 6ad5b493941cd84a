//! POST /checkins — door staff scan a ticket's QR payload: admitted once, and only by door
//! staff assigned to the ticket's event (`POST /events/{eventId}/staff`) or an admin.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::CheckInError;
use stagepass_domain::checkin::CheckIn;

pub const FUNCTION: Function = Function {
    name: "check-in",
    route: Some(Route::token("POST", "/checkins", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckInRequest {
    qr: String,
    gate: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let check_in = Arc::new(CheckIn {
            catalog: w.catalog()?,
            bookings: w.bookings()?,
            verifier: w.ticket_verifier().await?,
            clock: w.clock(),
        });
        let limits = w.limits();
        let handler = http(move |req| handle(check_in.clone(), limits, req));
        idempotent(w, handler)
    })
}

async fn handle(check_in: Arc<CheckIn>, limits: Limits, req: Request) -> Response<Body> {
    respond(
        async {
            let door = fresh_caller(&req)?.require_door()?;
            let input: CheckInRequest = json_body(&req, limits.max_body_bytes)?;
            let gate = input.gate.trim();
            if gate.is_empty() || gate.chars().count() > 40 || gate.chars().any(char::is_control) {
                return Err(ApiError::invalid(
                    "gate",
                    "must be 1-40 printable characters",
                ));
            }
            let (booking, ticket) = check_in.check_in(&door, &input.qr, gate).await?;
            let t = booking
                .ticket(&ticket)
                .expect("checked in a ticket of this booking");
            Ok(json(
                200,
                &Admitted {
                    status: "admitted",
                    ticket_id: &t.id,
                    seat: t.unit.as_str(),
                    event_id: booking.event_id.as_str(),
                    checked_in_at: t.checked_in.as_ref().map(|c| c.at),
                    gate,
                },
            ))
        }
        .await,
    )
}

/// An admitted ticket.
#[derive(Serialize, ToSchema)]
struct Admitted<'a> {
    /// Always `admitted`.
    status: &'static str,
    ticket_id: &'a str,
    seat: &'a str,
    event_id: &'a str,
    checked_in_at: Option<chrono::DateTime<chrono::Utc>>,
    gate: &'a str,
}

fn doc() -> Doc {
    Doc::new("Scan a ticket in at the door: valid once")
        .describe("Door staff assigned to the ticket's event, and admins.")
        .body::<CheckInRequest>(json!({"qr": "<the QR code's text>", "gate": "North"}))
        .idempotent()
        .answers::<Admitted>(200, "Admitted")
        .errors([
            ApiError::Forbidden(String::new()),
            ApiError::TokenExpired,
            CheckInError::TicketNotRecognised.into(),
            CheckInError::NotAssignedToEvent.into(),
            CheckInError::TicketVoid(String::new()).into(),
            CheckInError::TicketAlreadyUsed {
                at: String::new(),
                gate: String::new(),
            }
            .into(),
        ])
}
