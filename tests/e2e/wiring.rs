//! The pieces agree: local routes = template.yaml routes, every function is deployed, and
//! every sample event in `events/` runs through its handler as `sam local invoke` would.

use serde_yaml::Value as Yaml;
use stagepass_api::{Function, ROUTES};
use stagepass_tests::repo_root;
use std::collections::BTreeSet;
use std::sync::Arc;

fn template() -> Yaml {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn deployed_functions() -> Vec<(String, Yaml)> {
    let t = template();
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(_, r)| {
            let code = r["Properties"]["CodeUri"].as_str().unwrap();
            (code.trim_start_matches("functions/").to_string(), r.clone())
        })
        .collect()
}

#[test]
fn local_routes_and_template_routes_are_the_same_set() {
    let mut in_template = BTreeSet::new();
    for (function, resource) in deployed_functions() {
        assert_eq!(
            resource["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(function.as_str())
        );
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda")
        );
        for (_, event) in resource["Properties"]["Events"].as_mapping().unwrap() {
            if event["Type"] == "Api" {
                let p = &event["Properties"];
                in_template.insert((
                    p["Method"].as_str().unwrap().to_uppercase(),
                    p["Path"].as_str().unwrap().to_string(),
                    function.clone(),
                ));
            }
        }
    }
    let local: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_string(),
                r.function.name().to_string(),
            )
        })
        .collect();
    assert_eq!(local, in_template);
}

#[test]
fn every_function_folder_is_deployed_and_routed() {
    let folders: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let deployed: BTreeSet<String> = deployed_functions().into_iter().map(|(f, _)| f).collect();
    let known: BTreeSet<String> = Function::ALL.iter().map(|f| f.name().to_string()).collect();
    assert_eq!(folders, deployed);
    assert_eq!(folders, known);
}

/// Sample events are signed with the sample secret in `events/env.json`; a fixed event id and
/// the hold id derived from the sample Idempotency-Key make them replayable in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_runs_through_its_handler() {
    let env: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/env.json")).unwrap(),
    )
    .unwrap();
    let secret = env["Parameters"]["STAGEPASS_JWT_SECRET"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = stagepass_local::build_app(
        dir.path(),
        stagepass_tests::system_clock(),
        Default::default(),
        secret.as_bytes(),
    )
    .unwrap();
    // The sample draft the update/publish/get/hold samples refer to.
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/sample-draft.json")).unwrap(),
    )
    .unwrap();
    let mut draft: stagepass_domain::Event = serde_json::from_value(sample).unwrap();
    draft.starts_at = chrono::Utc::now() + chrono::Duration::days(365);
    app.service.catalog().insert(&draft).await.unwrap();
    let order = [
        (Function::CreateEvent, 201),
        (Function::UpdateEvent, 200),
        (Function::PublishEvent, 200),
        (Function::SearchEvents, 200),
        (Function::GetEvent, 200),
        (Function::HoldSeats, 201),
        (Function::ReleaseHold, 200),
    ];
    for (function, expected) in order {
        let path = repo_root().join(format!("events/{}.json", function.name()));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let response = function.handle(Arc::clone(&app), request).await;
        let status = response.status().as_u16();
        let body = match response.body() {
            lambda_http::Body::Text(t) => t.clone(),
            _ => String::new(),
        };
        assert_eq!(status, expected, "{}: {body}", function.name());
    }
}
