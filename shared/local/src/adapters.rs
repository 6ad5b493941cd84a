//! Local stand-ins for S3, SES, EventBridge and SQS: ticket PDFs in a folder, emails as
//! `.eml` files a developer can open, a bus that hands events to the same subscriber code the
//! notification Lambda runs, a cancellation queue that runs the worker function, and the
//! consumers' dead-letter queue as a file.

use async_trait::async_trait;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use stagepass_api::wiring::QueueFn;
use stagepass_domain::catalog::ports::CancellationRequest;
use stagepass_domain::integration::events::{envelope, event_from_envelope};
use stagepass_domain::notifications::Email;
use stagepass_domain::notifications::{Delivery, Notifier};
use stagepass_domain::{
    CancellationQueue, DeadLetters, EventBus, EventId, InfraError, IntegrationEvent, Mailer,
    TicketFiles, Unusable,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

fn io(e: std::io::Error) -> InfraError {
    InfraError(e.to_string())
}

/// An SQS batch of one message, as Lambda hands a queue consumer (the local queues deliver
/// one at a time).
pub fn one_message(id: String, body: String) -> SqsEvent {
    let mut record = SqsMessage::default();
    record.message_id = Some(id);
    record.body = Some(body);
    let mut batch = SqsEvent::default();
    batch.records = vec![record];
    batch
}

/// Appends `value` as one JSON line.
async fn append_line(path: &Path, value: &serde_json::Value) -> Result<(), InfraError> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(io)?;
    file.write_all(format!("{value}\n").as_bytes())
        .await
        .map_err(io)
}

/// Every JSON line of `path`, oldest first (none if it does not exist yet). A line cut short
/// by a crash mid-append is skipped, not fatal.
async fn read_lines(path: &Path) -> Result<Vec<serde_json::Value>, InfraError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// The consumers' dead-letter queue, locally: each unusable message with its reason, one
/// JSON line in `dead-letters.jsonl` of the data folder (`GET /dev/dead-letters` serves it).
pub struct LocalDeadLetters {
    path: PathBuf,
}

impl LocalDeadLetters {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Everything parked so far, oldest first.
    pub async fn parked(&self) -> Result<Vec<serde_json::Value>, InfraError> {
        read_lines(&self.path).await
    }
}

#[async_trait]
impl DeadLetters for LocalDeadLetters {
    async fn park(&self, body: &str, reason: &Unusable) -> Result<(), InfraError> {
        let line = serde_json::json!({
            "parked_at": chrono::Utc::now().to_rfc3339(),
            "reason": reason.code(),
            "reason_detail": reason.to_string(),
            "body": body,
        });
        append_line(&self.path, &line).await
    }
}

/// Ticket files under a folder. Keys are made by Stagepass (`tickets/<uuid>/<id>.pdf`), but
/// are still checked so nothing is written outside the folder.
pub struct FolderFiles {
    dir: PathBuf,
}

impl FolderFiles {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf, InfraError> {
        let safe = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != ".."
                    && part != "."
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
        if safe {
            Ok(self.dir.join(key))
        } else {
            Err(InfraError(format!("unsafe file key {key:?}")))
        }
    }
}

#[async_trait]
impl TicketFiles for FolderFiles {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), InfraError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        // Write then rename, so a reader never sees half a PDF.
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn link(&self, key: &str) -> Result<String, InfraError> {
        let path = self.path(key)?;
        let absolute = std::path::absolute(&path).map_err(io)?;
        Ok(format!("file://{}", absolute.display()))
    }
}

/// Each email is written as `<time>-<id>.eml` (open it in any mail client).
pub struct MailFolder {
    dir: PathBuf,
}

impl MailFolder {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }
}

#[async_trait]
impl Mailer for MailFolder {
    async fn send(&self, email: &Email) -> Result<String, InfraError> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let id = format!(
            "{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
            uuid::Uuid::new_v4().simple()
        );
        tokio::fs::write(
            self.dir.join(format!("{id}.eml")),
            stagepass_render::to_mime(email),
        )
        .await
        .map_err(io)?;
        Ok(id)
    }
}

/// The local event bus: remembers what was published (for tests and the benchmark), appends
/// each event as EventBridge would deliver it to `events.jsonl` in the data folder (the local
/// archive, served at `GET /dev/events`), and delivers it to the subscribers: the notifier,
/// like the EventBridge rule → SQS → `notify` path, and any subscriber function, as an SQS
/// batch of one envelope. A subscriber failure fails the publish, so the outbox keeps the
/// event and the relay tries again (subscribers deduplicate by the event's id).
#[derive(Default)]
pub struct LocalBus {
    notifier: OnceLock<Arc<Notifier>>,
    /// Subscriber functions, with the detail-types their rule passes.
    subscribers: Mutex<Vec<(&'static [&'static str], QueueFn)>>,
    published: Mutex<Vec<IntegrationEvent>>,
    /// `events.jsonl`; none: not archived.
    log: Option<PathBuf>,
}

/// What the local bus calls its account and region in envelopes.
pub const LOCAL_ACCOUNT: &str = "000000000000";
pub const LOCAL_REGION: &str = "local";

impl LocalBus {
    /// A bus archiving to `log` (JSON lines, appended).
    pub fn archived(log: PathBuf) -> Self {
        Self {
            log: Some(log),
            ..Self::default()
        }
    }

    pub fn subscribe(&self, notifier: &Arc<Notifier>) {
        let _ = self.notifier.set(notifier.clone());
    }

    /// Delivers the events of `detail_types` to `function` (an SQS consumer), as a rule with
    /// that pattern and an SQS target would.
    pub fn subscribe_function(&self, detail_types: &'static [&'static str], function: QueueFn) {
        self.subscribers
            .lock()
            .expect("bus lock")
            .push((detail_types, function));
    }

    /// Every event published so far, in order (duplicates included).
    pub fn published(&self) -> Vec<IntegrationEvent> {
        self.published.lock().expect("bus lock").clone()
    }

    /// The archive: every envelope published, oldest first (an empty list if none yet).
    pub async fn archive(&self) -> Result<Vec<serde_json::Value>, InfraError> {
        match &self.log {
            Some(log) => read_lines(log).await,
            None => Ok(Vec::new()),
        }
    }

    /// EventBridge's replay, locally: delivers again every archived event whose time is in
    /// `[from, to)` to the subscribers (not to the archive), each with a new envelope id and
    /// `replay-name`, as a replay does; returns how many.
    pub async fn replay(
        &self,
        name: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, InfraError> {
        let mut replayed = 0;
        for mut envelope in self.archive().await? {
            let event = event_from_envelope(&envelope.to_string())
                .map_err(|e| InfraError(format!("archived event: {e}")))?;
            if event.time < from || event.time >= to {
                continue;
            }
            envelope["id"] = serde_json::json!(uuid::Uuid::new_v4().to_string());
            envelope["replay-name"] = serde_json::json!(name);
            self.deliver(&event, &envelope).await?;
            replayed += 1;
        }
        Ok(replayed)
    }

    async fn deliver(
        &self,
        event: &IntegrationEvent,
        envelope: &serde_json::Value,
    ) -> Result<(), InfraError> {
        if let Some(n) = self.notifier.get() {
            match n.handle(event).await? {
                Delivery::Sent(id) => {
                    tracing::info!(kind = %event.kind, event_id = %event.id, message = %id, "email sent")
                }
                Delivery::Duplicate => {
                    tracing::info!(event_id = %event.id, "duplicate event: no email")
                }
                Delivery::Ignored => {}
            }
        }
        let subscribers: Vec<QueueFn> = self
            .subscribers
            .lock()
            .expect("bus lock")
            .iter()
            .filter(|(types, _)| types.contains(&event.kind.as_str()))
            .map(|(_, f)| f.clone())
            .collect();
        for function in subscribers {
            let batch = one_message(uuid::Uuid::new_v4().to_string(), envelope.to_string());
            if !function(batch).await.batch_item_failures.is_empty() {
                return Err(InfraError(format!(
                    "a subscriber failed event {}; the relay retries",
                    event.id
                )));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl EventBus for LocalBus {
    async fn publish(&self, events: &[IntegrationEvent]) -> Result<(), InfraError> {
        for event in events {
            let envelope = envelope(
                event,
                &uuid::Uuid::new_v4().to_string(),
                LOCAL_ACCOUNT,
                LOCAL_REGION,
            );
            // Archived before delivery, as EventBridge archives what the bus receives. A
            // retried publish archives the event again, as a retried PutEvents would.
            if let Some(log) = &self.log {
                append_line(log, &envelope).await?;
            }
            self.published.lock().expect("bus lock").push(event.clone());
            self.deliver(event, &envelope).await?;
        }
        Ok(())
    }
}

/// The event cancellation queue, locally: each request is handed at once to the
/// `cancel-event-bookings` function (as an SQS batch of one, as Lambda would), in a task of
/// its own; a failed one is tried again a second later, up to [`LocalCancellations::TRIES`]
/// times (deployed: the queue's redrive, then its dead-letter queue). Requests are not kept
/// across a restart: asking to cancel the event again goes on from where it got to.
#[derive(Default)]
pub struct LocalCancellations {
    worker: OnceLock<QueueFn>,
}

impl LocalCancellations {
    pub const TRIES: u32 = 5;

    /// Hands requests to `worker`, which must be wired with [`LocalCancellations::weak`] as
    /// its own queue: a strong link back would keep the store open after the system is gone.
    pub fn subscribe(&self, worker: QueueFn) {
        let _ = self.worker.set(worker);
    }

    /// This queue, for the worker to ask for its next page with.
    pub fn weak(self: &Arc<Self>) -> Arc<dyn CancellationQueue> {
        Arc::new(WeakCancellations(Arc::downgrade(self)))
    }
}

struct WeakCancellations(Weak<LocalCancellations>);

#[async_trait]
impl CancellationQueue for WeakCancellations {
    async fn continue_cancellation(&self, event: &EventId) -> Result<(), InfraError> {
        match self.0.upgrade() {
            Some(queue) => queue.continue_cancellation(event).await,
            None => Err(InfraError("the local system has stopped".into())),
        }
    }
}

#[async_trait]
impl CancellationQueue for LocalCancellations {
    async fn continue_cancellation(&self, event: &EventId) -> Result<(), InfraError> {
        let worker = self
            .worker
            .get()
            .cloned()
            .ok_or_else(|| InfraError("no cancellation worker subscribed".into()))?;
        let body = CancellationRequest::body(event);
        tokio::spawn(async move {
            for attempt in 1..=Self::TRIES {
                let batch = one_message(format!("local-{attempt}"), body.clone());
                if worker(batch).await.batch_item_failures.is_empty() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            tracing::error!(request = %body, "cancellation request failed {} times; ask again to go on", Self::TRIES);
        });
        Ok(())
    }
}
