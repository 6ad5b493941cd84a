//! The infrastructure ports with two adapters each, one contract suite per port, run on both:
//! ticket files (a folder / S3), the mailer (a mail folder / SESv2), the event bus (in-process
//! / EventBridge → SQS) and the workflow (the local ASL runner / Step Functions). Each test
//! makes its own folder, bucket, identity, bus, queue or state machine.

use crate::aws::{bus_to_queue, drain, sample_event};
use stagepass_domain::notifications::Email;
use stagepass_domain::{
    BookingId, EventBus, HoldId, IntegrationEvent, Mailer, TicketFiles, Workflow,
};
use std::collections::BTreeSet;
use std::future::Future;

// ---- Ticket files ------------------------------------------------------------------------

/// Written (twice: issuing is retried), read back, absent when never written, and the link
/// opens the same bytes.
async fn files_contract(files: &dyn TicketFiles) {
    let pdf = b"%PDF-1.4 a ticket".to_vec();
    files.put("tickets/b/b-1.pdf", pdf.clone()).await.unwrap();
    files.put("tickets/b/b-1.pdf", pdf.clone()).await.unwrap();
    assert_eq!(
        files.get("tickets/b/b-1.pdf").await.unwrap(),
        Some(pdf.clone())
    );
    assert_eq!(files.get("tickets/b/missing.pdf").await.unwrap(), None);
    let link = files.link("tickets/b/b-1.pdf").await.unwrap();
    let opened = match link.strip_prefix("file://") {
        Some(path) => std::fs::read(path).unwrap(),
        None => {
            let res = stagepass_cloud::http_client()
                .build()
                .unwrap()
                .get(&link)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{link}");
            res.bytes().await.unwrap().to_vec()
        }
    };
    assert_eq!(opened, pdf, "{link}");
}

#[tokio::test]
async fn ticket_files_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    files_contract(&stagepass_local::adapters::FolderFiles::new(dir.path())).await;
}

#[tokio::test]
async fn ticket_files_on_s3() {
    files_contract(&crate::aws::s3_files().await).await;
}

// ---- Mailer ------------------------------------------------------------------------------

/// Every send gets its own message id, and the message with its attachment is delivered.
async fn mailer_contract<F, Fut>(mailer: &dyn Mailer, from: &str, delivered: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut email = Email::new(from, "fan@x.example", "Your tickets: Zoë's gala");
    email.text = "Enjoy the show".into();
    email.attach("ticket-1.pdf", "application/pdf", b"%PDF-1.4".to_vec());
    let first = mailer.send(&email).await.unwrap();
    let second = mailer.send(&email).await.unwrap();
    assert!(!first.is_empty());
    assert_ne!(first, second, "each send is its own message");
    assert!(delivered(first).await);
    assert!(delivered(second).await);
}

#[tokio::test]
async fn mail_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_path_buf();
    let mailer = stagepass_local::adapters::MailFolder::new(&folder);
    mailer_contract(&mailer, "tickets@stagepass.local", |id| {
        let path = folder.join(format!("{id}.eml"));
        async move {
            let eml = std::fs::read_to_string(path).unwrap_or_default();
            eml.contains("Subject: =?utf-8?B?") && eml.contains("filename=\"ticket-1.pdf\"")
        }
    })
    .await;
}

#[tokio::test]
async fn mail_through_sesv2() {
    let (mailer, from) = crate::aws::ses_mailer().await;
    mailer_contract(&mailer, &from, |id| async move {
        // moto keeps what it sent.
        let data = stagepass_cloud::http_client()
            .build()
            .unwrap()
            .get(format!("{}/moto-api/data.json", crate::aws::endpoint()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        data.contains(&id)
    })
    .await;
}

// ---- Event bus ---------------------------------------------------------------------------

/// Every event published reaches subscribers as it was published (more than one PutEvents
/// batch's worth here).
async fn bus_contract<F, Fut>(bus: &dyn EventBus, received: F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Vec<IntegrationEvent>>,
{
    let events: Vec<IntegrationEvent> = (0..12).map(sample_event).collect();
    bus.publish(&events).await.unwrap();
    let got = received(events.len()).await;
    let sent: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let seen: BTreeSet<&str> = got.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(sent, seen);
    let first = got.iter().find(|e| e.id == events[0].id).unwrap();
    assert_eq!(first.kind, events[0].kind);
    assert_eq!(first.detail, events[0].detail);
}

#[tokio::test]
async fn events_on_the_local_bus() {
    let bus = std::sync::Arc::new(stagepass_local::adapters::LocalBus::default());
    let seen = bus.clone();
    bus_contract(bus.as_ref(), |_| {
        let seen = seen.clone();
        async move { seen.published() }
    })
    .await;
}

#[tokio::test]
async fn events_through_eventbridge_to_sqs() {
    let config = stagepass_tests::aws::sdk_config().await;
    let (bus, queue) = bus_to_queue(&config).await;
    bus_contract(&bus, |want| drain(&queue, want)).await;
}

// ---- Workflow ----------------------------------------------------------------------------

/// Starting a booking's saga twice is not an error and makes one execution, named by it.
async fn workflow_contract<F, Fut>(workflow: &dyn Workflow, executions: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    let booking = BookingId::for_hold(&HoldId::generate());
    workflow.start(&booking).await.unwrap();
    workflow.start(&booking).await.unwrap();
    let named: Vec<String> = executions()
        .await
        .into_iter()
        .filter(|e| e == booking.as_str())
        .collect();
    assert_eq!(named, [booking.to_string()]);
}

#[tokio::test]
async fn the_local_saga_runner_starts_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = stagepass_embedded::EmbeddedStore::open(dir.path()).unwrap();
    let saga = stagepass_local::saga::LocalSaga::new(store.clone(), Default::default(), false, 0.0)
        .unwrap();
    workflow_contract(saga.as_ref(), || {
        let store = store.clone();
        async move { store.running_executions().await.unwrap() }
    })
    .await;
}

#[tokio::test]
async fn step_functions_starts_once() {
    let (sfn, arn) = crate::aws::state_machine().await;
    let workflow = stagepass_aws::StepFunctionsWorkflow::new(sfn.clone(), &arn);
    workflow_contract(&workflow, || {
        let (sfn, arn) = (sfn.clone(), arn.clone());
        async move {
            let runs = sfn
                .list_executions()
                .state_machine_arn(&arn)
                .send()
                .await
                .unwrap();
            runs.executions()
                .iter()
                .map(|e| e.name().to_string())
                .collect()
        }
    })
    .await;
}
