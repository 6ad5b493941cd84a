//! The deployed [`Wiring`]: each port is built when the function asks for it, from the
//! settings in its environment. Which settings a function read is recorded, so a test can
//! hold every function to exactly the environment `template.yaml` gives it.

use async_trait::async_trait;
use stagepass_api::Tokens;
use stagepass_api::settings::{self, Lookup};
use stagepass_api::wiring::{Limits, Wiring, WiringError};
use stagepass_domain::bookings::payments::SimulatedPayments;
use stagepass_domain::{
    BookingStore, Clock, EventBus, EventCatalog, HoldSettings, IdempotencyStore, IdentitySettings,
    IdentityStore, Mailer, PaymentProvider, RateLimiter, SeatInventory, SystemClock, TicketFiles,
    Workflow,
};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct EnvWiring {
    config: aws_config::SdkConfig,
    env: Env,
    required: Mutex<BTreeSet<String>>,
    optional: Mutex<BTreeSet<String>>,
    #[cfg(feature = "dynamodb")]
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
}

impl EnvWiring {
    /// The process environment, and the SDK configuration it implies (`AWS_ENDPOINT_URL`
    /// points the SDK at LocalStack or moto).
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
        Self {
            config,
            env: Box::new(env),
            required: Mutex::default(),
            optional: Mutex::default(),
            #[cfg(feature = "dynamodb")]
            dynamodb: OnceLock::new(),
        }
    }

    /// Every setting the function read so far: (required, optional).
    pub fn settings_read(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        (
            self.required.lock().expect("lock").clone(),
            self.optional.lock().expect("lock").clone(),
        )
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

    #[cfg(feature = "dynamodb")]
    fn bookings_table(&self) -> Result<Arc<stagepass_dynamo::DynamoBookings>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoBookings::new(
            self.dynamodb(),
            self.required("BOOKINGS_TABLE")?,
        )))
    }

    #[cfg(feature = "dynamodb")]
    fn identity_table(&self) -> Result<Arc<stagepass_dynamo::DynamoIdentity>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoIdentity::new(
            self.dynamodb(),
            self.required("IDENTITY_TABLE")?,
        )))
    }

    /// The key set from the Secrets Manager secret named by `STAGEPASS_SIGNING_KEYS_SECRET`
    /// (the deployed way), or inline JSON in `STAGEPASS_SIGNING_KEYS` (`sam local invoke`).
    async fn load_tokens(&self) -> Result<Tokens, WiringError> {
        // Whichever of the two is set is the one required.
        if (self.env)("STAGEPASS_SIGNING_KEYS_SECRET").is_some() {
            let secret_id = self.required("STAGEPASS_SIGNING_KEYS_SECRET")?;
            return self.tokens_from_secret(&secret_id).await;
        }
        let text = self.required("STAGEPASS_SIGNING_KEYS").map_err(|_| {
            WiringError("set STAGEPASS_SIGNING_KEYS_SECRET (or STAGEPASS_SIGNING_KEYS)".into())
        })?;
        Tokens::from_json(&text).map_err(|e| WiringError(format!("STAGEPASS_SIGNING_KEYS: {e}")))
    }

    #[cfg(feature = "secrets")]
    async fn tokens_from_secret(&self, secret_id: &str) -> Result<Tokens, WiringError> {
        let out = aws_sdk_secretsmanager::Client::new(&self.config)
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| {
                WiringError(format!(
                    "reading signing keys from {secret_id}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                ))
            })?;
        let text = out
            .secret_string()
            .ok_or_else(|| WiringError(format!("secret {secret_id} has no SecretString")))?;
        Tokens::from_json(text).map_err(|e| WiringError(format!("secret {secret_id}: {e}")))
    }

    #[cfg(not(feature = "secrets"))]
    async fn tokens_from_secret(&self, _: &str) -> Result<Tokens, WiringError> {
        Err(missing_feature("secrets"))
    }
}

#[allow(dead_code)] // Used only in builds without some adapter feature.
fn missing_feature(feature: &str) -> WiringError {
    WiringError(format!(
        "this function was built without the `{feature}` adapters: add the feature to its Cargo.toml"
    ))
}

/// The payment provider. Only the simulator exists so far; it lives in the container, so a
/// deployed stack with it is a demo (a real provider keeps its idempotency keys itself).
fn payments() -> Arc<dyn PaymentProvider> {
    static SIMULATED: OnceLock<Arc<SimulatedPayments>> = OnceLock::new();
    SIMULATED.get_or_init(Default::default).clone()
}

#[async_trait]
impl Wiring for EnvWiring {
    #[cfg(feature = "dynamodb")]
    fn catalog(&self) -> Result<Arc<dyn EventCatalog>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoCatalog::new(
            self.dynamodb(),
            self.required("EVENTS_TABLE")?,
        )))
    }
    #[cfg(feature = "dynamodb")]
    fn inventory(&self) -> Result<Arc<dyn SeatInventory>, WiringError> {
        Ok(Arc::new(stagepass_dynamo::DynamoInventory::new(
            self.dynamodb(),
            self.required("INVENTORY_TABLE")?,
        )))
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

    fn payments(&self) -> Result<Arc<dyn PaymentProvider>, WiringError> {
        Ok(payments())
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

    async fn tokens(&self) -> Result<Arc<Tokens>, WiringError> {
        Ok(Arc::new(self.load_tokens().await?))
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
