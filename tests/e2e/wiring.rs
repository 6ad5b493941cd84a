//! The pieces agree: local routes = template.yaml routes, every function is deployed, and
//! every sample event in `events/` runs through its handler as `sam local invoke` would.

use serde_yaml::Value as Yaml;
use stagepass_api::openapi::path_params;
use stagepass_api::{Access, Handler};
use stagepass_local::LocalSystem;
use stagepass_local::functions::{self, ALL};
use stagepass_tests::repo_root;
use std::collections::BTreeSet;

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
        let events = resource["Properties"]["Events"].as_mapping();
        if function == "authorizer" {
            assert!(events.is_none(), "the authorizer has no route of its own");
            continue;
        }
        for (_, event) in events.into_iter().flatten() {
            if event["Type"] == "Api" {
                let p = &event["Properties"];
                // The API's default authorizer applies unless the route opts out with NONE.
                let public = p["Auth"]["Authorizer"].as_str() == Some("NONE");
                in_template.insert((
                    p["Method"].as_str().unwrap().to_uppercase(),
                    p["Path"].as_str().unwrap().to_string(),
                    function.clone(),
                    public,
                ));
            }
        }
    }
    let local: BTreeSet<_> = ALL
        .iter()
        .filter_map(|f| {
            let r = f.route?;
            Some((
                r.method.to_string(),
                r.path.to_string(),
                f.name.to_string(),
                r.access == Access::Public,
            ))
        })
        .collect();
    assert_eq!(local, in_template);
    let api = &template()["Resources"]["StagepassApi"]["Properties"]["Auth"];
    assert_eq!(api["DefaultAuthorizer"].as_str(), Some("TokenAuthorizer"));
    let authorizer = &api["Authorizers"]["TokenAuthorizer"];
    // `!GetAtt AuthorizerFunction.Arn` is a YAML tag, so compare its printed form.
    assert!(format!("{:?}", authorizer["FunctionArn"]).contains("AuthorizerFunction.Arn"));
    assert!(authorizer["Identity"]["ReauthorizeEvery"].as_u64().unwrap() > 0);
}

#[test]
fn every_function_folder_is_deployed_and_routed() {
    let folders: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let deployed: BTreeSet<String> = deployed_functions().into_iter().map(|(f, _)| f).collect();
    let known: BTreeSet<String> = ALL.iter().map(|f| f.name.to_string()).collect();
    assert_eq!(folders, deployed);
    assert_eq!(folders, known);
}

/// The saga's step functions, in the order a successful run calls them, then compensation.
const STEPS: [&str; 7] = [
    "charge-payment",
    "sell-seats",
    "issue-tickets",
    "confirm-booking",
    "refund-payment",
    "release-seats",
    "fail-booking",
];

/// A function of `functions/`, wired with the local system's adapters.
async fn wired(system: &LocalSystem, name: &str) -> Handler {
    let function = functions::named(name).unwrap_or_else(|| panic!("no function {name}"));
    (function.wire)(&system.ports)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sample(name: &str) -> String {
    let path = repo_root().join(format!("events/{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()))
}

/// The local system, its saga run by hand.
async fn local_system(dir: &std::path::Path) -> LocalSystem {
    stagepass_local::build_system(
        dir,
        stagepass_tests::system_clock(),
        Default::default(),
        Default::default(),
        stagepass_tests::keys(),
        stagepass_local::LocalOptions {
            auto_run_saga: false,
            delay_scale: 0.0,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Deployed, API Gateway caches the authorizer's answer for a token for its TTL, past the
/// token's `exp` (and after logout). The functions that change money or seats refuse a
/// context whose `exp` has passed, or that has none, before doing anything; reads do not.
/// Before, every one of them acted on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_and_seat_routes_refuse_a_token_past_its_exp() {
    let dir = tempfile::tempdir().unwrap();
    let system = local_system(dir.path()).await;
    let expired = (chrono::Utc::now().timestamp() - 60).to_string();
    let status_of = |name: &'static str, exp: Option<String>| {
        let system = &system;
        async move {
            let Handler::Http(handle) = wired(system, name).await else {
                panic!("{name} is an HTTP function");
            };
            let fixed = "\"exp\": \"4102444800\"";
            let text = sample(name);
            assert!(text.contains(fixed), "{name}'s sample carries an exp");
            let text = match exp {
                Some(exp) => text.replace(fixed, &format!("\"exp\": \"{exp}\"")),
                None => text.replace(fixed, "\"exp\": \"\""),
            };
            let response = handle(lambda_http::request::from_str(&text).unwrap()).await;
            let body = match response.body() {
                lambda_http::Body::Text(t) => t.clone(),
                _ => String::new(),
            };
            (response.status().as_u16(), body)
        }
    };
    for name in [
        "hold-seats",
        "release-hold",
        "checkout",
        "cancel-booking",
        "cancel-event",
        "check-in",
        "create-account",
    ] {
        for exp in [Some(expired.clone()), None] {
            let (status, body) = status_of(name, exp.clone()).await;
            assert_eq!(status, 401, "{name} with exp {exp:?}: {body}");
            assert!(body.contains("\"token_expired\""), "{name}: {body}");
        }
    }
    // Reading is within the cache's window: the booking is simply not found here.
    let (status, body) = status_of("get-booking", Some(expired)).await;
    assert_eq!(status, 404, "{body}");
}

/// The OpenAPI document served at `GET /openapi.json` is the checked-in file, and the file is
/// what the code says: regenerate it with `make openapi` after changing a route, its types or
/// its errors.
#[test]
fn the_checked_in_openapi_document_is_what_the_code_says() {
    let path = repo_root().join("shared/api/openapi.json");
    let generated = stagepass_local::openapi::document_json();
    if std::env::var_os("STAGEPASS_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap();
    assert!(
        checked_in == generated,
        "shared/api/openapi.json is out of date: run make openapi"
    );
}

/// Its paths and methods are exactly the routes (and so the template's, above), each token
/// route with the bearer scheme, each path parameter declared.
#[test]
fn the_openapi_document_has_exactly_the_routes() {
    let doc = serde_json::to_value(stagepass_local::openapi::document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op["security"] == serde_json::json!([{"bearer": []}]);
            documented.insert((method.to_uppercase(), path.clone(), secured));
            let params: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let in_path: BTreeSet<&str> = path_params(path).collect();
            assert_eq!(params, in_path, "{method} {path}");
            assert!(
                op["responses"].as_object().unwrap().len() >= 2,
                "{method} {path}"
            );
        }
    }
    let routes: BTreeSet<_> = ALL
        .iter()
        .filter_map(|f| {
            let r = f.route?;
            Some((
                r.method.to_string(),
                r.path.to_string(),
                r.access == Access::Token,
            ))
        })
        .collect();
    assert_eq!(documented, routes);
}

/// Every link names an operation the document has, fills exactly its path parameters, and
/// takes them from the answer it hangs on (clients and the fuzzer follow them).
#[test]
fn every_openapi_link_leads_to_an_operation_with_its_parameters() {
    let doc: serde_json::Value =
        serde_json::from_str(&stagepass_local::openapi::document_json()).unwrap();
    let mut operations = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            let params: BTreeSet<String> = path_params(path).map(str::to_string).collect();
            operations.insert(op["operationId"].as_str().unwrap().to_string(), params);
        }
    }
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for (status, response) in op["responses"].as_object().unwrap() {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    links += 1;
                    let what = format!("{} {status} {name}", op["operationId"]);
                    let target = link["operationId"].as_str().unwrap_or_default();
                    let wanted = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("{what}: no operation {target}"));
                    let given: BTreeSet<String> = link["parameters"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| {
                            assert!(
                                v.as_str().unwrap().starts_with("$response.body#/"),
                                "{what}"
                            );
                            k.clone()
                        })
                        .collect();
                    assert_eq!(&given, wanted, "{what}");
                }
            }
        }
    }
    assert!(links >= 10, "{links} links");
}

/// Protected samples carry the authorizer's context, as API Gateway passes it; a fixed event
/// id and the hold id derived from the sample Idempotency-Key make them replayable in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_runs_through_its_handler() {
    let dir = tempfile::tempdir().unwrap();
    let system = local_system(dir.path()).await;
    // The sample draft the update/publish/get/hold samples refer to.
    let sample_draft: serde_json::Value = serde_json::from_str(&sample("sample-draft")).unwrap();
    let mut draft: stagepass_domain::Event = serde_json::from_value(sample_draft).unwrap();
    draft.starts_at = chrono::Utc::now() + chrono::Duration::days(365);
    let event_id = draft.id.clone();
    system
        .ports
        .catalog
        .as_ref()
        .unwrap()
        .insert(&draft)
        .await
        .unwrap();
    let run = |name: &'static str, expected: u16| {
        let system = &system;
        async move {
            let Handler::Http(handle) = wired(system, name).await else {
                panic!("{name} is an HTTP function");
            };
            let request = lambda_http::request::from_str(&sample(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let response = handle(request).await;
            let status = response.status().as_u16();
            let body = match response.body() {
                lambda_http::Body::Text(t) => t.clone(),
                _ => String::new(),
            };
            assert_eq!(status, expected, "{name}: {body}");
        }
    };
    let before_checkout = [
        ("create-event", 201),
        ("update-event", 200),
        ("publish-event", 200),
        ("search-events", 200),
        ("get-event", 200),
        ("hold-seats", 201),
        ("release-hold", 200),
        ("register", 202),
        ("login", 200),
        // Never issued, so refused: a real one comes from login.
        ("refresh", 401),
        ("logout", 204),
        ("guest-token", 201),
        ("verify-email", 400),
        // The sample caller is not the account the register sample made.
        ("resend-verification", 404),
        ("request-password-reset", 202),
        ("reset-password", 400),
        ("open-guest-link", 400),
        ("revoke-guest-link", 400),
        ("jwks", 200),
        ("create-account", 201),
        ("assign-door-staff", 200),
        ("remove-door-staff", 200),
        ("openapi", 200),
    ];
    for (function, expected) in before_checkout {
        run(function, expected).await;
    }
    // The hold the checkout samples name (seat A-1-3, key `sample-hold-2`).
    let request = stagepass_domain::HoldRequest {
        seats: vec!["A-1-3".into()],
        ga: vec![],
    };
    stagepass_tests::service(
        system.ports.catalog.clone().unwrap(),
        system.ports.inventory.clone().unwrap(),
        system.ports.rate_limiter.clone().unwrap(),
        stagepass_tests::system_clock(),
    )
    .hold(
        &stagepass_domain::UserId::new("sample-fan"),
        &event_id,
        &request,
        Some(&stagepass_domain::KeyUse {
            key: "sample-hold-2".into(),
            since: chrono::Utc::now(),
        }),
    )
    .await
    .unwrap();
    run("checkout", 202).await;
    // The saga's step samples take that booking to confirmed (the compensation ones, run on
    // a confirmed booking, change nothing).
    for step in STEPS {
        let Handler::Step(run) = wired(&system, step).await else {
            panic!("{step} is a saga step");
        };
        let input = serde_json::from_str(&sample(step)).unwrap();
        let input = stagepass_saga::StepInput::parse(input).unwrap();
        run.run(&input)
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
    }
    run("get-booking", 200).await;
    run("my-bookings", 200).await;
    // The sample QR is signed by nobody.
    run("check-in", 400).await;
    // The notification sample mails the confirmed booking once; the relay sample publishes.
    let Handler::Queue(notify) = wired(&system, "notify").await else {
        panic!("notify takes SQS batches");
    };
    let answer = notify(serde_json::from_str(&sample("notify")).unwrap()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    // With the register sample's welcome email and the password-reset sample's.
    assert_eq!(
        std::fs::read_dir(dir.path().join("mail")).unwrap().count(),
        3
    );
    let Handler::Stream(relay) = wired(&system, "relay-outbox").await else {
        panic!("relay-outbox takes stream batches");
    };
    let answer = relay(serde_json::from_str(&sample("relay-outbox")).unwrap()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    assert_eq!(system.bus.published()[0].kind, "BookingConfirmed");
    // The bus delivered it to the sales subscriber too; its sample is that same event, so it
    // is acknowledged and not counted again, and the organiser's sales view shows one booking.
    let Handler::Queue(count) = wired(&system, "count-sales").await else {
        panic!("count-sales takes SQS batches");
    };
    let answer = count(serde_json::from_str(&sample("count-sales")).unwrap()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    let tally = system.ports.sales.as_ref().unwrap().tally(&event_id).await;
    assert_eq!(tally.unwrap().unwrap().counts.bookings, 1);
    run("get-sales", 200).await;
    // The sweeper's sample (a schedule tick) finds nothing stranded: the relay took it all.
    let Handler::Scheduled(sweep) = wired(&system, "sweep-outbox").await else {
        panic!("sweep-outbox runs on a schedule");
    };
    let answer = sweep(serde_json::from_str(&sample("sweep-outbox")).unwrap()).await;
    assert_eq!(answer, Ok(serde_json::json!({"published": 0})));
    // So does the booking sweeper: the sample booking is settled.
    let Handler::Scheduled(sweep) = wired(&system, "sweep-bookings").await else {
        panic!("sweep-bookings runs on a schedule");
    };
    let answer = sweep(serde_json::from_str(&sample("sweep-bookings")).unwrap()).await;
    assert_eq!(
        answer,
        Ok(
            serde_json::json!({"sagas_started": 0, "cancellations_finished": 0, "marked_needs_attention": 0})
        )
    );
    run("cancel-booking", 200).await;
    // 202: the bookings are cancelled by the worker, whose sample asks for the same event.
    run("cancel-event", 202).await;
    let Handler::Queue(worker) = wired(&system, "cancel-event-bookings").await else {
        panic!("cancel-event-bookings takes SQS batches");
    };
    let answer = worker(serde_json::from_str(&sample("cancel-event-bookings")).unwrap()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    // The expiry sample's hold is unknown here: nothing to record, and nothing fails.
    let Handler::Stream(expire) = wired(&system, "expire-holds").await else {
        panic!("expire-holds takes stream batches");
    };
    let answer = expire(serde_json::from_str(&sample("expire-holds")).unwrap()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    let samples = std::fs::read_dir(repo_root().join("events"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_file())
        .count();
    // One per function, plus env.json, generate.py and the sample draft (and schemas/).
    assert_eq!(samples, ALL.len() + 3);
}

/// Every Task in the saga's ASL is a function in `template.yaml` (through
/// `DefinitionSubstitutions`) and has a local handler.
#[test]
fn every_saga_task_is_a_deployed_function_and_a_local_handler() {
    let asl = std::fs::read_to_string(repo_root().join("infra/booking-saga.asl.json")).unwrap();
    let machine = stagepass_local::asl::StateMachine::parse(&asl).unwrap();
    assert_eq!(
        asl,
        stagepass_local::saga::SAGA_ASL,
        "the local run uses the same file"
    );
    let t = template();
    let saga = &t["Resources"]["BookingSaga"];
    assert_eq!(saga["Type"], "AWS::Serverless::StateMachine");
    assert_eq!(saga["Properties"]["Type"], "STANDARD");
    assert_eq!(
        saga["Properties"]["DefinitionUri"].as_str(),
        Some("infra/booking-saga.asl.json")
    );
    let substitutions = saga["Properties"]["DefinitionSubstitutions"]
        .as_mapping()
        .unwrap();
    let resources = machine.task_resources();
    assert_eq!(resources.len(), STEPS.len());
    for resource in resources {
        let step = STEPS
            .iter()
            .find(|s| stagepass_local::saga::resource_of(s) == resource)
            .unwrap_or_else(|| panic!("{resource} has no local handler"));
        let name = resource.trim_start_matches("${").trim_end_matches('}');
        let value = format!("{:?}", substitutions[name]);
        let logical = value
            .split('"')
            .find(|p| p.ends_with(".Arn"))
            .unwrap_or_else(|| panic!("{name}: {value}"))
            .trim_end_matches(".Arn");
        let function = &t["Resources"][logical];
        assert_eq!(
            function["Properties"]["CodeUri"].as_str(),
            Some(format!("functions/{step}").as_str()),
            "{name}"
        );
    }
}

/// The authorizer sample is refused (its key is nobody's); with a real token in the same event
/// the authorizer allows the whole API and passes the caller on.
#[tokio::test]
async fn the_authorizer_sample_is_refused_and_a_real_token_allowed() {
    let mut event: serde_json::Value = serde_json::from_str(&sample("authorizer")).unwrap();
    let request = serde_json::from_value(event.clone()).unwrap();
    assert!(stagepass_tests::authorize(request).await.is_err());
    let fan = stagepass_tests::token("fan-7", stagepass_api::Role::Fan);
    event["authorizationToken"] = format!("Bearer {fan}").into();
    let request = serde_json::from_value(event).unwrap();
    let json = stagepass_tests::authorize(request)
        .await
        .map_err(|_| "refused")
        .unwrap();
    assert_eq!(json["principalId"], "fan-7");
    assert_eq!(json["context"]["roles"], "fan");
    assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        json["policyDocument"]["Statement"][0]["Resource"][0],
        "arn:aws:execute-api:eu-west-1:123456789012:sample/live/*/*"
    );
}
