//! The S3, SESv2, EventBridge, SQS and Step Functions adapters against the AWS-compatible
//! endpoint (moto under `make test`, LocalStack where Docker exists). Each test makes its own
//! bucket, identity, bus, queue or state machine.

use stagepass_aws::{EventBridgeBus, S3Files, SesMailer, SqsQueue, StepFunctionsWorkflow};
use stagepass_domain::{
    BookingId, EventBus, HoldId, IntegrationEvent, Mailer, TicketFiles, Workflow,
};
use stagepass_tests::aws::sdk_config;
use std::collections::BTreeSet;

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL")
}

#[tokio::test]
async fn s3_keeps_ticket_files_and_presigned_links_open_them() {
    let config = sdk_config().await;
    // Path-style addressing: moto and LocalStack serve buckets under the endpoint's path.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("tickets");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let files = S3Files::new(s3, &bucket);
    let pdf = b"%PDF-1.4 a ticket".to_vec();
    files.put("tickets/b/b-1.pdf", pdf.clone()).await.unwrap();
    files.put("tickets/b/b-1.pdf", pdf.clone()).await.unwrap();
    assert_eq!(
        files.get("tickets/b/b-1.pdf").await.unwrap(),
        Some(pdf.clone())
    );
    assert_eq!(files.get("tickets/b/missing.pdf").await.unwrap(), None);
    let link = files.link("tickets/b/b-1.pdf").await.unwrap();
    assert!(link.contains("X-Amz-Signature"), "{link}");
    let fetched = reqwest::get(&link).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), pdf);
}

#[tokio::test]
async fn sesv2_sends_the_mime_message_with_its_attachments() {
    let config = sdk_config().await;
    let ses = aws_sdk_sesv2::Client::new(&config);
    let from = format!("{}@stagepass.example", unique("tickets"));
    ses.create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .unwrap();
    let mut message =
        stagepass_domain::notifications::Email::new(&from, "fan@x.example", "Your tickets");
    message.text = "Enjoy the show".into();
    message.attach("ticket-1.pdf", "application/pdf", b"%PDF-1.4".to_vec());
    let mailer = SesMailer::new(ses, &from);
    let id = mailer.send(&message).await.unwrap();
    assert!(!id.is_empty());
    // moto keeps what it sent; read it back.
    let data = reqwest::get(format!("{}/moto-api/data.json", endpoint()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        data.contains(&id),
        "the message {id} is in moto's sent mail"
    );
    // An unverified sender is refused with the reason.
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

fn sample_event(n: usize) -> IntegrationEvent {
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
            payment_method: stagepass_domain::PaymentMethod::parse("4242424242424242").unwrap(),
        },
        stagepass_domain::to_millis(chrono::Utc::now()),
    );
    b.status = stagepass_domain::BookingStatus::Confirmed;
    stagepass_domain::integration::events::booking_confirmed(&b)
}

/// A bus with a rule sending every Stagepass event to a fresh queue.
async fn bus_to_queue(config: &aws_config::SdkConfig) -> (EventBridgeBus, SqsQueue) {
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

async fn drain(queue: &SqsQueue, want: usize) -> Vec<IntegrationEvent> {
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
async fn eventbridge_delivers_every_event_through_sqs_and_names_refused_entries() {
    let config = sdk_config().await;
    let (bus, queue) = bus_to_queue(&config).await;
    // Twelve events: more than one PutEvents call (10 at most each).
    let events: Vec<IntegrationEvent> = (0..12).map(sample_event).collect();
    bus.publish(&events).await.unwrap();
    let got = drain(&queue, 12).await;
    let sent: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let received: BTreeSet<&str> = got.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(sent, received);
    // What a subscriber reads is what was published.
    let first = got.iter().find(|e| e.id == events[0].id).unwrap();
    assert_eq!(first.kind, "BookingConfirmed");
    assert_eq!(first.detail, events[0].detail);

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

#[tokio::test]
async fn step_functions_starts_one_execution_per_booking() {
    let config = sdk_config().await;
    reqwest::Client::new()
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
    let arn = machine.state_machine_arn().to_string();
    let workflow = StepFunctionsWorkflow::new(sfn.clone(), &arn);
    let booking = BookingId::for_hold(&HoldId::generate());
    workflow.start(&booking).await.unwrap();
    workflow.start(&booking).await.unwrap();
    let runs = sfn
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(runs.executions().len(), 1);
    assert_eq!(runs.executions()[0].name(), booking.as_str());
    // A missing state machine is an error, not a silent success.
    let missing = StepFunctionsWorkflow::new(
        sfn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:missing",
    );
    assert!(missing.start(&booking).await.is_err());
}
