//! Creates what `template.yaml` declares on an AWS-compatible endpoint, under names unique to
//! one stack, and returns those names for resolving `Ref`, `GetAtt` and `Sub`.

use crate::template::{ACCOUNT, API_ID, Names, REGION, Template};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde_yaml::Value as Yaml;
use stagepass_api::{KeySet, PublicKeys};

/// Resource types that exist only for operations in AWS (logs, alarms, tracing, policies on
/// queues): the emulator does not need them to run the system.
const NOT_EMULATED: &[&str] = &[
    "AWS::SQS::QueuePolicy",
    "AWS::Logs::LogGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::Scheduler::Schedule",
    // The web app's static hosting: no function calls them (the browser tests run the app
    // against the local server).
    "AWS::S3::BucketPolicy",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    // The schema registry documents the events for subscribers; nothing reads it at run
    // time (a test holds its schemas equal to the checked-in files and the Rust types).
    "AWS::EventSchemas::Registry",
    "AWS::EventSchemas::Schema",
];

fn err(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

fn str_of(v: &Yaml) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn key_schema(v: &Yaml) -> Vec<KeySchemaElement> {
    v.as_sequence()
        .into_iter()
        .flatten()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(str_of(&k["AttributeName"]))
                .key_type(KeyType::from(str_of(&k["KeyType"]).as_str()))
                .build()
                .expect("key element")
        })
        .collect()
}

/// Creates a table from its template `Properties` under `name`: keys, GSIs, stream and TTL.
/// Returns its stream ARN when it has one.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    props: &Yaml,
    name: &str,
) -> Result<Option<String>, String> {
    let attributes = props["AttributeDefinitions"]
        .as_sequence()
        .ok_or("AttributeDefinitions")?
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(str_of(&a["AttributeName"]))
                .attribute_type(ScalarAttributeType::from(
                    str_of(&a["AttributeType"]).as_str(),
                ))
                .build()
                .expect("attribute")
        })
        .collect();
    let gsis = props["GlobalSecondaryIndexes"].as_sequence().map(|seq| {
        seq.iter()
            .map(|g| {
                GlobalSecondaryIndex::builder()
                    .index_name(str_of(&g["IndexName"]))
                    .set_key_schema(Some(key_schema(&g["KeySchema"])))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                str_of(&g["Projection"]["ProjectionType"]).as_str(),
                            ))
                            .build(),
                    )
                    .build()
                    .expect("gsi")
            })
            .collect()
    });
    let stream = props["StreamSpecification"]["StreamViewType"]
        .as_str()
        .map(|view| {
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view))
                .build()
                .expect("stream")
        });
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&props["KeySchema"])))
        .set_global_secondary_indexes(gsis)
        .set_stream_specification(stream)
        .send()
        .await
        .map_err(|e| {
            err(
                &format!("create table {name}"),
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )
        })?;
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(str_of(&ttl["AttributeName"]))
                    .enabled(ttl["Enabled"].as_bool().unwrap_or(true))
                    .build()
                    .expect("ttl"),
            )
            .send()
            .await
            .map_err(|e| {
                err(
                    "enable TTL",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e),
                )
            })?;
    }
    Ok(created
        .table_description()
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_string))
}

/// Every resource of the template, created on the endpoint `config` points at. The key sets
/// are stored as the key parameters' three secrets: each private set, and their public halves.
pub async fn provision(
    template: &Template,
    config: &aws_config::SdkConfig,
    stack: &str,
    access: &KeySet,
    tickets: &KeySet,
) -> Result<Names, String> {
    let mut names = Names {
        stack: stack.to_string(),
        conditions: template.conditions.clone(),
        ..Names::default()
    };
    let arn = |service: &str, rest: &str| format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}");

    // Parameters: defaults, and the signing keys as real secrets.
    for (name, _) in template.doc["Parameters"]
        .as_mapping()
        .into_iter()
        .flatten()
    {
        let name = str_of(name);
        if let Some(default) = template.parameter_default(&name) {
            names.refs.insert(name, default);
        }
    }
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let documents = [
        (
            "AccessSigningKeysSecretArn",
            "access-keys",
            access.to_json(),
        ),
        (
            "TicketSigningKeysSecretArn",
            "ticket-keys",
            tickets.to_json(),
        ),
        (
            "VerificationKeysSecretArn",
            "public-keys",
            PublicKeys::of(access, tickets)?.to_json(),
        ),
    ];
    for (parameter, name, text) in documents {
        let secret = secrets
            .create_secret()
            .name(format!("{stack}/{name}"))
            .secret_string(text)
            .send()
            .await
            .map_err(|e| {
                err(
                    "create secret",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e),
                )
            })?;
        names.refs.insert(
            parameter.into(),
            secret.arn().unwrap_or_default().to_string(),
        );
    }

    // Names every resource will have, so references between them resolve in any order.
    for (id, r) in template.doc["Resources"].as_mapping().into_iter().flatten() {
        let id = str_of(id);
        let kind = r["Type"].as_str().unwrap_or_default();
        if !template.creates(r) {
            continue;
        }
        let physical = format!("{stack}-{id}");
        match kind {
            "AWS::Serverless::Function" => {
                names.refs.insert(id.clone(), physical.clone());
                names.attrs.insert(
                    format!("{id}.Arn"),
                    arn("lambda", &format!("function:{physical}")),
                );
            }
            "AWS::DynamoDB::Table" => {
                names.refs.insert(id.clone(), physical.clone());
                names.attrs.insert(
                    format!("{id}.Arn"),
                    arn("dynamodb", &format!("table/{physical}")),
                );
            }
            "AWS::S3::Bucket" => {
                let bucket = physical.to_lowercase();
                names
                    .attrs
                    .insert(format!("{id}.Arn"), format!("arn:aws:s3:::{bucket}"));
                names.refs.insert(id.clone(), bucket);
            }
            "AWS::SQS::Queue" => {
                names
                    .attrs
                    .insert(format!("{id}.Arn"), arn("sqs", &physical));
                names
                    .attrs
                    .insert(format!("{id}.QueueName"), physical.clone());
            }
            "AWS::Serverless::StateMachine" => {
                let sm = arn("states", &format!("stateMachine:{physical}"));
                names.refs.insert(id.clone(), sm.clone());
                names.attrs.insert(format!("{id}.Arn"), sm);
                names.attrs.insert(format!("{id}.Name"), physical.clone());
            }
            "AWS::Serverless::Api" => {
                names.refs.insert(id.clone(), API_ID.into());
            }
            "AWS::Events::Archive" => {
                names.refs.insert(id.clone(), physical.clone());
                names.attrs.insert(
                    format!("{id}.Arn"),
                    arn("events", &format!("archive/{physical}")),
                );
            }
            "AWS::Events::EventBus"
            | "AWS::Events::Rule"
            | "AWS::SES::EmailIdentity"
            | "AWS::SES::ConfigurationSet" => {}
            // Not run, but named: the emails' links point at the web app's address.
            "AWS::CloudFront::Distribution" => {
                names.attrs.insert(
                    format!("{id}.DomainName"),
                    format!("{}.cloudfront.net", physical.to_lowercase()),
                );
            }
            other if NOT_EMULATED.contains(&other) => {}
            other => return Err(format!("{id}: resource type {other} is not emulated")),
        }
    }
    // Names that come from properties (the bus's `Name`, an identity's address).
    for (id, r) in template.resources_of("AWS::Events::EventBus") {
        let name = names.resolve(&r["Properties"]["Name"])?;
        names.attrs.insert(
            format!("{id}.Arn"),
            arn("events", &format!("event-bus/{name}")),
        );
        names.refs.insert(id, name);
    }
    for (id, r) in template.resources_of("AWS::SES::ConfigurationSet") {
        let name = match r["Properties"].get("Name") {
            Some(n) => names.resolve(n)?,
            None => format!("{stack}-{id}").to_lowercase(),
        };
        names.refs.insert(id, name);
    }
    for (id, r) in template.resources_of("AWS::SES::EmailIdentity") {
        let identity = names.resolve(&r["Properties"]["EmailIdentity"])?;
        names.refs.insert(id, identity);
    }

    let dynamo = aws_sdk_dynamodb::Client::new(config);
    for (id, r) in template.resources_of("AWS::DynamoDB::Table") {
        let name = names.get_ref(&id)?;
        if let Some(stream) = create_table(&dynamo, &r["Properties"], &name).await? {
            names.attrs.insert(format!("{id}.StreamArn"), stream);
        }
    }

    let s3 = aws_sdk_s3::Client::new(config);
    for (id, _) in template.resources_of("AWS::S3::Bucket") {
        let bucket = names.get_ref(&id)?;
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .map_err(|e| err("create bucket", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    }

    // Queues first without redrive, so a queue may name a dead-letter queue made after it.
    let sqs = aws_sdk_sqs::Client::new(config);
    let queues = template.resources_of("AWS::SQS::Queue");
    for (id, _) in &queues {
        let name = names.get_att(id, "QueueName")?;
        let url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .map_err(|e| err("create queue", aws_sdk_sqs::error::DisplayErrorContext(e)))?
            .queue_url()
            .unwrap_or_default()
            .to_string();
        names.refs.insert(id.clone(), url);
    }
    for (id, r) in &queues {
        let p = &r["Properties"];
        let mut attributes = std::collections::HashMap::new();
        if let Some(v) = p["VisibilityTimeout"].as_u64() {
            attributes.insert(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                v.to_string(),
            );
        }
        if let Some(redrive) = p.get("RedrivePolicy") {
            let policy = serde_json::json!({
                "deadLetterTargetArn": names.resolve(&redrive["deadLetterTargetArn"])?,
                "maxReceiveCount": redrive["maxReceiveCount"].as_u64().unwrap_or(5),
            });
            attributes.insert(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                policy.to_string(),
            );
        }
        if !attributes.is_empty() {
            sqs.set_queue_attributes()
                .queue_url(names.get_ref(id)?)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| {
                    err(
                        "queue attributes",
                        aws_sdk_sqs::error::DisplayErrorContext(e),
                    )
                })?;
        }
    }

    let events = aws_sdk_eventbridge::Client::new(config);
    for (id, _) in template.resources_of("AWS::Events::EventBus") {
        events
            .create_event_bus()
            .name(names.get_ref(&id)?)
            .send()
            .await
            .map_err(|e| {
                err(
                    "create bus",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
    }
    for (id, r) in template.resources_of("AWS::Events::Archive") {
        let p = &r["Properties"];
        let pattern = serde_json::to_string(&yaml_to_json(&p["EventPattern"]))
            .map_err(|e| err("archive pattern", e))?;
        let days: i32 = names
            .resolve(&p["RetentionDays"])?
            .parse()
            .map_err(|e| err("archive retention", e))?;
        events
            .create_archive()
            .archive_name(names.get_ref(&id)?)
            .event_source_arn(names.resolve(&p["SourceArn"])?)
            .event_pattern(pattern)
            .retention_days(days)
            .send()
            .await
            .map_err(|e| {
                err(
                    "create archive",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
    }
    for (id, r) in template.resources_of("AWS::Events::Rule") {
        let p = &r["Properties"];
        let bus = names.resolve(&p["EventBusName"])?;
        let rule = format!("{stack}-{id}");
        let pattern = serde_json::to_string(&yaml_to_json(&p["EventPattern"]))
            .map_err(|e| err("event pattern", e))?;
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(&bus)
            .event_pattern(pattern)
            .send()
            .await
            .map_err(|e| {
                err(
                    "put rule",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
        names.attrs.insert(
            format!("{id}.Arn"),
            arn("events", &format!("rule/{bus}/{rule}")),
        );
        names.refs.insert(id.clone(), rule.clone());
        let mut targets = Vec::new();
        for t in p["Targets"].as_sequence().into_iter().flatten() {
            targets.push(
                aws_sdk_eventbridge::types::Target::builder()
                    .id(str_of(&t["Id"]))
                    .arn(names.resolve(&t["Arn"])?)
                    .build()
                    .map_err(|e| err("target", e))?,
            );
        }
        events
            .put_targets()
            .rule(&rule)
            .event_bus_name(&bus)
            .set_targets(Some(targets))
            .send()
            .await
            .map_err(|e| {
                err(
                    "put targets",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
    }

    let sfn = aws_sdk_sfn::Client::new(config);
    for (id, r) in template.resources_of("AWS::Serverless::StateMachine") {
        let definition = state_machine_definition(r, &names)?;
        sfn.create_state_machine()
            .name(names.get_att(&id, "Name")?)
            .definition(definition)
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{stack}-{id}Role"))
            .send()
            .await
            .map_err(|e| {
                err(
                    "create state machine",
                    aws_sdk_sfn::error::DisplayErrorContext(e),
                )
            })?;
    }

    let ses = aws_sdk_sesv2::Client::new(config);
    for (id, _) in template.resources_of("AWS::SES::ConfigurationSet") {
        ses.create_configuration_set()
            .configuration_set_name(names.get_ref(&id)?)
            .send()
            .await
            .map_err(|e| {
                err(
                    "configuration set",
                    aws_sdk_sesv2::error::DisplayErrorContext(e),
                )
            })?;
    }
    for (id, _) in template.resources_of("AWS::SES::EmailIdentity") {
        let identity = names.get_ref(&id)?;
        ses.create_email_identity()
            .email_identity(&identity)
            .send()
            .await
            .map_err(|e| {
                err(
                    "email identity",
                    aws_sdk_sesv2::error::DisplayErrorContext(e),
                )
            })?;
        names.attrs.insert(
            format!("{id}.Arn"),
            arn("ses", &format!("identity/{identity}")),
        );
    }
    Ok(names)
}

/// A state machine's ASL as deployed: its `DefinitionUri` file with `DefinitionSubstitutions`
/// resolved to this stack's resources.
pub fn state_machine_definition(resource: &Yaml, names: &Names) -> Result<String, String> {
    let p = &resource["Properties"];
    let file = str_of(&p["DefinitionUri"]);
    let mut definition =
        std::fs::read_to_string(crate::repo_root().join(&file)).map_err(|e| err(&file, e))?;
    for (key, value) in p["DefinitionSubstitutions"]
        .as_mapping()
        .into_iter()
        .flatten()
    {
        definition = definition.replace(&format!("${{{}}}", str_of(key)), &names.resolve(value)?);
    }
    Ok(definition)
}

/// A YAML value as JSON (event patterns, which have no intrinsic functions).
pub fn yaml_to_json(v: &Yaml) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
