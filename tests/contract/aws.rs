//! What only the AWS adapters do, against the AWS-compatible endpoint (moto under `make test`,
//! LocalStack where Docker exists): presigned links, SES refusing an unverified sender,
//! EventBridge naming refused entries, a missing state machine. What every adapter of a port
//! does is in `infra.rs`, run on both sides; the set-up helpers for it are here.

use stagepass_aws::{EventBridgeBus, S3Files, SesMailer, SqsQueue, StepFunctionsWorkflow};
use stagepass_domain::{
    BookingId, EventBus, HoldId, IntegrationEvent, Mailer, TicketFiles, Workflow,
};
use stagepass_tests::aws::sdk_config;

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL")
}

/// A fresh bucket behind the adapter.
pub async fn s3_files() -> S3Files {
    let config = sdk_config().await;
    // Path-style addressing: moto and LocalStack serve buckets under the endpoint's path.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("tickets");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    S3Files::new(s3, &bucket)
}

#[tokio::test]
async fn s3_links_are_presigned() {
    let files = s3_files().await;
    files
        .put("tickets/b/b-1.pdf", b"%PDF".to_vec())
        .await
        .unwrap();
    let link = files.link("tickets/b/b-1.pdf").await.unwrap();
    assert!(link.contains("X-Amz-Signature"), "{link}");
}

/// A verified sender identity and the adapter sending as it.
pub async fn ses_mailer() -> (SesMailer, String) {
    let config = sdk_config().await;
    let ses = aws_sdk_sesv2::Client::new(&config);
    let from = format!("{}@stagepass.example", unique("tickets"));
    ses.create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .unwrap();
    (SesMailer::new(ses, &from), from)
}

#[tokio::test]
async fn sesv2_refuses_an_unverified_sender_with_the_reason() {
    let config = sdk_config().await;
    let rogue = SesMailer::new(aws_sdk_sesv2::Client::new(&config), "rogue@nowhere.example");
    let mut m =
        stagepass_domain::notifications::Email::new("rogue@nowhere.example", "fan@x.example", "x");
    m.text = "x".into();
    let err = rogue.send(&m).await.unwrap_err();
    assert!(
        err.0.contains("authority") || err.0.contains("verif"),
        "{err}"
    );
}

pub fn sample_event(n: usize) -> IntegrationEvent {
    let mut b = stagepass_domain::Booking::pending(
        stagepass_domain::bookings::models::BookingDraft {
            hold: &crate::inventory::hold(
                &stagepass_domain::EventId::generate(),
                crate::inventory::seats(&["A-1-1"]),
                chrono::Utc::now(),
                chrono::Duration::minutes(10),
            ),
            email: "fan@x.example".into(),
            event_title: format!("Show {n}"),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            payment_method: stagepass_domain::PaymentMethod::parse("pm_card_visa").unwrap(),
        },
        stagepass_domain::to_millis(chrono::Utc::now()),
    );
    b.status = stagepass_domain::BookingStatus::Confirmed;
    stagepass_domain::integration::events::booking_confirmed(&b)
}

/// A bus with a rule sending every Stagepass event to a fresh queue.
pub async fn bus_to_queue(config: &aws_config::SdkConfig) -> (EventBridgeBus, SqsQueue) {
    let events = aws_sdk_eventbridge::Client::new(config);
    let sqs = aws_sdk_sqs::Client::new(config);
    let bus = unique("bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue = sqs
        .create_queue()
        .queue_name(unique("notifications"))
        .send()
        .await
        .unwrap();
    let url = queue.queue_url().unwrap().to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    events
        .put_rule()
        .name("to-queue")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source": ["stagepass"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("to-queue")
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (EventBridgeBus::new(events, bus), SqsQueue::new(sqs, url))
}

pub async fn drain(queue: &SqsQueue, want: usize) -> Vec<IntegrationEvent> {
    let mut got = Vec::new();
    for _ in 0..20 {
        for m in queue.receive(1).await.unwrap() {
            got.push(m.event.unwrap());
            queue.delete(&m.receipt).await.unwrap();
        }
        if got.len() >= want {
            break;
        }
    }
    got
}

#[tokio::test]
async fn eventbridge_names_refused_entries_and_delivers_the_rest() {
    let config = sdk_config().await;
    let (bus, queue) = bus_to_queue(&config).await;
    // One refused entry in a batch: the others are delivered, the refused one is named.
    let mut bad = sample_event(99);
    bad.kind = String::new();
    let good = sample_event(100);
    let err = bus.publish(&[bad.clone(), good.clone()]).await.unwrap_err();
    assert!(err.0.contains(&bad.id), "{err}");
    assert!(!err.0.contains(&good.id), "{err}");
    let got = drain(&queue, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, good.id);
}

/// A one-state machine on the endpoint, run by moto.
pub async fn state_machine() -> (aws_sdk_sfn::Client, String) {
    let config = sdk_config().await;
    stagepass_cloud::http_client()
        .build()
        .unwrap()
        .post(format!("{}/moto-api/config", endpoint()))
        .json(&serde_json::json!({"stepfunctions": {"execute_state_machine": true}}))
        .send()
        .await
        .unwrap();
    let sfn = aws_sdk_sfn::Client::new(&config);
    let machine = sfn
        .create_state_machine()
        .name(unique("saga"))
        .role_arn("arn:aws:iam::123456789012:role/saga")
        .definition(r#"{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}"#)
        .send()
        .await
        .unwrap();
    (sfn, machine.state_machine_arn().to_string())
}

#[tokio::test]
async fn step_functions_refuses_a_missing_state_machine() {
    let (sfn, _) = state_machine().await;
    let booking = BookingId::for_hold(&HoldId::generate());
    // A missing state machine is an error, not a silent success.
    let missing = StepFunctionsWorkflow::new(
        sfn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:missing",
    );
    assert!(missing.start(&booking).await.is_err());
}
