//! GET /events — search published events.

use stagepass_api::prelude::*;
use stagepass_domain::catalog::Catalog;
use stagepass_domain::catalog::search::SearchParams;

pub const FUNCTION: Function = Function {
    name: "search-events",
    route: Some(Route::public("GET", "/events")),
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
            let params = SearchParams {
                city: query_param(&req, "city"),
                category: query_param(&req, "category"),
                from: query_param(&req, "from"),
                to: query_param(&req, "to"),
                limit: query_param(&req, "limit"),
                cursor: query_param(&req, "cursor"),
            };
            let page = catalog.search(&params).await?;
            let events: Vec<EventSummary> = page.events.iter().map(EventSummary::from).collect();
            Ok(json(
                200,
                &json!({ "events": events, "next_cursor": page.next_cursor }),
            ))
        }
        .await,
    )
}
