//! POST /events — an organiser creates a draft.

use stagepass_api::prelude::*;
use stagepass_domain::NewEvent;
use stagepass_domain::catalog::Catalog;

pub const FUNCTION: Function = Function {
    name: "create-event",
    route: Some(Route::token("POST", "/events")),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let catalog = Arc::new(stagepass_api::wiring::catalog(w)?);
        let limits = w.limits();
        Ok(http(move |req| handle(catalog.clone(), limits, req)))
    })
}

async fn handle(catalog: Arc<Catalog>, limits: Limits, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let input: NewEvent = json_body(&req, limits.max_body_bytes)?;
            let event = catalog.create_event(&organiser, input).await?;
            Ok(with_location(
                json(201, &EventView::new(&event, None)),
                format!("/events/{}", event.id),
            ))
        }
        .await,
    )
}
