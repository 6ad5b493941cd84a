//! Every function, wired as deployed ([`EnvWiring`]) from exactly the environment
//! `template.yaml` gives it: it starts, it reads every variable given and needs no other, and
//! a required one that is missing or empty stops it at start-up with a message naming it.
//! (Signing keys come from a real secret on the test endpoint.)

use serde_yaml::Value as Yaml;
use stagepass_lambda::EnvWiring;
use std::collections::{BTreeMap, BTreeSet};

/// Each function folder's template variables (the global ones merged in, as SAM does), with
/// their unresolved template values.
fn template_variables() -> BTreeMap<String, BTreeMap<String, Yaml>> {
    let text = std::fs::read_to_string(stagepass_tests::repo_root().join("template.yaml")).unwrap();
    let template: Yaml = serde_yaml::from_str(&text).unwrap();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    let mut out = BTreeMap::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let properties = &resource["Properties"];
        let name = properties["CodeUri"].as_str().unwrap();
        let name = name.trim_start_matches("functions/").to_string();
        let own = &properties["Environment"]["Variables"];
        let env = [globals, own]
            .into_iter()
            .filter_map(|v| v.as_mapping())
            .flatten()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), v.clone()))
            .collect();
        out.insert(name, env);
    }
    out
}

/// Each function's template variables with stand-in values as deployed: the signing keys in
/// the secret, inline keys and endpoint override empty (unset), Stripe as the provider.
fn template_environments(
    secrets: &BTreeMap<&str, String>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    template_variables()
        .into_iter()
        .map(|(name, vars)| {
            let env = vars
                .into_keys()
                .map(|key| {
                    let value = match key.as_str() {
                        k if secrets.contains_key(k) => secrets[k].clone(),
                        "ACCESS_SIGNING_KEYS"
                        | "TICKET_SIGNING_KEYS"
                        | "VERIFICATION_KEYS"
                        | "STAGEPASS_AWS_ENDPOINT_URL" => String::new(),
                        "STAGEPASS_HOLD_TTL_SECONDS" => "600".to_string(),
                        "PUBLIC_URL" => "https://api.example.com/live".to_string(),
                        "STAGEPASS_ALLOWED_ORIGIN" => "https://tickets.example.com".to_string(),
                        // The provider that needs more: its secret is then required.
                        "PAYMENT_PROVIDER" => "stripe".to_string(),
                        "STRIPE_API_BASE" => String::new(),
                        _ => format!("stand-in-{}", key.to_lowercase()),
                    };
                    (key, value)
                })
                .collect();
            (name, env)
        })
        .collect()
}

async fn wire(
    config: &aws_config::SdkConfig,
    function: &stagepass_api::Function,
    env: BTreeMap<String, String>,
) -> (EnvWiring, Result<(), stagepass_api::WiringError>) {
    let wiring = EnvWiring::new(config.clone(), move |name| env.get(name).cloned());
    // What the function's main runs: its own wiring, and the CORS headers for an HTTP one.
    let outcome = stagepass_lambda::wire(function, &wiring).await.map(|_| ());
    (wiring, outcome)
}

#[tokio::test]
async fn every_function_reads_exactly_the_environment_the_template_gives_it() {
    let config = stagepass_tests::aws::sdk_config().await;
    let (access, tickets) = (
        stagepass_tests::test_keys(),
        stagepass_tests::test_ticket_keys(),
    );
    let mut secrets = BTreeMap::new();
    for (variable, text) in [
        ("ACCESS_SIGNING_KEYS_SECRET", access.to_json()),
        ("TICKET_SIGNING_KEYS_SECRET", tickets.to_json()),
        (
            "VERIFICATION_KEYS_SECRET",
            stagepass_api::PublicKeys::of(access, tickets)
                .unwrap()
                .to_json(),
        ),
    ] {
        let secret = format!("stagepass-keys-{}", uuid::Uuid::new_v4().simple());
        aws_sdk_secretsmanager::Client::new(&config)
            .create_secret()
            .name(&secret)
            .secret_string(text)
            .send()
            .await
            .expect("create secret");
        secrets.insert(variable, secret);
    }
    let environments = template_environments(&secrets);
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

/// `sam local invoke <Function> -n events/env.json` passes a function only the variables its
/// template declares: env.json's value where it has one, else the template's own literal (an
/// unresolved reference is taken as empty here, the strict reading). Every function must start
/// on that, with the inline sample keys and no secret.
#[tokio::test]
async fn every_function_starts_on_what_sam_local_invoke_passes_it() {
    let text = std::fs::read_to_string(stagepass_tests::repo_root().join("events/env.json"))
        .expect("events/env.json");
    let file: serde_json::Value = serde_json::from_str(&text).expect("env.json is JSON");
    let parameters = file["Parameters"].as_object().expect("Parameters");
    let config = stagepass_tests::aws::sdk_config().await;
    let variables = template_variables();
    for function in stagepass_local::functions::ALL {
        let vars = &variables[function.name];
        let env: BTreeMap<String, String> = vars
            .iter()
            .map(|(key, template_value)| {
                let value = match (parameters.get(key), template_value) {
                    (Some(v), _) => v.as_str().expect("env.json values are strings").to_string(),
                    (None, Yaml::String(literal)) => literal.clone(),
                    (None, _) => String::new(),
                };
                (key.clone(), value)
            })
            .collect();
        let (wiring, outcome) = wire(&config, function, env).await;
        outcome.unwrap_or_else(|e| {
            panic!(
                "{}: does not start under sam local invoke with events/env.json: {e}",
                function.name
            )
        });
        let (_, optional) = wiring.settings_read();
        assert!(
            optional.contains(stagepass_lambda::ENDPOINT),
            "{}",
            function.name
        );
    }
    // Nothing in env.json that no function declares (SAM would silently drop it).
    let declared: BTreeSet<String> = variables
        .into_values()
        .flat_map(|v| v.into_keys())
        .collect();
    let given: BTreeSet<String> = parameters.keys().cloned().collect();
    assert_eq!(
        given.difference(&declared).collect::<Vec<_>>(),
        Vec::<&String>::new()
    );
}

/// The saga's definition against the functions it calls: each Task's `TimeoutSeconds` is its
/// function's `Timeout` plus 5 s (so the function's own timeout, which Step Functions reports
/// as `Sandbox.Timedout`, comes first), every forward Task retries what Lambda itself reports,
/// and the forward path's worst case (every attempt timing out, every backoff at its cap)
/// ends inside the time checkout keeps the seats.
#[test]
fn the_saga_outwaits_its_functions_and_finishes_inside_the_seat_deadline() {
    let root = stagepass_tests::repo_root();
    let template = stagepass_cloud::template::Template::load(&root.join("template.yaml")).unwrap();
    let timeouts: BTreeMap<String, u64> = template
        .functions()
        .unwrap()
        .into_iter()
        .map(|f| (f.logical_id, f.timeout_secs))
        .collect();
    let asl: serde_json::Value = serde_json::from_str(stagepass_local::saga::SAGA_ASL).unwrap();
    let states = asl["States"].as_object().unwrap();
    for (name, state) in states {
        if state["Type"] != "Task" {
            continue;
        }
        let resource = state["Resource"].as_str().unwrap();
        let function = resource.trim_start_matches("${").trim_end_matches("Arn}");
        assert_eq!(
            state["TimeoutSeconds"].as_u64(),
            Some(timeouts[function] + 5),
            "{name}: TimeoutSeconds vs {function}'s Timeout"
        );
    }
    let mut worst = 0.0;
    let mut at = asl["StartAt"].as_str().unwrap();
    while states[at]["Type"] == "Task" {
        let state = &states[at];
        let retry = &state["Retry"][0];
        let named: Vec<&str> = retry["ErrorEquals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        for lambda in [
            "Lambda.Unknown",
            "Lambda.ClientExecutionTimeoutException",
            "Sandbox.Timedout",
            "States.Timeout",
        ] {
            assert!(named.contains(&lambda), "{at} does not retry {lambda}");
        }
        let attempts = retry["MaxAttempts"].as_u64().unwrap();
        let (interval, rate) = (
            retry["IntervalSeconds"].as_f64().unwrap(),
            retry["BackoffRate"].as_f64().unwrap(),
        );
        let cap = retry["MaxDelaySeconds"].as_f64().unwrap_or(f64::MAX);
        worst += (attempts + 1) as f64 * state["TimeoutSeconds"].as_f64().unwrap();
        worst += (0..attempts)
            .map(|k| (interval * rate.powi(k as i32)).min(cap))
            .sum::<f64>();
        at = state["Next"].as_str().unwrap();
    }
    assert_eq!(
        states[at]["Type"], "Succeed",
        "the forward path ends in {at}"
    );
    let deadline = stagepass_domain::bookings::checkout::SEATS_KEPT_FOR_SAGA.num_seconds() as f64;
    assert!(
        worst < deadline,
        "worst forward path {worst} s vs seats kept {deadline} s"
    );
}
