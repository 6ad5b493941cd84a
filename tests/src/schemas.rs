//! The integration events' JSON Schemas: the checked-in files (`events/schemas/`), the
//! template's schema registry, and checking emitted events against them.

use serde_json::Value;
use stagepass_domain::integration::events::{SCHEMA_VERSION, schemas};
use std::collections::HashMap;

pub const SCHEMA_DIR: &str = "events/schemas";
pub const BEGIN: &str = "  # BEGIN event schemas";
pub const END: &str = "  # END event schemas";

pub fn file_name(kind: &str) -> String {
    format!("{kind}-v{SCHEMA_VERSION}.json")
}

/// Each schema as its file holds it.
pub fn files() -> Vec<(String, String)> {
    schemas()
        .into_iter()
        .map(|(kind, schema)| {
            let text = serde_json::to_string_pretty(&schema).expect("schemas serialise") + "\n";
            (file_name(kind), text)
        })
        .collect()
}

/// The template's registry and one `AWS::EventSchemas::Schema` per type and version, as the
/// lines between the markers.
pub fn registry_block() -> String {
    let mut out =
        format!("{BEGIN} (generated from the Rust event types by `make schemas`; do not edit)\n");
    out.push_str(
        "  EventSchemaRegistry:\n    Type: AWS::EventSchemas::Registry\n    Properties:\n      \
         RegistryName: !Sub \"stagepass-${AWS::StackName}\"\n      Description: JSON Schemas \
         (draft 4) of the integration events on the Stagepass bus, one per type and version.\n",
    );
    for (kind, schema) in schemas() {
        let content = serde_json::to_string(&schema).expect("schemas serialise");
        // A JSON string is a YAML double-quoted scalar.
        let quoted = serde_json::to_string(&content).expect("strings serialise");
        out.push_str(&format!(
            "  {kind}V{SCHEMA_VERSION}Schema:\n    Type: AWS::EventSchemas::Schema\n    Properties:\n      \
             RegistryName: !GetAtt EventSchemaRegistry.RegistryName\n      \
             SchemaName: stagepass@{kind}-v{SCHEMA_VERSION}\n      Type: JSONSchemaDraft4\n      \
             Description: {}\n      Content: {quoted}\n",
            serde_json::to_string(schema["description"].as_str().unwrap_or(kind))
                .expect("strings serialise")
        ));
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// A validator per event type, from the checked-in files.
pub fn validators() -> HashMap<String, jsonschema::Validator> {
    let dir = crate::repo_root().join(SCHEMA_DIR);
    schemas()
        .into_iter()
        .map(|(kind, _)| {
            let path = dir.join(file_name(kind));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (run make schemas)", path.display()));
            let schema: Value = serde_json::from_str(&text).expect("a schema is JSON");
            let validator = jsonschema::draft4::new(&schema).expect("a valid draft 4 schema");
            (kind.to_string(), validator)
        })
        .collect()
}

/// Panics naming every envelope whose detail is not valid against its type's schema, or
/// whose type has no schema.
pub fn assert_valid(envelopes: &[Value]) {
    let validators = validators();
    let mut problems = Vec::new();
    for e in envelopes {
        let kind = e["detail-type"].as_str().unwrap_or_default();
        match validators.get(kind) {
            None => problems.push(format!("{kind}: no schema")),
            Some(v) => {
                for error in v.iter_errors(&e["detail"]) {
                    problems.push(format!("{kind} {}: {error}", e["detail"]["id"]));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "events not valid against their schemas: {problems:#?}"
    );
}
