//! DELETE /events/{eventId}/staff/{userId} — the organiser takes a door-staff account off the
//! event: its next scan of the event's tickets is refused. Taking off someone who is not on
//! it changes nothing. Answers the event's door staff.

use stagepass_api::prelude::*;
use stagepass_domain::UserId;
use stagepass_domain::catalog::{DoorStaffError, RemoveDoorStaff};

pub const FUNCTION: Function = Function {
    name: "remove-door-staff",
    route: Some(Route::token(
        "DELETE",
        "/events/{eventId}/staff/{userId}",
        doc,
    )),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let remove = Arc::new(RemoveDoorStaff {
            catalog: w.catalog()?,
            clock: w.clock(),
        });
        Ok(http(move |req| handle(remove.clone(), req)))
    })
}

async fn handle(remove: Arc<RemoveDoorStaff>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let user = UserId::new(path_param(&req, "userId").unwrap_or_default());
            let event = remove.remove(&organiser, &id, &user).await?;
            Ok(json(200, &DoorStaffView::from(&event)))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Take a door-staff account off an event's door")
        .describe("Someone not on it: no change.")
        .answers::<DoorStaffView>(200, "The event's door staff")
        .errors([
            ApiError::Forbidden(String::new()),
            DoorStaffError::EventNotFound(String::new()).into(),
            DoorStaffError::EventCancelled.into(),
            DoorStaffError::ConcurrentModification.into(),
        ])
}
