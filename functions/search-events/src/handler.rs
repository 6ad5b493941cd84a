//! GET /events — search published events.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::CatalogError;
use stagepass_domain::catalog::Catalog;
use stagepass_domain::catalog::event::Category;
use stagepass_domain::catalog::search::SearchParams;

pub const FUNCTION: Function = Function {
    name: "search-events",
    route: Some(Route::public("GET", "/events", doc)),
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
                &SearchPage {
                    events,
                    next_cursor: page.next_cursor,
                },
            ))
        }
        .await,
    )
}

/// A page of search results.
#[derive(Serialize, ToSchema)]
struct SearchPage<'a> {
    events: Vec<EventSummary<'a>>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

fn doc() -> Doc {
    Doc::new("Search published events")
        .query(
            "city",
            "A city, matched case- and space-insensitively",
            json!({"type": "string", "minLength": 1, "maxLength": 100}),
        )
        .query_of::<Category>("category", "One category")
        .query(
            "from",
            "Events starting at or after this RFC 3339 time (default: now)",
            json!({"type": "string", "format": "date-time"}),
        )
        .query(
            "to",
            "Events starting at or before this RFC 3339 time",
            json!({"type": "string", "format": "date-time"}),
        )
        .query(
            "limit",
            "Events per page, default 20",
            json!({"type": "integer", "minimum": 1, "maximum": 100}),
        )
        .query(
            "cursor",
            "The next_cursor of the previous page",
            json!({"type": "string"}),
        )
        .answers::<SearchPage>(200, "Events by start time")
        .errors([
            CatalogError::invalid("", "").into(),
            CatalogError::InvalidCursor.into(),
        ])
}
