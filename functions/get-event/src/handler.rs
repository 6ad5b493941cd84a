//! GET /events/{eventId} — details and layout (its live state: `get-seat-map`). Drafts only for
//! their organiser.

use stagepass_api::prelude::*;
use stagepass_domain::CatalogError;
use stagepass_domain::catalog::EventDetail;

pub const FUNCTION: Function = Function {
    name: "get-event",
    route: Some(Route::public("GET", "/events/{eventId}", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let detail = Arc::new(EventDetail {
            catalog: w.catalog()?,
        });
        // A public route: the authorizer does not run, so a token sent is checked here.
        let keys = w.access_verifier().await?;
        Ok(http(move |req| handle(detail.clone(), keys.clone(), req)))
    })
}

async fn handle(
    detail: Arc<EventDetail>,
    keys: Arc<Keyring<Verifier>>,
    req: Request,
) -> Response<Body> {
    respond(
        async {
            let viewer = keys.optional_actor(&req).await?;
            let id = event_id(&req)?;
            let event = detail.event_detail(viewer.as_ref(), &id).await?;
            Ok(json(200, &EventView::new(&event)))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("An event with its layout")
        .describe(
            "Anyone, for a published event. Drafts and cancelled events only for their \
             organiser (send the token) and admins; for anyone else they do not exist.",
        )
        .optional_token()
        .answers::<EventView>(
            200,
            "The event and its layout; the seats' live state is GET /events/{eventId}/seat-map",
        )
        .errors([CatalogError::EventNotFound(String::new()).into()])
}
