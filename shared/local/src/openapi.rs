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
    let mut doc = serde_json::to_value(document()).expect("the document serialises");
    link_field_names(&mut doc);
    let mut text = serde_json::to_string_pretty(&doc).expect("the document serialises");
    text.push('\n');
    text
}

/// utoipa 5.5 writes a Link's `operationId` and `requestBody` as `operation_id` and
/// `request_body`, which OpenAPI does not know (the validator refuses them and clients would
/// ignore the links): rename them to the specification's names.
fn link_field_names(doc: &mut serde_json::Value) {
    let responses = doc
        .get_mut("paths")
        .and_then(|p| p.as_object_mut())
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|path| path.as_object_mut())
        .flat_map(|ops| ops.values_mut())
        .filter_map(|op| op.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let links = response.get_mut("links").and_then(|l| l.as_object_mut());
        for link in links.into_iter().flat_map(|l| l.values_mut()) {
            let Some(link) = link.as_object_mut() else {
                continue;
            };
            for (from, to) in [
                ("operation_id", "operationId"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(from) {
                    link.insert(to.into(), value);
                }
            }
        }
    }
}
