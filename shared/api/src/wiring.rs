//! How a function wires itself. Each `functions/<name>/src/handler.rs` declares a
//! [`Function`]: its name, its route (if API Gateway calls it) and a `wire` that asks a
//! [`Wiring`] for exactly the ports its use case needs and returns its [`Handler`].
//!
//! Two wirings exist: the deployed one (`stagepass-lambda`) builds each port on demand from the
//! function's own environment and fails at start-up naming a missing setting, so what a
//! function asks for is what its template entry must give it (a test checks both ways); and
//! [`Ports`], a bag of ready adapters, which the local server and the tests fill.

use crate::auth::{Keyring, Keys, Signer, Verifier};
use async_trait::async_trait;
use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use stagepass_domain::catalog::seat_map::{MapSettings, MapSnapshots};
use stagepass_domain::queue::{Admissions, WaitingRoom, WaitingRooms};
use stagepass_domain::{
    BookingStore, CancellationQueue, Clock, DeadLetters, EventBus, EventCatalog, HoldSettings,
    IdempotencyStore, IdentitySettings, IdentityStore, Mailer, MessageFailure, PaymentProvider,
    RateLimiter, SalesLedger, SeatInventory, TicketFiles, TicketRenderer, TicketSigner,
    TicketVerifier, Workflow,
};
use stagepass_saga::SagaStep;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A function's start-up failed: names the setting or port that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WiringError(pub String);

/// Whether API Gateway runs the authorizer before the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A valid access token is needed; the function gets the caller from the authorizer.
    Token,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub access: Access,
    /// What the OpenAPI document says of the route (every route has one).
    pub doc: fn() -> crate::openapi::Doc,
}

impl Route {
    pub const fn public(
        method: &'static str,
        path: &'static str,
        doc: fn() -> crate::openapi::Doc,
    ) -> Self {
        Self {
            method,
            path,
            access: Access::Public,
            doc,
        }
    }

    pub const fn token(
        method: &'static str,
        path: &'static str,
        doc: fn() -> crate::openapi::Doc,
    ) -> Self {
        Self {
            method,
            path,
            access: Access::Token,
            doc,
        }
    }
}

/// API Gateway answers 401 only when a TOKEN authorizer fails with exactly this message.
#[derive(Debug)]
pub struct Unauthorized;

pub type HttpFn = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
pub type QueueFn = Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync>;
pub type StreamFn =
    Arc<dyn Fn(DynamoDbEvent) -> BoxFuture<'static, DynamoDbEventResponse> + Send + Sync>;
/// Runs on a schedule (an EventBridge rule); the event says only when. Answers what it did,
/// or fails (Lambda then reports an error, and the next run tries again).
pub type ScheduledFn =
    Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;
pub type AuthorizerFn = Arc<
    dyn Fn(
            ApiGatewayCustomAuthorizerRequest,
        ) -> BoxFuture<
            'static,
            Result<ApiGatewayCustomAuthorizerResponse<Map<String, Value>>, Unauthorized>,
        > + Send
        + Sync,
>;

/// What a wired function runs per invocation, by what invokes it.
#[derive(Clone)]
pub enum Handler {
    /// API Gateway proxy requests.
    Http(HttpFn),
    /// A Task of the booking saga (Step Functions).
    Step(Arc<dyn SagaStep>),
    /// An SQS batch, answered with the messages that failed.
    Queue(QueueFn),
    /// A DynamoDB stream batch, answered with the first record that failed.
    Stream(StreamFn),
    /// An EventBridge schedule.
    Scheduled(ScheduledFn),
    /// API Gateway's TOKEN authorizer.
    Authorizer(AuthorizerFn),
}

/// Wraps an async request handler.
pub fn http<F, Fut>(f: F) -> Handler
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    Handler::Http(Arc::new(move |req| Box::pin(f(req))))
}

/// Wraps an async handler of one SQS message's body. A message it fails with
/// [`MessageFailure::Retry`] is reported as a batch item failure (logged with its id), so only
/// it comes back, and after the queue's `maxReceiveCount` goes to its dead-letter queue. One
/// it fails with [`MessageFailure::Unusable`] would fail the same way every time: it is parked
/// in `dead_letters` at once with its reason, and acknowledged (unless parking fails, when it
/// comes back like a retry, so nothing is lost).
pub fn queue<F, Fut>(dead_letters: Arc<dyn DeadLetters>, f: F) -> Handler
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), MessageFailure>> + Send + 'static,
{
    let f = Arc::new(f);
    Handler::Queue(Arc::new(move |batch: SqsEvent| {
        let (f, dead_letters) = (f.clone(), dead_letters.clone());
        Box::pin(async move {
            let mut response = SqsBatchResponse::default();
            for record in batch.records {
                let id = record.message_id.unwrap_or_default();
                let body = record.body.unwrap_or_default();
                let failed = match f(body.clone()).await {
                    Ok(()) => None,
                    Err(MessageFailure::Retry(e)) => Some(e),
                    Err(MessageFailure::Unusable(why)) => {
                        tracing::warn!(record = %id, reason = why.code(), error = %why, "unusable message: dead-lettered");
                        dead_letters
                            .park(&body, &why)
                            .await
                            .err()
                            .map(|e| format!("{why}; and parking it failed: {e}"))
                    }
                };
                if let Some(e) = failed {
                    tracing::warn!(record = %id, error = %e, "message failed; it comes back");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    response.batch_item_failures.push(failure);
                }
            }
            response
        })
    }))
}

pub type Wire = for<'a> fn(&'a dyn Wiring) -> BoxFuture<'a, Result<Handler, WiringError>>;

/// One Lambda function: the folder name under `functions/`, its route, and its wiring.
#[derive(Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub route: Option<Route>,
    pub wire: Wire,
}

/// Request limits every HTTP function applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    /// How long a retry waits for the first request with its Idempotency-Key to finish.
    pub idempotency_wait: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // 256 KiB: a 50,000-seat stadium layout is a few KiB, so this is generous.
            max_body_bytes: 256 * 1024,
            idempotency_wait: std::time::Duration::from_secs(3),
        }
    }
}

/// What a function may ask for while it wires itself. Every port is built on demand: a
/// function that does not ask for one never reads its settings.
#[async_trait]
pub trait Wiring: Send + Sync {
    fn catalog(&self) -> Result<Arc<dyn EventCatalog>, WiringError>;
    fn inventory(&self) -> Result<Arc<dyn SeatInventory>, WiringError>;
    fn identity(&self) -> Result<Arc<dyn IdentityStore>, WiringError>;
    fn rate_limiter(&self) -> Result<Arc<dyn RateLimiter>, WiringError>;
    fn bookings(&self) -> Result<Arc<dyn BookingStore>, WiringError>;
    /// Idempotency keys (of requests, and of events already mailed).
    fn idempotency(&self) -> Result<Arc<dyn IdempotencyStore>, WiringError>;
    fn payments(&self) -> Result<Arc<dyn PaymentProvider>, WiringError>;
    fn files(&self) -> Result<Arc<dyn TicketFiles>, WiringError>;
    /// The mailer and the From address it sends as.
    fn mailer(&self) -> Result<(Arc<dyn Mailer>, String), WiringError>;
    /// The public base URL buyers open their bookings at (emails link there).
    fn public_url(&self) -> Result<String, WiringError>;
    fn bus(&self) -> Result<Arc<dyn EventBus>, WiringError>;
    fn workflow(&self) -> Result<Arc<dyn Workflow>, WiringError>;
    /// Requests to cancel the next page of a cancelled event's bookings.
    fn cancellations(&self) -> Result<Arc<dyn CancellationQueue>, WiringError>;
    /// The sales subscriber's tallies.
    fn sales(&self) -> Result<Arc<dyn SalesLedger>, WiringError>;
    /// The seat maps' snapshots.
    fn map_snapshots(&self) -> Result<Arc<dyn MapSnapshots>, WiringError>;
    /// How old a seat map may be served.
    fn map_settings(&self) -> MapSettings {
        MapSettings::default()
    }
    /// The on-sales' waiting rooms.
    fn waiting_rooms(&self) -> Result<Arc<dyn WaitingRooms>, WiringError>;
    /// Where a queue consumer parks messages it can never use (its dead-letter queue).
    fn dead_letters(&self) -> Result<Arc<dyn DeadLetters>, WiringError>;
    /// Ticket documents (PDF): needs no setting, the same deployed and locally.
    fn ticket_renderer(&self) -> Arc<dyn TicketRenderer> {
        Arc::new(stagepass_render::PdfTickets)
    }
    /// The private access-token keys (only the functions that start sessions).
    async fn access_signer(&self) -> Result<Arc<Keyring<Signer>>, WiringError>;
    /// The public access-token keys (the authorizer, JWKS, public routes that read a token).
    async fn access_verifier(&self) -> Result<Arc<Keyring<Verifier>>, WiringError>;
    /// The private ticket keys (only the function that issues tickets).
    async fn ticket_signer(&self) -> Result<Arc<dyn TicketSigner>, WiringError>;
    /// The public ticket keys (check-in).
    async fn ticket_verifier(&self) -> Result<Arc<dyn TicketVerifier>, WiringError>;
    fn clock(&self) -> Arc<dyn Clock>;
    fn hold_settings(&self) -> Result<HoldSettings, WiringError>;
    fn identity_settings(&self) -> Result<IdentitySettings, WiringError>;
    fn limits(&self) -> Limits;
}

/// The identity use cases, as every identity function builds them.
pub fn accounts(w: &dyn Wiring) -> Result<stagepass_domain::Accounts, WiringError> {
    Ok(stagepass_domain::Accounts::new(
        w.identity()?,
        w.rate_limiter()?,
        w.clock(),
        w.identity_settings()?,
    ))
}

/// What a function that emails people about their account needs: the mailer, the From
/// address, and the web app's address the emails' links open.
pub struct Mail {
    pub mailer: Arc<dyn Mailer>,
    pub from: String,
    pub public_url: String,
}

impl Mail {
    pub fn wire(w: &dyn Wiring) -> Result<Self, WiringError> {
        let (mailer, from) = w.mailer()?;
        Ok(Self {
            mailer,
            from,
            public_url: w.public_url()?,
        })
    }
}

/// The waiting rooms' door, as hold and checkout build it: the rooms, the access keys that
/// check admission tokens, and the hold settings' cache lifetime.
pub async fn admissions(w: &dyn Wiring) -> Result<Arc<Admissions>, WiringError> {
    Ok(Arc::new(Admissions::new(
        w.waiting_rooms()?,
        w.access_verifier().await?,
        w.clock(),
        w.hold_settings()?.published_cache_ttl,
    )))
}

/// The waiting room's use cases, as its functions build them (admission tokens are signed
/// with the access keys).
pub async fn waiting_room(w: &dyn Wiring) -> Result<WaitingRoom, WiringError> {
    Ok(WaitingRoom {
        catalog: w.catalog()?,
        rooms: w.waiting_rooms()?,
        signer: w.access_signer().await?,
        clock: w.clock(),
        recent: Default::default(),
    })
}

/// The organiser's catalog use cases and search.
pub fn catalog(w: &dyn Wiring) -> Result<stagepass_domain::catalog::Catalog, WiringError> {
    Ok(stagepass_domain::catalog::Catalog {
        catalog: w.catalog()?,
        clock: w.clock(),
    })
}

/// Ready-made adapters: the local server's embedded ones, or whatever a test passes. Asking
/// for a port that is not here is an error naming it.
#[derive(Clone)]
pub struct Ports {
    pub catalog: Option<Arc<dyn EventCatalog>>,
    pub inventory: Option<Arc<dyn SeatInventory>>,
    pub identity: Option<Arc<dyn IdentityStore>>,
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    pub bookings: Option<Arc<dyn BookingStore>>,
    pub idempotency: Option<Arc<dyn IdempotencyStore>>,
    pub payments: Option<Arc<dyn PaymentProvider>>,
    pub files: Option<Arc<dyn TicketFiles>>,
    pub mailer: Option<(Arc<dyn Mailer>, String)>,
    pub bus: Option<Arc<dyn EventBus>>,
    pub workflow: Option<Arc<dyn Workflow>>,
    pub cancellations: Option<Arc<dyn CancellationQueue>>,
    pub sales: Option<Arc<dyn SalesLedger>>,
    pub map_snapshots: Option<Arc<dyn MapSnapshots>>,
    pub map_settings: MapSettings,
    pub waiting_rooms: Option<Arc<dyn WaitingRooms>>,
    pub dead_letters: Option<Arc<dyn DeadLetters>>,
    pub keys: Option<Keys>,
    pub clock: Arc<dyn Clock>,
    pub hold_settings: HoldSettings,
    pub identity_settings: IdentitySettings,
    pub limits: Limits,
    /// Where buyers open their bookings (the local server's own address).
    pub public_url: String,
}

/// `make run`'s address, where buyers open their bookings locally (unless `PORT` moves it).
pub const LOCAL_PUBLIC_URL: &str = "http://127.0.0.1:3000";

impl Ports {
    /// No adapters yet, default settings.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            catalog: None,
            inventory: None,
            identity: None,
            rate_limiter: None,
            bookings: None,
            idempotency: None,
            payments: None,
            files: None,
            mailer: None,
            bus: None,
            workflow: None,
            cancellations: None,
            sales: None,
            map_snapshots: None,
            map_settings: MapSettings::default(),
            waiting_rooms: None,
            dead_letters: None,
            keys: None,
            clock,
            hold_settings: HoldSettings::default(),
            identity_settings: IdentitySettings::default(),
            limits: Limits::default(),
            public_url: LOCAL_PUBLIC_URL.into(),
        }
    }
}

fn given<T: Clone>(port: &Option<T>, name: &str) -> Result<T, WiringError> {
    port.clone()
        .ok_or_else(|| WiringError(format!("no {name} adapter was given")))
}

#[async_trait]
impl Wiring for Ports {
    fn catalog(&self) -> Result<Arc<dyn EventCatalog>, WiringError> {
        given(&self.catalog, "catalog")
    }
    fn inventory(&self) -> Result<Arc<dyn SeatInventory>, WiringError> {
        given(&self.inventory, "inventory")
    }
    fn identity(&self) -> Result<Arc<dyn IdentityStore>, WiringError> {
        given(&self.identity, "identity")
    }
    fn rate_limiter(&self) -> Result<Arc<dyn RateLimiter>, WiringError> {
        given(&self.rate_limiter, "rate limiter")
    }
    fn bookings(&self) -> Result<Arc<dyn BookingStore>, WiringError> {
        given(&self.bookings, "bookings")
    }
    fn idempotency(&self) -> Result<Arc<dyn IdempotencyStore>, WiringError> {
        given(&self.idempotency, "idempotency")
    }
    fn payments(&self) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        given(&self.payments, "payments")
    }
    fn files(&self) -> Result<Arc<dyn TicketFiles>, WiringError> {
        given(&self.files, "ticket files")
    }
    fn mailer(&self) -> Result<(Arc<dyn Mailer>, String), WiringError> {
        given(&self.mailer, "mailer")
    }
    fn public_url(&self) -> Result<String, WiringError> {
        Ok(self.public_url.clone())
    }
    fn bus(&self) -> Result<Arc<dyn EventBus>, WiringError> {
        given(&self.bus, "event bus")
    }
    fn workflow(&self) -> Result<Arc<dyn Workflow>, WiringError> {
        given(&self.workflow, "workflow")
    }
    fn cancellations(&self) -> Result<Arc<dyn CancellationQueue>, WiringError> {
        given(&self.cancellations, "cancellation queue")
    }
    fn sales(&self) -> Result<Arc<dyn SalesLedger>, WiringError> {
        given(&self.sales, "sales ledger")
    }
    fn map_snapshots(&self) -> Result<Arc<dyn MapSnapshots>, WiringError> {
        given(&self.map_snapshots, "seat map snapshots")
    }
    fn map_settings(&self) -> MapSettings {
        self.map_settings.clone()
    }
    fn waiting_rooms(&self) -> Result<Arc<dyn WaitingRooms>, WiringError> {
        given(&self.waiting_rooms, "waiting rooms")
    }
    fn dead_letters(&self) -> Result<Arc<dyn DeadLetters>, WiringError> {
        given(&self.dead_letters, "dead letters")
    }
    async fn access_signer(&self) -> Result<Arc<Keyring<Signer>>, WiringError> {
        Ok(given(&self.keys, "signing keys")?.access_signer)
    }
    async fn access_verifier(&self) -> Result<Arc<Keyring<Verifier>>, WiringError> {
        Ok(given(&self.keys, "signing keys")?.access_verifier)
    }
    async fn ticket_signer(&self) -> Result<Arc<dyn TicketSigner>, WiringError> {
        Ok(given(&self.keys, "signing keys")?.ticket_signer)
    }
    async fn ticket_verifier(&self) -> Result<Arc<dyn TicketVerifier>, WiringError> {
        Ok(given(&self.keys, "signing keys")?.ticket_verifier)
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }
    fn hold_settings(&self) -> Result<HoldSettings, WiringError> {
        Ok(self.hold_settings.clone())
    }
    fn identity_settings(&self) -> Result<IdentitySettings, WiringError> {
        Ok(self.identity_settings.clone())
    }
    fn limits(&self) -> Limits {
        self.limits
    }
}
