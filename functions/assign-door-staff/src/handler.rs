//! POST /events/{eventId}/staff — the organiser assigns a door-staff account (by its email)
//! to the event: from then on it may check in the event's tickets. Assigning again changes
//! nothing. Answers the event's door staff.

use stagepass_api::prelude::*;
use stagepass_domain::catalog::{AssignDoorStaff, DoorStaffError};

pub const FUNCTION: Function = Function {
    name: "assign-door-staff",
    route: Some(Route::token("POST", "/events/{eventId}/staff", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Assignment {
    email: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let assign = Arc::new(AssignDoorStaff {
            catalog: w.catalog()?,
            identity: w.identity()?,
            clock: w.clock(),
        });
        let limits = w.limits();
        Ok(http(move |req| handle(assign.clone(), limits, req)))
    })
}

async fn handle(assign: Arc<AssignDoorStaff>, limits: Limits, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let input: Assignment = json_body(&req, limits.max_body_bytes)?;
            let event = assign.assign(&organiser, &id, &input.email).await?;
            Ok(json(200, &DoorStaffView::from(&event)))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Put a door-staff account on an event's door")
        .describe("The event's organiser or an admin. Assigning again changes nothing.")
        .body::<Assignment>(json!({"email": "door-1@example.com"}))
        .answers::<DoorStaffView>(200, "The event's door staff")
        .link(200, "remove", "remove-door-staff", json!({"eventId": "$response.body#/event_id", "userId": "$response.body#/door_staff/0/user_id"}))
        .errors([
            ApiError::Forbidden(String::new()),
            DoorStaffError::InvalidEmail.into(),
            DoorStaffError::EventNotFound(String::new()).into(),
            DoorStaffError::DoorAccountNotFound.into(),
            DoorStaffError::TooManyDoorStaff.into(),
            DoorStaffError::EventCancelled.into(),
            DoorStaffError::ConcurrentModification.into(),
        ])
}
