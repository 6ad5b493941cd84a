//! PUT /events/{eventId}/waiting-room — the organiser switches an on-sale's waiting room on
//! (opening and closing time, admission rate), or changes it while it runs.

use stagepass_api::prelude::*;
use stagepass_domain::queue::{ConfigureRoom, QueueError, RoomRequest};

pub const FUNCTION: Function = Function {
    name: "configure-waiting-room",
    route: Some(Route::token("PUT", "/events/{eventId}/waiting-room", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let room = Arc::new(ConfigureRoom {
            catalog: w.catalog()?,
            rooms: w.waiting_rooms()?,
            clock: w.clock(),
        });
        let limits = w.limits();
        Ok(http(move |req| handle(room.clone(), limits, req)))
    })
}

async fn handle(room: Arc<ConfigureRoom>, limits: Limits, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let request: RoomRequest = json_body(&req, limits.max_body_bytes)?;
            let stats = room.configure(&organiser, &id, &request).await?;
            Ok(no_store(json(200, &RoomView::new(&id, &stats))))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Switch an on-sale's waiting room on, or change it live")
        .describe(
            "The event's organiser or an admin. Until closes_at, holds and checkouts for the \
             event need an admission token. Fans who join before opens_at draw a random place \
             among the early arrivals; later ones queue in order of arrival. admit_per_minute \
             may change at any time (0 pauses); opens_at may not change once the room has opened.",
        )
        .body::<RoomRequest>(json!({
            "opens_at": "2031-06-01T10:00:00Z",
            "closes_at": "2031-06-01T12:00:00Z",
            "admit_per_minute": 600,
            "admission_minutes": 20
        }))
        .answers::<RoomView>(200, "The room and its figures")
        .errors([
            ApiError::Forbidden(String::new()),
            QueueError::invalid("", "").into(),
            QueueError::EventNotFound(String::new()).into(),
            QueueError::WaitingRoomOpen.into(),
            QueueError::EventCancelled.into(),
        ])
}
