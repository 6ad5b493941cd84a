//! POST /events/{eventId}/publish — validate the layout and put the event on sale.

use stagepass_api::prelude::*;
use stagepass_domain::CatalogError;
use stagepass_domain::catalog::Catalog;

pub const FUNCTION: Function = Function {
    name: "publish-event",
    route: Some(Route::token("POST", "/events/{eventId}/publish", doc)),
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
            Ok(json(200, &EventView::new(&event)))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Publish a draft: validate it and put it on sale")
        .describe("A published event is frozen: holds and tickets point into its layout.")
        .answers::<EventView>(200, "The published event")
        // A place in the `floor` area of the example event; any seat or area of it will do.
        .link_with_body(
            200,
            "hold",
            "hold-seats",
            json!({"eventId": "$response.body#/id"}),
            Some(json!({"ga": [{"area": "floor", "quantity": 1}]})),
        )
        .link(
            200,
            "read",
            "get-event",
            json!({"eventId": "$response.body#/id"}),
        )
        .link(
            200,
            "cancel",
            "cancel-event",
            json!({"eventId": "$response.body#/id"}),
        )
        .errors([
            ApiError::Forbidden(String::new()),
            CatalogError::StartTimeInPast.into(),
            CatalogError::NotPublishable(String::new()).into(),
            CatalogError::EventNotFound(String::new()).into(),
            CatalogError::EventNotDraft.into(),
            CatalogError::ConcurrentModification.into(),
        ])
}
