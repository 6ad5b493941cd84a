//! The functions that are not behind API Gateway: the saga's steps (invoked by Step
//! Functions), the notification consumer (SQS), and the outbox relay (DynamoDB Streams).

use crate::{bookings_from_env, load_tokens};
use aws_config::BehaviorVersion;
use lambda_http::Error;
use lambda_http::lambda_runtime::{self, Diagnostic, LambdaEvent};
use serde::Deserialize;
use serde_json::{Value, json};
use stagepass_api::Step;
use stagepass_aws::{EventBridgeBus, S3Files, SesMailer, event_from_envelope};
use stagepass_domain::notifications::{Delivery, Notifier};
use stagepass_domain::{BookingStore, EventBus, IntegrationEvent, StepError, SystemClock};
use std::sync::Arc;

/// A step's failure as Lambda reports it: `errorType` is the name the ASL matches.
#[derive(Debug)]
pub struct StepFailure(pub StepError);

impl From<StepFailure> for Diagnostic {
    fn from(f: StepFailure) -> Self {
        Diagnostic {
            error_type: f.0.name().into(),
            error_message: f.0.to_string(),
        }
    }
}

/// The whole `main` of a saga step function.
pub async fn run_step(step: Step) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    // Only issuing tickets signs anything.
    let tokens = if step == Step::IssueTickets {
        Some(Arc::new(load_tokens(&config).await?))
    } else {
        None
    };
    let (bookings, _) = bookings_from_env(&config, tokens);
    tracing::info!(function = step.name(), "initialised");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<Value>| {
            let bookings = bookings.clone();
            async move {
                step.run(&bookings, event.payload).await.map_err(|e| {
                    tracing::warn!(step = step.name(), error = %e, "step failed");
                    StepFailure(e)
                })
            }
        },
    ))
    .await
}

#[derive(Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsRecord>,
}

#[derive(Deserialize)]
pub struct SqsRecord {
    #[serde(rename = "messageId")]
    pub message_id: String,
    #[serde(default)]
    pub body: String,
}

/// Mails buyers for each event in an SQS batch. Messages that failed are reported as batch
/// item failures, so only they come back (and after `maxReceiveCount`, go to the DLQ).
/// Unreadable messages are failed too: they end in the DLQ for a person to look at.
pub async fn notify_batch(notifier: &Notifier, event: SqsEvent) -> Value {
    let mut failures = Vec::new();
    for record in event.records {
        let outcome = match event_from_envelope(&record.body) {
            Ok(e) => notifier.handle(&e).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Delivery::Sent(id)) => tracing::info!(message = %id, "email sent"),
            Ok(Delivery::Duplicate) => {
                tracing::info!(record = %record.message_id, "duplicate event: no email")
            }
            Ok(Delivery::Ignored) => {}
            Err(e) => {
                tracing::warn!(record = %record.message_id, error = %e, "notification failed");
                failures.push(json!({ "itemIdentifier": record.message_id }));
            }
        }
    }
    json!({ "batchItemFailures": failures })
}

/// The notifier over DynamoDB, S3 and SESv2 (`MAIL_FROM`: a verified SES identity).
pub fn notifier_from_env(config: &aws_config::SdkConfig) -> Notifier {
    let (_, store) = bookings_from_env(config, None);
    Notifier {
        bookings: store.clone(),
        files: Arc::new(S3Files::new(
            aws_sdk_s3::Client::new(config),
            std::env::var("TICKETS_BUCKET").unwrap_or_default(),
        )),
        mailer: Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(config),
            std::env::var("MAIL_FROM").unwrap_or_default(),
        )),
        dedupe: store,
        clock: Arc::new(SystemClock),
        from: std::env::var("MAIL_FROM").unwrap_or_default(),
    }
}

pub async fn run_notify() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let notifier = Arc::new(notifier_from_env(&config));
    tracing::info!(function = "notify", "initialised");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<SqsEvent>| {
            let notifier = notifier.clone();
            async move { Ok::<_, Error>(notify_batch(&notifier, event.payload).await) }
        },
    ))
    .await
}

#[derive(Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Deserialize)]
pub struct StreamRecord {
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    pub dynamodb: StreamData,
}

#[derive(Deserialize)]
pub struct StreamData {
    #[serde(rename = "SequenceNumber", default)]
    pub sequence_number: String,
    #[serde(rename = "NewImage", default)]
    pub new_image: Option<Value>,
}

/// The outbox event in a stream record, if the record is a new outbox item.
fn outbox_event(record: &StreamRecord) -> Option<Result<IntegrationEvent, String>> {
    if record.event_name != "INSERT" && record.event_name != "MODIFY" {
        return None;
    }
    let image = record.dynamodb.new_image.as_ref()?;
    let pk = image.get("pk")?.get("S")?.as_str()?;
    if !pk.starts_with("OUTBOX#") {
        return None;
    }
    let data = image
        .get("data")
        .and_then(|d| d.get("S"))
        .and_then(Value::as_str);
    Some(
        data.ok_or_else(|| format!("outbox item {pk} has no data"))
            .and_then(|d| serde_json::from_str(d).map_err(|e| e.to_string())),
    )
}

/// Publishes the outbox events in a stream batch, then deletes them from the outbox. On a
/// failure, the first failed record and everything after it are reported (stream batches
/// are ordered), so they are retried and nothing is lost; consumers deduplicate by event id.
pub async fn relay_batch(
    bus: &dyn EventBus,
    store: &dyn BookingStore,
    event: StreamEvent,
) -> Value {
    for record in &event.records {
        let published = match outbox_event(record) {
            None => continue,
            Some(Err(e)) => {
                // Unreadable forever: skip it rather than block the stream; it is logged.
                tracing::error!(error = %e, "skipping unreadable outbox record");
                continue;
            }
            Some(Ok(e)) => bus
                .publish(std::slice::from_ref(&e))
                .await
                .map(|()| e.id)
                .map_err(|err| err.0),
        };
        let done = match published {
            Ok(id) => store.delivered(&[id]).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "outbox relay stopped; the stream will retry");
            return json!({ "batchItemFailures": [{ "itemIdentifier": record.dynamodb.sequence_number }] });
        }
    }
    json!({ "batchItemFailures": [] })
}

pub async fn run_relay() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let (_, store) = bookings_from_env(&config, None);
    let bus = Arc::new(EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&config),
        std::env::var("EVENT_BUS_NAME").unwrap_or_default(),
    ));
    tracing::info!(function = "relay-outbox", "initialised");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<StreamEvent>| {
            let (bus, store) = (bus.clone(), store.clone());
            async move { Ok::<_, Error>(relay_batch(bus.as_ref(), store.as_ref(), event.payload).await) }
        },
    ))
    .await
}
