//! GET /openapi.json — the API's OpenAPI 3.1 document, for client generators and tools.
//! It is `shared/api/openapi.json`, built from every route's `doc` (a test keeps the file
//! equal to what the code says), compiled in: no store, no settings.

use stagepass_api::prelude::*;

pub const FUNCTION: Function = Function {
    name: "openapi",
    route: Some(Route::public("GET", "/openapi.json", doc)),
    wire,
};

const DOCUMENT: &str = include_str!("../../../shared/api/openapi.json");

fn wire(_: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        Ok(http(|_req| async {
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("cache-control", "public, max-age=300")
                .body(Body::Text(DOCUMENT.to_string()))
                .expect("a valid response")
        }))
    })
}

fn doc() -> Doc {
    Doc::new("This document: the API in OpenAPI 3.1").answers_object(200, "The OpenAPI document")
}
