//! POST /events — an organiser creates a draft.

use stagepass_api::prelude::*;
use stagepass_domain::CatalogError;
use stagepass_domain::NewEvent;
use stagepass_domain::catalog::Catalog;

pub const FUNCTION: Function = Function {
    name: "create-event",
    route: Some(Route::token("POST", "/events", doc)),
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
                json(201, &EventView::new(&event)),
                format!("/events/{}", event.id),
            ))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Create a draft event")
        .describe("Organisers and admins. The draft is the organiser's until published.")
        .body::<NewEvent>(json!({
            "title": "Night Show", "description": "Doors 19:00", "category": "concert",
            "venue": {"name": "The Hall", "city": "London"},
            "starts_at": "2027-05-01T19:30:00Z", "currency": "GBP",
            "price_tiers": [{"id": "std", "name": "Standard", "price": 4500}],
            "layout": {"sections": [{"id": "A", "name": "Stalls", "tier": "std",
                                     "rows": [{"label": "1", "seats": 10}]}],
                       "ga_areas": [{"id": "floor", "name": "Standing", "tier": "std",
                                     "capacity": 100}]}
        }))
        .answers::<EventView>(201, "The draft, with a Location header")
        .link(
            201,
            "publish",
            "publish-event",
            json!({"eventId": "$response.body#/id"}),
        )
        .link(
            201,
            "edit",
            "update-event",
            json!({"eventId": "$response.body#/id"}),
        )
        .link(
            201,
            "read",
            "get-event",
            json!({"eventId": "$response.body#/id"}),
        )
        .link(
            201,
            "assign_door_staff",
            "assign-door-staff",
            json!({"eventId": "$response.body#/id"}),
        )
        .link(
            201,
            "cancel",
            "cancel-event",
            json!({"eventId": "$response.body#/id"}),
        )
        .errors([
            ApiError::Forbidden(String::new()),
            CatalogError::StartTimeInPast.into(),
            CatalogError::NegativePrice {
                field: String::new(),
            }
            .into(),
            CatalogError::InvalidLayout(String::new()).into(),
        ])
}
