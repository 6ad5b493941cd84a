//! AWS adapters beyond DynamoDB: ticket files in S3, mail through SESv2, integration events
//! on EventBridge, the booking saga on Step Functions, and the notification and event
//! cancellation queues on SQS, and consumers' dead-letter queues.
//! Every failure is reported with its cause; none is swallowed.

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use stagepass_domain::catalog::ports::CancellationRequest;
use stagepass_domain::integration::events::SOURCE;
use stagepass_domain::notifications::Email;
use stagepass_domain::{
    BookingId, CancellationQueue, DeadLetters, EventBus, EventId, InfraError, IntegrationEvent,
    Mailer, TicketFiles, Unusable, Workflow,
};
use std::time::Duration;

fn infra(e: impl std::fmt::Display) -> InfraError {
    InfraError(e.to_string())
}

/// How long a ticket link works. Links are minted each time a booking is viewed, with the
/// function role's session credentials, which expire within hours: a long-lived link would
/// die with them anyway. Emails link to the booking instead.
pub const TICKET_LINK_TTL: Duration = Duration::from_secs(15 * 60);

/// Ticket PDFs in an S3 bucket (private; buyers get presigned links).
pub struct S3Files {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Files {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl TicketFiles for S3Files {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), InfraError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/pdf")
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| infra(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(infra)?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(infra(aws_sdk_s3::error::DisplayErrorContext(e))),
        }
    }

    async fn link(&self, key: &str) -> Result<String, InfraError> {
        let config =
            aws_sdk_s3::presigning::PresigningConfig::expires_in(TICKET_LINK_TTL).map_err(infra)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| infra(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(request.uri().to_string())
    }
}

/// Sends MIME messages (with the ticket PDFs attached) through SESv2 as raw content.
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set: None,
        }
    }

    /// Sends through an SES configuration set (its event destinations see bounces and
    /// complaints; its reputation metrics are kept).
    pub fn with_configuration_set(mut self, name: Option<String>) -> Self {
        self.configuration_set = name;
        self
    }
}

#[async_trait]
impl Mailer for SesMailer {
    /// Sends the MIME rendering as SES raw content (attachments need it).
    async fn send(&self, email: &Email) -> Result<String, InfraError> {
        use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
        let raw = RawMessage::builder()
            .data(stagepass_render::to_mime(email).into())
            .build()
            .map_err(infra)?;
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .set_configuration_set_name(self.configuration_set.clone())
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map_err(|e| infra(aws_sdk_sesv2::error::DisplayErrorContext(e)))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// PutEvents accepts at most 10 entries per call.
const PUT_EVENTS_BATCH: usize = 10;
const PUT_EVENTS_ATTEMPTS: u32 = 4;

/// Publishes integration events to an EventBridge bus. PutEvents can accept some entries and
/// refuse others in one call: refused entries are retried (with backoff), and any still
/// refused are reported so the outbox keeps them.
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    fn entry(&self, e: &IntegrationEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(&e.kind)
            .detail(e.detail.to_string())
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                e.time.timestamp_millis(),
            ))
            .resources(format!("stagepass:event:{}", e.id))
            .build()
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[IntegrationEvent]) -> Result<(), InfraError> {
        let mut failed = Vec::new();
        for batch in events.chunks(PUT_EVENTS_BATCH) {
            let mut pending: Vec<&IntegrationEvent> = batch.iter().collect();
            let mut last_error = String::new();
            for attempt in 0..PUT_EVENTS_ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                let result = self
                    .client
                    .put_events()
                    .set_entries(Some(pending.iter().map(|e| self.entry(e)).collect()))
                    .send()
                    .await;
                let out = match result {
                    Ok(out) => out,
                    Err(e) => {
                        last_error = aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string();
                        continue;
                    }
                };
                // Entries come back in request order; an entry with an error code was refused.
                let refused: Vec<&IntegrationEvent> = pending
                    .iter()
                    .zip(out.entries())
                    .filter(|(_, r)| r.error_code().is_some())
                    .map(|(e, r)| {
                        last_error = format!(
                            "{}: {}",
                            r.error_code().unwrap_or_default(),
                            r.error_message().unwrap_or_default()
                        );
                        *e
                    })
                    .collect();
                pending = refused;
                if pending.is_empty() {
                    break;
                }
            }
            if !pending.is_empty() {
                tracing::warn!(count = pending.len(), error = %last_error, "events not published");
                failed.extend(pending.iter().map(|e| e.id.clone()));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(InfraError(format!(
                "events not published: {}",
                failed.join(", ")
            )))
        }
    }
}

/// Starts the booking saga on a Step Functions state machine, named by the booking id.
pub struct StepFunctionsWorkflow {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl StepFunctionsWorkflow {
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }
}

#[async_trait]
impl Workflow for StepFunctionsWorkflow {
    async fn start(&self, booking: &BookingId) -> Result<(), InfraError> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(booking.as_str())
            .input(serde_json::json!({ "booking_id": booking }).to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Named by the booking: it was already started, which is what we wanted.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_already_exists()) =>
            {
                Ok(())
            }
            Err(e) => Err(infra(aws_sdk_sfn::error::DisplayErrorContext(e))),
        }
    }
}

pub use stagepass_domain::integration::events::event_from_envelope;

/// The notification queue (EventBridge rule → SQS), read directly: for draining it by hand
/// and for tests. Deployed, Lambda's SQS event source mapping does the receiving.
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// One received message: the event it carries (or why it could not be read) and the handle
/// to delete it with.
pub struct Received {
    pub event: Result<IntegrationEvent, InfraError>,
    pub receipt: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Up to 10 messages, waiting up to `wait_secs` for the first.
    pub async fn receive(&self, wait_secs: i32) -> Result<Vec<Received>, InfraError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_secs)
            .send()
            .await
            .map_err(|e| infra(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| Received {
                event: event_from_envelope(m.body().unwrap_or_default())
                    .map_err(|e| InfraError(e.to_string())),
                receipt: m.receipt_handle().unwrap_or_default().to_string(),
            })
            .collect())
    }

    pub async fn delete(&self, receipt: &str) -> Result<(), InfraError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| infra(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        Ok(())
    }
}

/// Requests to cancel the next page of an event's bookings, as SQS messages the
/// `cancel-event-bookings` function receives. The body names only the event: the worker reads
/// where it got to from the event itself.
pub struct SqsCancellationQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsCancellationQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

#[async_trait]
impl CancellationQueue for SqsCancellationQueue {
    async fn continue_cancellation(&self, event: &EventId) -> Result<(), InfraError> {
        let body = CancellationRequest::body(event);
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| infra(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        Ok(())
    }
}

/// A consumer's dead-letter queue, written to directly for messages the consumer can never
/// use: each is sent with its original body and message attributes `reason` (a stable code)
/// and `reason_detail` (what exactly was wrong), so whoever looks at the queue sees why at
/// once, without searching the logs. The queue's redrive policy still catches messages that
/// kept failing for other reasons (those carry no `reason`).
pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsDeadLetters {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn park(&self, body: &str, reason: &Unusable) -> Result<(), InfraError> {
        use aws_sdk_sqs::types::MessageAttributeValue;
        let text = |v: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .expect("data type set")
        };
        // SQS refuses an empty body; a message with none is parked as a note that it had none.
        let body = if body.is_empty() {
            "(empty body)"
        } else {
            body
        };
        // 1,024 bytes is far beyond any reason we write, and keeps attributes small.
        let detail: String = reason.to_string().chars().take(1024).collect();
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .message_attributes("reason", text(reason.code()))
            .message_attributes("reason_detail", text(&detail))
            .send()
            .await
            .map_err(|e| infra(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        Ok(())
    }
}
