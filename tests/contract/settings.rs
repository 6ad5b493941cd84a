//! Every function, wired as deployed ([`EnvWiring`]) from exactly the environment
//! `template.yaml` gives it: it starts, it reads every variable given and needs no other, and
//! a required one that is missing or empty stops it at start-up with a message naming it.
//! (Signing keys come from a real secret on the test endpoint.)

use serde_yaml::Value as Yaml;
use stagepass_lambda::EnvWiring;
use std::collections::{BTreeMap, BTreeSet};

/// Each function folder's `Environment.Variables` in the template, with stand-in values.
fn template_environments(secret: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(stagepass_tests::repo_root().join("template.yaml")).unwrap();
    let template: Yaml = serde_yaml::from_str(&text).unwrap();
    assert!(
        template["Globals"]["Function"]["Environment"].is_null(),
        "no setting is given to every function"
    );
    let mut out = BTreeMap::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let properties = &resource["Properties"];
        let name = properties["CodeUri"].as_str().unwrap();
        let name = name.trim_start_matches("functions/").to_string();
        let mut env = BTreeMap::new();
        if let Some(vars) = properties["Environment"]["Variables"].as_mapping() {
            for (key, _) in vars {
                let key = key.as_str().unwrap().to_string();
                let value = match key.as_str() {
                    "STAGEPASS_SIGNING_KEYS_SECRET" => secret.to_string(),
                    "STAGEPASS_HOLD_TTL_SECONDS" => "600".to_string(),
                    _ => format!("stand-in-{}", key.to_lowercase()),
                };
                env.insert(key, value);
            }
        }
        out.insert(name, env);
    }
    out
}

async fn wire(
    config: &aws_config::SdkConfig,
    function: &stagepass_api::Function,
    env: BTreeMap<String, String>,
) -> (EnvWiring, Result<(), stagepass_api::WiringError>) {
    let wiring = EnvWiring::new(config.clone(), move |name| env.get(name).cloned());
    let outcome = (function.wire)(&wiring).await.map(|_| ());
    (wiring, outcome)
}

#[tokio::test]
async fn every_function_reads_exactly_the_environment_the_template_gives_it() {
    let config = stagepass_tests::aws::sdk_config().await;
    let secret = format!("stagepass-keys-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret)
        .secret_string(stagepass_tests::test_keys().to_json())
        .send()
        .await
        .expect("create secret");
    let environments = template_environments(&secret);
    let functions = stagepass_local::functions::ALL;
    assert_eq!(environments.len(), functions.len());
    for function in functions {
        let name = function.name;
        let env = environments[name].clone();
        let (wiring, outcome) = wire(&config, function, env.clone()).await;
        outcome.unwrap_or_else(|e| panic!("{name} does not start on its template settings: {e}"));
        let (required, optional) = wiring.settings_read();
        let given: BTreeSet<String> = env.keys().cloned().collect();
        let used: BTreeSet<String> = required
            .iter()
            .chain(optional.iter().filter(|o| given.contains(*o)))
            .cloned()
            .collect();
        assert_eq!(
            used, given,
            "{name}: settings read vs. template environment"
        );

        for var in &required {
            for broken in [None, Some("")] {
                let mut env = env.clone();
                match broken {
                    None => env.remove(var),
                    Some(v) => env.insert(var.clone(), v.to_string()),
                };
                let (_, outcome) = wire(&config, function, env).await;
                let error = outcome
                    .err()
                    .unwrap_or_else(|| panic!("{name} started without {var} ({broken:?})"))
                    .to_string();
                assert!(error.contains(var.as_str()), "{name}: {error}");
            }
        }
    }
}
