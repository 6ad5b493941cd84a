//! PATCH /events/{eventId} — change fields of a draft.

use stagepass_api::prelude::*;
use stagepass_domain::EventChanges;
use stagepass_domain::catalog::Catalog;

pub const FUNCTION: Function = Function {
    name: "update-event",
    route: Some(Route::token("PATCH", "/events/{eventId}")),
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
            let id = event_id(&req)?;
            let changes: EventChanges = json_body(&req, limits.max_body_bytes)?;
            let event = catalog.update_event(&organiser, &id, changes).await?;
            Ok(json(200, &EventView::new(&event, None)))
        }
        .await,
    )
}
