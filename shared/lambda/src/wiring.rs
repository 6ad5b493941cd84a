//! The deployed [`Wiring`]: each port is built when the function asks for it, from the
//! settings in its environment. Which settings a function read is recorded, so a test can
//! hold every function to exactly the environment `template.yaml` gives it.

use async_trait::async_trait;
use stagepass_api::auth::{KeySource, access_verifier, ticket_verifier};
use stagepass_api::keys::KEY_CACHE_TTL;
use stagepass_api::settings::{self, Lookup};
use stagepass_api::wiring::{Limits, Wiring, WiringError};
use stagepass_api::{Keyring, Signer, Verifier};
use stagepass_domain::catalog::seat_map::MapSnapshots;
use stagepass_domain::queue::WaitingRooms;
use stagepass_domain::{
    BookingStore, CancellationQueue, Clock, DeadLetters, EventBus, EventCatalog, HoldSettings,
    IdempotencyStore, IdentitySettings, IdentityStore, Mailer, PaymentProvider, RateLimiter,
    SalesLedger, SeatInventory, SystemClock, TicketFiles, TicketSigner, TicketVerifier, Workflow,
};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// An AWS endpoint for every client, when set (LocalStack or moto). `sam local invoke` passes
/// a function only the variables its template declares, and `AWS_ENDPOINT_URL` cannot be
/// declared empty (the SDK would refuse it), so the template declares this one, empty.
pub const ENDPOINT: &str = "STAGEPASS_AWS_ENDPOINT_URL";

/// The private access-token key set (`ACCESS_SIGNING_KEYS_SECRET` names its secret).
pub const ACCESS_KEYS: &str = "ACCESS_SIGNING_KEYS";
/// The private ticket key set.
pub const TICKET_KEYS: &str = "TICKET_SIGNING_KEYS";
/// The public halves of both.
pub const PUBLIC_KEYS: &str = "VERIFICATION_KEYS";

pub struct EnvWiring {
    config: aws_config::SdkConfig,
    env: Env,
    required: Mutex<BTreeSet<String>>,
    optional: Mutex<BTreeSet<String>>,
    key_cache: std::time::Duration,
    #[cfg(feature = "dynamodb")]
    dynamodb: std::sync::OnceLock<aws_sdk_dynamodb::Client>,
}

impl EnvWiring {
    /// The process environment, and the SDK configuration it implies (`AWS_ENDPOINT_URL`
    /// points the SDK at LocalStack or moto; see [`ENDPOINT`] for `sam local invoke`).
    pub async fn from_env() -> Self {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(config, |name| std::env::var(name).ok())
    }

    /// Settings from `env` instead of the process environment (tests wire every function
    /// in one process, each with its own template environment).
    pub fn new(
        config: aws_config::SdkConfig,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        let mut wiring = Self {
            config,
            env: Box::new(env),
            required: Mutex::default(),
            optional: Mutex::default(),
            key_cache: KEY_CACHE_TTL,
            #[cfg(feature = "dynamodb")]
            dynamodb: std::sync::OnceLock::new(),
        };
        if let Some(endpoint) = wiring.optional(ENDPOINT) {
            wiring.config = wiring.config.into_builder().endpoint_url(endpoint).build();
        }
        wiring
    }

    /// Every setting the function read so far: (required, optional).
    pub fn settings_read(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        (
            self.required.lock().expect("lock").clone(),
            self.optional.lock().expect("lock").clone(),
        )
    }

    /// The origin browsers may call the function from (`STAGEPASS_ALLOWED_ORIGIN`, which
    /// every HTTP function needs: without it no browser on another origin could read an answer).
    pub fn allowed_origin(&self) -> Result<stagepass_api::cors::Cors, WiringError> {
        stagepass_api::cors::Cors::parse(&self.required(stagepass_api::cors::SETTING)?)
    }

    /// A setting the function cannot run without: unset or empty stops it at start-up.
    fn required(&self, name: &str) -> Result<String, WiringError> {
        self.required.lock().expect("lock").insert(name.into());
        match (self.env)(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            Some(_) => Err(WiringError(format!("setting {name} is empty"))),
            None => Err(WiringError(format!("setting {name} is not set"))),
        }
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.optional.lock().expect("lock").insert(name.into());
        (self.env)(name).filter(|v| !v.trim().is_empty())
    }

    #[cfg(feature = "dynamodb")]
    fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(&self.config))
            .clone()
    }

    /// `EVENTS_TABLE`, where a function is given it, lets its booking writes check the
    /// booking's event in the same transaction (confirm-booking needs that).
    #[cfg(feature = "dynamodb")]
    fn bookings_table(&self) -> Result<Arc<stagepass_dynamo::DynamoBookings>, WiringError> {
        Ok(Arc::new(
            stagepass_dynamo::DynamoBookings::new(
                self.dynamodb(),
                self.required("BOOKINGS_TABLE")?,
            )
            .with_events_table(self.optional("EVENTS_TABLE")),
        ))
    }

    #[cfg(feature = "dynamodb")]
    fn identity_table(&self) -> Result<Arc<stagepass_dynamo::DynamoIdentity>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoIdentity::new(
            self.dynamodb(),
            self.required("IDENTITY_TABLE")?,
        )))
    }

    /// A key document: the Secrets Manager secret named by `<name>_SECRET` (the deployed
    /// way), or inline JSON in `<name>` (`sam local invoke`, `cargo lambda watch`). The
    /// template declares both, the unused one empty. The secret is read again after the key
    /// cache lifetime, so a rotation reaches warm containers.
    fn key_document(&self, name: &str) -> Result<KeySource, WiringError> {
        let secret = format!("{name}_SECRET");
        let set = |name: &str| (self.env)(name).is_some_and(|v| !v.trim().is_empty());
        // Whichever of the two is set is the one required; both set is a mistake.
        match (set(&secret), set(name)) {
            (true, true) => Err(WiringError(format!("set {secret} or {name}, not both"))),
            (true, false) => {
                self.optional(name);
                let secret_id = self.required(&secret)?;
                self.secret_source(secret_id)
            }
            (false, _) => {
                self.optional(&secret);
                let text = self
                    .required(name)
                    .map_err(|_| WiringError(format!("set {secret} (or {name})")))?;
                Ok(Arc::new(move || {
                    let text = text.clone();
                    Box::pin(async move { Ok(text) })
                }))
            }
        }
    }

    /// Reads a secret's `SecretString` (trimmed) each time it is called: the key documents
    /// (read again after the key cache lifetime) and Stripe's secret key (read once).
    #[cfg(feature = "secrets")]
    fn secret_source(&self, secret_id: String) -> Result<KeySource, WiringError> {
        let client = aws_sdk_secretsmanager::Client::new(&self.config);
        Ok(Arc::new(move || {
            let (client, secret_id) = (client.clone(), secret_id.clone());
            Box::pin(async move {
                let out = client
                    .get_secret_value()
                    .secret_id(&secret_id)
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "reading secret {secret_id}: {}",
                            aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                        )
                    })?;
                out.secret_string()
                    .map(|text| text.trim().to_string())
                    .ok_or_else(|| format!("secret {secret_id} has no SecretString"))
            })
        }))
    }

    #[cfg(not(feature = "secrets"))]
    fn secret_source(&self, _: String) -> Result<KeySource, WiringError> {
        Err(missing_feature("secrets"))
    }

    async fn keyring<T: Send + Sync + 'static>(
        &self,
        name: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Arc<Keyring<T>>, WiringError> {
        let source = self.key_document(name)?;
        Keyring::read(source, parse, self.key_cache)
            .await
            .map(Arc::new)
            .map_err(|e| WiringError(format!("{name}: {e}")))
    }

    /// How long key documents are kept before they are read again ([`KEY_CACHE_TTL`]; tests
    /// shorten it to watch a rotation).
    pub fn with_key_cache(mut self, ttl: std::time::Duration) -> Self {
        self.key_cache = ttl;
        self
    }
}

impl EnvWiring {
    #[cfg(feature = "dynamodb")]
    fn simulated_payments(&self) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        use stagepass_domain::bookings::payments::SimulatedPayments;
        Ok(Arc::new(SimulatedPayments::new(self.bookings_table()?)))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn simulated_payments(&self) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        Err(missing_feature("dynamodb"))
    }

    #[cfg(feature = "stripe")]
    fn stripe(
        &self,
        secret_id: String,
        base: Option<String>,
    ) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        let key_source = self.secret_source(secret_id)?;
        let base = base.unwrap_or_else(|| stagepass_stripe::API_BASE.to_string());
        Ok(Arc::new(stagepass_stripe::StripePayments::new(
            base, key_source,
        )))
    }
    #[cfg(not(feature = "stripe"))]
    fn stripe(
        &self,
        _: String,
        _: Option<String>,
    ) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        Err(missing_feature("stripe"))
    }
}

#[allow(dead_code)] // Used only in builds without some adapter feature.
fn missing_feature(feature: &str) -> WiringError {
    WiringError(format!(
        "this function was built without the `{feature}` adapters: add the feature to its Cargo.toml"
    ))
}

#[async_trait]
impl Wiring for EnvWiring {
    #[cfg(feature = "dynamodb")]
    fn catalog(&self) -> Result<Arc<dyn EventCatalog>, WiringError> {
        Ok(Arc::new(
            stagepass_dynamo::DynamoCatalog::new(self.dynamodb(), self.required("EVENTS_TABLE")?)
                .with_outbox(self.optional("BOOKINGS_TABLE")),
        ))
    }
    #[cfg(feature = "dynamodb")]
    fn inventory(&self) -> Result<Arc<dyn SeatInventory>, WiringError> {
        Ok(Arc::new(
            stagepass_dynamo::DynamoInventory::new(
                self.dynamodb(),
                self.required("INVENTORY_TABLE")?,
            )
            .with_outbox(self.optional("BOOKINGS_TABLE")),
        ))
    }
    #[cfg(feature = "dynamodb")]
    fn identity(&self) -> Result<Arc<dyn IdentityStore>, WiringError> {
        Ok(self.identity_table()?)
    }
    #[cfg(feature = "dynamodb")]
    fn rate_limiter(&self) -> Result<Arc<dyn RateLimiter>, WiringError> {
        Ok(self.identity_table()?)
    }
    #[cfg(feature = "dynamodb")]
    fn bookings(&self) -> Result<Arc<dyn BookingStore>, WiringError> {
        Ok(self.bookings_table()?)
    }
    /// Idempotency keys live in the bookings table.
    #[cfg(feature = "dynamodb")]
    fn idempotency(&self) -> Result<Arc<dyn IdempotencyStore>, WiringError> {
        Ok(self.bookings_table()?)
    }
    #[cfg(not(feature = "dynamodb"))]
    fn catalog(&self) -> Result<Arc<dyn EventCatalog>, WiringError> {
        Err(missing_feature("dynamodb"))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn inventory(&self) -> Result<Arc<dyn SeatInventory>, WiringError> {
        Err(missing_feature("dynamodb"))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn identity(&self) -> Result<Arc<dyn IdentityStore>, WiringError> {
        Err(missing_feature("dynamodb"))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn rate_limiter(&self) -> Result<Arc<dyn RateLimiter>, WiringError> {
        Err(missing_feature("dynamodb"))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn bookings(&self) -> Result<Arc<dyn BookingStore>, WiringError> {
        Err(missing_feature("dynamodb"))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn idempotency(&self) -> Result<Arc<dyn IdempotencyStore>, WiringError> {
        Err(missing_feature("dynamodb"))
    }

    /// `PAYMENT_PROVIDER`: `simulated` (the default: the test payment methods, its ledger in
    /// `BOOKINGS_TABLE`) or `stripe` (the secret key in the Secrets Manager secret named by
    /// `STRIPE_SECRET_KEY_SECRET`, read on first use; `STRIPE_API_BASE` replaces Stripe's
    /// address for a test server).
    fn payments(&self) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        // Read whichever provider is chosen: the template declares them for both.
        self.optional("STRIPE_SECRET_KEY_SECRET");
        let base = self.optional("STRIPE_API_BASE");
        match self.optional("PAYMENT_PROVIDER").as_deref() {
            None | Some("simulated") => self.simulated_payments(),
            Some("stripe") => self.stripe(self.required("STRIPE_SECRET_KEY_SECRET")?, base),
            Some(other) => Err(WiringError(format!(
                "PAYMENT_PROVIDER must be simulated or stripe, not {other:?}"
            ))),
        }
    }

    #[cfg(feature = "s3")]
    fn files(&self) -> Result<Arc<dyn TicketFiles>, WiringError> {
        Ok(Arc::new(stagepass_aws::S3Files::new(
            aws_sdk_s3::Client::new(&self.config),
            self.required("TICKETS_BUCKET")?,
        )))
    }
    #[cfg(not(feature = "s3"))]
    fn files(&self) -> Result<Arc<dyn TicketFiles>, WiringError> {
        Err(missing_feature("s3"))
    }

    /// `MAIL_FROM`: a verified SES identity; `MAIL_CONFIGURATION_SET`, if set, the SES
    /// configuration set mail is sent through.
    #[cfg(feature = "ses")]
    fn mailer(&self) -> Result<(Arc<dyn Mailer>, String), WiringError> {
        let from = self.required("MAIL_FROM")?;
        let mailer =
            stagepass_aws::SesMailer::new(aws_sdk_sesv2::Client::new(&self.config), from.clone())
                .with_configuration_set(self.optional("MAIL_CONFIGURATION_SET"));
        Ok((Arc::new(mailer), from))
    }
    #[cfg(not(feature = "ses"))]
    fn mailer(&self) -> Result<(Arc<dyn Mailer>, String), WiringError> {
        Err(missing_feature("ses"))
    }

    /// `PUBLIC_URL`: an absolute http(s) URL (deployed: the API's stage URL).
    fn public_url(&self) -> Result<String, WiringError> {
        let url = self.required("PUBLIC_URL")?;
        match url.starts_with("https://") || url.starts_with("http://") {
            true => Ok(url),
            false => Err(WiringError(format!(
                "PUBLIC_URL must be an absolute http(s) URL, not {url:?}"
            ))),
        }
    }

    #[cfg(feature = "eventbridge")]
    fn bus(&self) -> Result<Arc<dyn EventBus>, WiringError> {
        Ok(Arc::new(stagepass_aws::EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(&self.config),
            self.required("EVENT_BUS_NAME")?,
        )))
    }
    #[cfg(not(feature = "eventbridge"))]
    fn bus(&self) -> Result<Arc<dyn EventBus>, WiringError> {
        Err(missing_feature("eventbridge"))
    }

    #[cfg(feature = "sfn")]
    fn workflow(&self) -> Result<Arc<dyn Workflow>, WiringError> {
        Ok(Arc::new(stagepass_aws::StepFunctionsWorkflow::new(
            aws_sdk_sfn::Client::new(&self.config),
            self.required("SAGA_STATE_MACHINE_ARN")?,
        )))
    }
    #[cfg(not(feature = "sfn"))]
    fn workflow(&self) -> Result<Arc<dyn Workflow>, WiringError> {
        Err(missing_feature("sfn"))
    }

    #[cfg(feature = "sqs")]
    fn cancellations(&self) -> Result<Arc<dyn CancellationQueue>, WiringError> {
        Ok(Arc::new(stagepass_aws::SqsCancellationQueue::new(
            aws_sdk_sqs::Client::new(&self.config),
            self.required("CANCELLATION_QUEUE_URL")?,
        )))
    }
    #[cfg(not(feature = "sqs"))]
    fn cancellations(&self) -> Result<Arc<dyn CancellationQueue>, WiringError> {
        Err(missing_feature("sqs"))
    }

    /// `SALES_TABLE`: the sales subscriber's own table.
    #[cfg(feature = "dynamodb")]
    fn sales(&self) -> Result<Arc<dyn SalesLedger>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoSales::new(
            self.dynamodb(),
            self.required("SALES_TABLE")?,
        )))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn sales(&self) -> Result<Arc<dyn SalesLedger>, WiringError> {
        Err(missing_feature("dynamodb"))
    }

    /// Seat map snapshots live in `INVENTORY_TABLE`.
    #[cfg(feature = "dynamodb")]
    fn map_snapshots(&self) -> Result<Arc<dyn MapSnapshots>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoMapSnapshots::new(
            self.dynamodb(),
            self.required("INVENTORY_TABLE")?,
        )))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn map_snapshots(&self) -> Result<Arc<dyn MapSnapshots>, WiringError> {
        Err(missing_feature("dynamodb"))
    }

    /// Waiting rooms live in `INVENTORY_TABLE`.
    #[cfg(feature = "dynamodb")]
    fn waiting_rooms(&self) -> Result<Arc<dyn WaitingRooms>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoWaitingRooms::new(
            self.dynamodb(),
            self.required("INVENTORY_TABLE")?,
        )))
    }
    #[cfg(not(feature = "dynamodb"))]
    fn waiting_rooms(&self) -> Result<Arc<dyn WaitingRooms>, WiringError> {
        Err(missing_feature("dynamodb"))
    }

    /// `DEAD_LETTER_QUEUE_URL`: the consumer's own dead-letter queue (the one its queue's
    /// redrive policy names), where unusable messages are sent with their reason.
    #[cfg(feature = "sqs")]
    fn dead_letters(&self) -> Result<Arc<dyn DeadLetters>, WiringError> {
        Ok(Arc::new(stagepass_aws::SqsDeadLetters::new(
            aws_sdk_sqs::Client::new(&self.config),
            self.required("DEAD_LETTER_QUEUE_URL")?,
        )))
    }
    #[cfg(not(feature = "sqs"))]
    fn dead_letters(&self) -> Result<Arc<dyn DeadLetters>, WiringError> {
        Err(missing_feature("sqs"))
    }

    async fn access_signer(&self) -> Result<Arc<Keyring<Signer>>, WiringError> {
        self.keyring(ACCESS_KEYS, Signer::from_json).await
    }

    async fn access_verifier(&self) -> Result<Arc<Keyring<Verifier>>, WiringError> {
        self.keyring(PUBLIC_KEYS, access_verifier).await
    }

    async fn ticket_signer(&self) -> Result<Arc<dyn TicketSigner>, WiringError> {
        Ok(self.keyring(TICKET_KEYS, Signer::from_json).await?)
    }

    async fn ticket_verifier(&self) -> Result<Arc<dyn TicketVerifier>, WiringError> {
        Ok(self.keyring(PUBLIC_KEYS, ticket_verifier).await?)
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    fn hold_settings(&self) -> Result<HoldSettings, WiringError> {
        let lookup: Lookup = &|name| self.optional(name);
        settings::hold_settings(lookup)
    }

    fn identity_settings(&self) -> Result<IdentitySettings, WiringError> {
        let lookup: Lookup = &|name| self.optional(name);
        settings::identity_settings(lookup)
    }

    fn limits(&self) -> Limits {
        Limits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiring(endpoint: Option<&str>) -> EnvWiring {
        let endpoint = endpoint.map(str::to_string);
        EnvWiring::new(aws_config::SdkConfig::builder().build(), move |name| {
            (name == ENDPOINT).then(|| endpoint.clone()).flatten()
        })
    }

    /// `sam local invoke` reaches LocalStack through the declared variable; empty is unset.
    #[test]
    fn the_endpoint_variable_points_every_client_at_it_and_empty_means_unset() {
        let local = wiring(Some("http://host.docker.internal:4566"));
        assert_eq!(
            local.config.endpoint_url(),
            Some("http://host.docker.internal:4566")
        );
        assert_eq!(wiring(Some("")).config.endpoint_url(), None);
        assert_eq!(wiring(None).config.endpoint_url(), None);
        assert!(wiring(None).settings_read().1.contains(ENDPOINT));
    }
}
