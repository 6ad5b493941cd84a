//! POST /events/{eventId}/publish — validate the layout and put the event on sale.

use stagepass_api::prelude::*;
use stagepass_domain::catalog::Catalog;

pub const FUNCTION: Function = Function {
    name: "publish-event",
    route: Some(Route::token("POST", "/events/{eventId}/publish")),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let catalog = Arc::new(stagepass_api::wiring::catalog(w)?);
        Ok(http(move |req| handle(catalog.clone(), req)))
    })
}

async fn handle(catalog: Arc<Catalog>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let event = catalog.publish_event(&organiser, &id).await?;
            Ok(json(200, &EventView::new(&event, None)))
        }
        .await,
    )
}
