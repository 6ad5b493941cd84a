//! GET /events/{eventId}/queue — where a fan stands in the event's waiting room, with an
//! estimated wait; once admitted, their admission token. Asking also moves admission on
//! (one asker at a time, at most once a second), so the room needs no scheduler.

use stagepass_api::prelude::*;
use stagepass_api::views::QueueView;
use stagepass_api::wiring::waiting_room;
use stagepass_domain::queue::{QueueError, WaitingRoom};

pub const FUNCTION: Function = Function {
    name: "queue-position",
    route: Some(Route::token("GET", "/events/{eventId}/queue", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let room = Arc::new(waiting_room(w).await?);
        Ok(http(move |req| handle(room.clone(), req)))
    })
}

async fn handle(room: Arc<WaitingRoom>, req: Request) -> Response<Body> {
    respond(
        async {
            let fan = caller(&req)?;
            fan.require_buyer()?;
            let id = event_id(&req)?;
            let status = room.position(&fan.buyer(), &id).await?;
            Ok(QueueView::new(&id, &status).reply(200))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Where you stand in an on-sale's waiting room")
        .describe(
            "Fans and guests who joined. While waiting: your position (none before the \
             opening, when the early arrivals' order is drawn) and an estimated wait from the \
             current rate; ask again after retry_after_secs (also the Retry-After header). \
             Once admitted: admission_token, to send as the Admission-Token header with holds \
             and checkouts until admission_expires_at.",
        )
        .answers::<QueueView>(200, "Your place, or your admission")
        .errors([
            ApiError::Forbidden(String::new()),
            QueueError::EventNotFound(String::new()).into(),
            QueueError::NoWaitingRoom.into(),
            QueueError::NotInQueue.into(),
            QueueError::EventCancelled.into(),
        ])
}
