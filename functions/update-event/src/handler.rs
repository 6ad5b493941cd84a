//! PATCH /events/{eventId} — change fields of a draft.

use stagepass_api::prelude::*;
use stagepass_domain::CatalogError;
use stagepass_domain::EventChanges;
use stagepass_domain::catalog::Catalog;

pub const FUNCTION: Function = Function {
    name: "update-event",
    route: Some(Route::token("PATCH", "/events/{eventId}", doc)),
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
            Ok(json(200, &EventView::new(&event)))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Change fields of a draft")
        .describe("Any subset of the create fields; each one present replaces the draft's.")
        .body::<EventChanges>(json!({"title": "Night Show II"}))
        .answers::<EventView>(200, "The draft as it now is")
        .errors([
            ApiError::Forbidden(String::new()),
            CatalogError::StartTimeInPast.into(),
            CatalogError::NegativePrice {
                field: String::new(),
            }
            .into(),
            CatalogError::InvalidLayout(String::new()).into(),
            CatalogError::EventNotFound(String::new()).into(),
            CatalogError::EventNotDraft.into(),
            CatalogError::ConcurrentModification.into(),
        ])
}
