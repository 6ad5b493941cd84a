//! POST /events/{eventId}/queue — a fan (or a guest) takes their one place in the event's
//! waiting room; joining again answers the same place.

use stagepass_api::prelude::*;
use stagepass_api::views::QueueView;
use stagepass_api::wiring::waiting_room;
use stagepass_domain::queue::{QueueError, WaitingRoom};

pub const FUNCTION: Function = Function {
    name: "join-queue",
    route: Some(Route::token("POST", "/events/{eventId}/queue", doc)),
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
            let (status, created) = room.join(&fan.buyer(), &id).await?;
            let view = QueueView::new(&id, &status);
            Ok(view.reply(if created { 201 } else { 200 }))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Join an on-sale's waiting room")
        .describe(
            "Fans and guests: one place per account or guest email. Before the opening your \
             place is drawn at random among the early arrivals; after it you queue in order of \
             arrival. Then ask GET /events/{eventId}/queue every retry_after_secs.",
        )
        .answers::<QueueView>(201, "Your place")
        .answers::<QueueView>(200, "You had already joined: your place")
        .link(
            201,
            "position",
            "queue-position",
            json!({"eventId": "$response.body#/event_id"}),
        )
        .errors([
            ApiError::Forbidden(String::new()),
            QueueError::EventNotFound(String::new()).into(),
            QueueError::NoWaitingRoom.into(),
            QueueError::WaitingRoomClosed.into(),
            QueueError::EventCancelled.into(),
        ])
}
