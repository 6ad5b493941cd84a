//! The OpenAPI document of every function's route (`stagepass_api::openapi`), as checked in at
//! `shared/api/openapi.json` and served by the `openapi` function.

use crate::functions::ALL;
use stagepass_api::openapi::{Documented, document as of_routes};

pub fn document() -> utoipa::openapi::OpenApi {
    of_routes(ALL.iter().filter_map(|f| {
        Some(Documented {
            function: f.name,
            route: f.route.as_ref()?,
        })
    }))
}

/// The document as the checked-in file has it: pretty-printed, with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&stagepass_api::openapi::to_json(&document()))
        .expect("the document serialises");
    text.push('\n');
    text
}
