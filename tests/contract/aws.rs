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

/// Loses the answer to the first refresh-token spend (the `TransactWriteItems` that sets a
/// token `used`): the request runs at the endpoint and the client is told 500, as when a
/// connection drops after DynamoDB committed. The SDK then retries it.
#[derive(Debug, Default, Clone)]
struct LoseFirstSpendAnswer(std::sync::Arc<std::sync::Mutex<(bool, bool)>>);

impl aws_sdk_dynamodb::config::Intercept for LoseFirstSpendAnswer {
    fn name(&self) -> &'static str {
        "lose-first-spend-answer"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let spend = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|t| t.ends_with("TransactWriteItems"))
            && String::from_utf8_lossy(request.body().bytes().unwrap_or_default())
                .contains("SET used = :true");
        let mut state = self.0.lock().unwrap();
        // (armed for this answer, already lost one)
        state.0 = spend && !state.1;
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextMut<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut state = self.0.lock().unwrap();
        if state.0 {
            *state = (false, true);
            *context.response_mut().status_mut() = 500u16.try_into().expect("a status");
        }
        Ok(())
    }
}

/// A refresh whose committed spend loses its answer is retried by the SDK; the retry must not
/// look like a stolen token being reused. Before, the retry failed its condition, the token
/// read as spent, and the whole login was revoked (`refresh_token_reused`) for a network blip.
/// Now the transaction carries a ClientRequestToken (DynamoDB answers the retry as the success
/// it was) and the token records which call spent it, so the call sees its own spend (moto
/// ignores ClientRequestToken; this second guard is what passes here). A real second use of the
/// token is still a reuse.
#[tokio::test]
async fn a_refresh_whose_answer_is_lost_is_not_a_reuse() {
    use stagepass_domain::{Accounts, IdentityError, IdentitySettings, Role};
    let config = sdk_config().await;
    let lose = LoseFirstSpendAnswer::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config)
            .interceptor(lose.clone())
            .build(),
    );
    let table = unique("identity");
    stagepass_tests::aws::create_table(&client, "IdentityTable", &table).await;
    let store = std::sync::Arc::new(stagepass_dynamo::DynamoIdentity::new(client, table));
    let accounts = Accounts::new(
        store.clone(),
        store,
        stagepass_tests::system_clock(),
        IdentitySettings::default(),
    );
    let email = format!("{}@example.com", unique("blip"));
    accounts
        .ensure_account(&email, "correct horse battery", &[Role::Fan])
        .await
        .unwrap();
    let login = accounts
        .login(&email, "correct horse battery", "ip-1")
        .await
        .unwrap();
    let first = login.refresh_token.unwrap();
    let next = accounts.refresh(&first).await.unwrap();
    assert!(
        lose.0.lock().unwrap().1,
        "the first answer was lost and retried"
    );
    // The login lives on: its next token works.
    let after = accounts
        .refresh(next.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(after.family, login.family);
    // And a real reuse is still caught.
    assert_eq!(
        accounts.refresh(&first).await.unwrap_err(),
        IdentityError::RefreshTokenReused
    );
}
