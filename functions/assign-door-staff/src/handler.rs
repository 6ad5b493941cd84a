//! POST /events/{eventId}/staff — the organiser assigns a door-staff account (by its email)
//! to the event: from then on it may check in the event's tickets. Assigning again changes
//! nothing. Answers the event's door staff.

use stagepass_api::prelude::*;
use stagepass_domain::catalog::AssignDoorStaff;

pub const FUNCTION: Function = Function {
    name: "assign-door-staff",
    route: Some(Route::token("POST", "/events/{eventId}/staff")),
    wire,
};

#[derive(Deserialize)]
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
