//! The Stripe adapter of [`PaymentProvider`]: one PaymentIntent per booking.
//!
//! - **Charge**: create the booking's PaymentIntent (`Idempotency-Key` = booking id, so every
//!   retry, from any container, finds the same one), then confirm it server-side with the
//!   payment method. A PaymentIntent succeeds at most once, so a retried confirm can never
//!   charge twice; one that already succeeded is simply reported.
//! - **Refund**: find the booking's PaymentIntent (the recorded id, or the create replayed
//!   under the same key when a charge timed out unrecorded). Succeeded: refund it
//!   (`Idempotency-Key` = `<booking>-refund`). Not yet: cancel it, so a confirm still in
//!   flight fails at Stripe instead of taking money after the refund.
//! - **Retries** as Stripe documents them: network errors, 409, 429 and 5xx are retried with
//!   the same idempotency key and exponential backoff, unless Stripe answers
//!   `Stripe-Should-Retry: false` (and always when it answers `true`).
//!
//! The secret key is read once per container, on first use (from Secrets Manager deployed).

use async_trait::async_trait;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use stagepass_domain::{PaymentError, PaymentMethod, PaymentOrder, PaymentProvider};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub const API_BASE: &str = "https://api.stripe.com";
/// Pinned, so a change of the account's default version cannot change the shapes read here.
pub const API_VERSION: &str = "2024-06-20";

type KeyFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;
/// Where the secret key comes from; called once, on the first request.
pub type KeySource = Arc<dyn Fn() -> KeyFuture + Send + Sync>;

/// How often and how patiently one API call is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retries {
    /// Tries in all, the first included.
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retries {
    /// Three tries, 0.5 s then 1 s apart (Stripe's libraries wait 0.5 s, doubling): well
    /// inside a saga Task's timeout.
    fn default() -> Self {
        Self {
            attempts: 3,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
        }
    }
}

pub struct StripePayments {
    http: reqwest::Client,
    base: String,
    key_source: KeySource,
    key: tokio::sync::OnceCell<String>,
    retries: Retries,
}

#[derive(Debug, Deserialize)]
struct Intent {
    id: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
}

#[derive(Debug, Deserialize)]
struct RefundList {
    data: Vec<Refund>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: StripeError,
}

/// Stripe's error object (the fields read here).
#[derive(Debug, Deserialize)]
struct StripeError {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    decline_code: Option<String>,
    payment_intent: Option<Intent>,
}

impl StripeError {
    fn code(&self) -> &str {
        self.code.as_deref().unwrap_or(&self.kind)
    }
}

/// Why a call brought back no object.
#[derive(Debug)]
enum Failure {
    /// Stripe answered with an error object.
    Api { status: u16, error: StripeError },
    /// No usable answer (network, timeout, an unreadable body): the call may have acted.
    NoAnswer(String),
}

impl From<Failure> for PaymentError {
    /// What a caller should do about a failure no step handled more precisely.
    fn from(f: Failure) -> Self {
        match f {
            Failure::NoAnswer(reason) => {
                tracing::warn!(%reason, "no usable answer from Stripe");
                PaymentError::Timeout
            }
            Failure::Api { status, error } => match status {
                401 | 403 => PaymentError::Transient("stripe_authentication_failed".into()),
                409 | 429 | 500.. => PaymentError::Transient(error.code().to_string()),
                _ => PaymentError::Declined(error.code().to_string()),
            },
        }
    }
}

/// PaymentIntent states in which no money has moved and it can still be cancelled.
fn cancellable(status: &str) -> bool {
    matches!(
        status,
        "requires_payment_method" | "requires_confirmation" | "requires_action"
    )
}

impl StripePayments {
    /// A client of the API at `base` ([`API_BASE`], or a test server).
    pub fn new(base: impl Into<String>, key_source: KeySource) -> Self {
        // reqwest's TLS uses the process's rustls provider: the aws-lc-rs one the AWS SDK
        // links already (an error only means one is installed).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            // Three tries of 8 s fit charge-payment's 30 s; Stripe answers in well under 1 s.
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(8))
            .build()
            .expect("the HTTP client builds");
        Self {
            http,
            base: base.into().trim_end_matches('/').to_string(),
            key_source,
            key: tokio::sync::OnceCell::new(),
            retries: Retries::default(),
        }
    }

    /// A fixed secret key (tests, `sam local`).
    pub fn with_key(base: impl Into<String>, key: impl Into<String>) -> Self {
        let key = key.into();
        Self::new(
            base,
            Arc::new(move || {
                let key = key.clone();
                Box::pin(async move { Ok(key) })
            }),
        )
    }

    pub fn with_retries(mut self, retries: Retries) -> Self {
        self.retries = retries;
        self
    }

    async fn secret_key(&self) -> Result<&str, Failure> {
        self.key
            .get_or_try_init(|| (self.key_source)())
            .await
            .map(String::as_str)
            .map_err(|e| Failure::NoAnswer(format!("the Stripe secret key: {e}")))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.retries.first_delay * 2u32.saturating_pow(attempt.saturating_sub(1));
        let capped = exp.min(self.retries.max_delay);
        // Up to a quarter less, so retries from many containers do not arrive together.
        let jitter = rand::random::<f64>() * 0.25;
        capped.mul_f64(1.0 - jitter)
    }

    /// One API call, retried as Stripe documents. `Ok` holds the object and whether it was
    /// a replay of an earlier request with the same idempotency key.
    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, String)],
        idempotency_key: Option<&str>,
    ) -> Result<(T, bool), Failure> {
        let key = self.secret_key().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(key)
                .header("Stripe-Version", API_VERSION);
            if let Some(k) = idempotency_key {
                request = request.header("Idempotency-Key", k);
            }
            request = match method == reqwest::Method::GET {
                true => request.query(params),
                false => request.form(params),
            };
            let outcome = request.send().await;
            let retry = match &outcome {
                Err(_) => true,
                Ok(r) => match r
                    .headers()
                    .get("stripe-should-retry")
                    .and_then(|v| v.to_str().ok())
                {
                    Some("true") => true,
                    Some("false") => false,
                    _ => matches!(r.status().as_u16(), 409 | 429 | 500..),
                },
            };
            if retry && attempt < self.retries.attempts {
                tracing::warn!(path, attempt, "Stripe call failed; retrying");
                tokio::time::sleep(self.backoff(attempt)).await;
                continue;
            }
            let response = outcome.map_err(|e| Failure::NoAnswer(e.without_url().to_string()))?;
            let status = response.status().as_u16();
            let replayed = response
                .headers()
                .get("idempotent-replayed")
                .is_some_and(|v| v.as_bytes() == b"true");
            let body = response
                .bytes()
                .await
                .map_err(|e| Failure::NoAnswer(e.without_url().to_string()))?;
            if (200..300).contains(&status) {
                return serde_json::from_slice(&body)
                    .map(|t| (t, replayed))
                    .map_err(|e| Failure::NoAnswer(format!("unreadable Stripe answer: {e}")));
            }
            return match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(b) => Err(Failure::Api {
                    status,
                    error: b.error,
                }),
                Err(_) => Err(Failure::NoAnswer(format!("Stripe answered {status}"))),
            };
        }
    }

    /// The order's PaymentIntent, created once per booking (the create is idempotent by
    /// booking id, so this also finds the one an earlier, unanswered attempt made), and its
    /// status now.
    async fn intent(&self, order: &PaymentOrder) -> Result<Intent, Failure> {
        if let Some(id) = order
            .charge_id
            .as_deref()
            .filter(|id| id.starts_with("pi_"))
        {
            return self.get_intent(id).await;
        }
        let params = [
            ("amount", order.amount.to_string()),
            ("currency", order.currency.to_lowercase()),
            ("payment_method_types[]", "card".to_string()),
            ("metadata[booking_id]", order.key.clone()),
        ];
        let (intent, replayed): (Intent, bool) = self
            .call(
                reqwest::Method::POST,
                "/v1/payment_intents",
                &params,
                Some(&order.key),
            )
            .await?;
        // A replay carries the status it had when first created.
        match replayed {
            true => self.get_intent(&intent.id).await,
            false => Ok(intent),
        }
    }

    async fn get_intent(&self, id: &str) -> Result<Intent, Failure> {
        let path = format!("/v1/payment_intents/{id}");
        let (intent, _) = self.call(reqwest::Method::GET, &path, &[], None).await?;
        Ok(intent)
    }

    async fn confirm(
        &self,
        intent: &Intent,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError> {
        let path = format!("/v1/payment_intents/{}/confirm", intent.id);
        // A fresh key per confirm: the same one across this call's network retries, a new
        // one for the saga's next attempt (Stripe would replay a decline under an old one).
        let key = uuid::Uuid::new_v4().to_string();
        let params = [("payment_method", method.id().to_string())];
        let confirmed: Result<(Intent, bool), Failure> = self
            .call(reqwest::Method::POST, &path, &params, Some(&key))
            .await;
        match confirmed {
            Ok((i, _)) if i.status == "succeeded" => Ok(i.id),
            Ok((i, _)) if i.status == "processing" => {
                Err(PaymentError::Transient("processing".into()))
            }
            // 3-D Secure cannot be completed by a server: the card cannot be used here.
            Ok((i, _)) => Err(PaymentError::Declined(match i.status.as_str() {
                "requires_action" => "authentication_required".into(),
                other => other.to_string(),
            })),
            Err(Failure::Api { status: 402, error }) => Err(card_failure(&error)),
            // Confirmed meanwhile (a retry of a charge that did go through), or cancelled by
            // a refund that overtook this charge.
            Err(Failure::Api { error, .. })
                if error.code() == "payment_intent_unexpected_state" =>
            {
                match error.payment_intent {
                    Some(i) if i.status == "succeeded" => Ok(i.id),
                    Some(i) if i.status == "canceled" => {
                        Err(PaymentError::Declined("payment_cancelled".into()))
                    }
                    _ => Err(PaymentError::Transient(
                        "payment_intent_unexpected_state".into(),
                    )),
                }
            }
            Err(f) => Err(f.into()),
        }
    }

    async fn refund_intent(
        &self,
        order: &PaymentOrder,
        intent: &Intent,
    ) -> Result<String, Failure> {
        let params = [("payment_intent", intent.id.clone())];
        let refunded: Result<(Refund, bool), Failure> = self
            .call(
                reqwest::Method::POST,
                "/v1/refunds",
                &params,
                Some(&format!("{}-refund", order.key)),
            )
            .await;
        match refunded {
            Ok((r, _)) => Ok(r.id),
            // Refunded earlier under a key Stripe has since forgotten (after 24 hours).
            Err(Failure::Api { error, .. }) if error.code() == "charge_already_refunded" => {
                let (list, _): (RefundList, bool) = self
                    .call(reqwest::Method::GET, "/v1/refunds", &params, None)
                    .await?;
                list.data
                    .into_iter()
                    .next()
                    .map(|r| r.id)
                    .ok_or_else(|| Failure::NoAnswer("refunded, but no refund listed".into()))
            }
            Err(f) => Err(f),
        }
    }
}

/// A card error's meaning: a processing error may pass on a retry; a decline will not.
fn card_failure(error: &StripeError) -> PaymentError {
    match (error.code(), error.decline_code.as_deref()) {
        ("processing_error", _) => PaymentError::Transient("processing_error".into()),
        ("card_declined", Some(reason)) if reason != "generic_decline" => {
            PaymentError::Declined(reason.to_string())
        }
        (code, _) => PaymentError::Declined(code.to_string()),
    }
}

#[async_trait]
impl PaymentProvider for StripePayments {
    async fn charge(
        &self,
        order: &PaymentOrder,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError> {
        let intent = self.intent(order).await?;
        match intent.status.as_str() {
            "succeeded" => Ok(intent.id),
            "canceled" => Err(PaymentError::Declined("payment_cancelled".into())),
            "processing" => Err(PaymentError::Transient("processing".into())),
            _ => self.confirm(&intent, method).await,
        }
    }

    async fn refund(&self, order: &PaymentOrder) -> Result<Option<String>, PaymentError> {
        // A confirm racing this may move the intent on between the read and the cancel:
        // read again and decide again.
        for _ in 0..3 {
            let intent = self.intent(order).await?;
            match intent.status.as_str() {
                "succeeded" => return Ok(Some(self.refund_intent(order, &intent).await?)),
                "canceled" => return Ok(None),
                "processing" => return Err(PaymentError::Transient("processing".into())),
                status if cancellable(status) => {
                    let path = format!("/v1/payment_intents/{}/cancel", intent.id);
                    let key = format!("{}-cancel", order.key);
                    let cancelled: Result<(Intent, bool), Failure> = self
                        .call(reqwest::Method::POST, &path, &[], Some(&key))
                        .await;
                    match cancelled {
                        Ok(_) => return Ok(None),
                        Err(Failure::Api { error, .. })
                            if error.code() == "payment_intent_unexpected_state" => {}
                        Err(f) => return Err(f.into()),
                    }
                }
                other => {
                    return Err(PaymentError::Transient(format!("payment intent {other}")));
                }
            }
        }
        Err(PaymentError::Transient(
            "payment intent kept changing".into(),
        ))
    }
}
