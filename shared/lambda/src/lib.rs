//! Wiring for the deployed functions: configuration from the environment, AWS clients built
//! once per container, DynamoDB adapters, signing keys from Secrets Manager, then
//! `lambda_http::run` with the function's handler (or `lambda_runtime::run` for the authorizer).

use aws_config::BehaviorVersion;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerResponse,
};
use lambda_http::lambda_runtime::{self, Diagnostic, LambdaEvent};
use lambda_http::{Error, Request, service_fn};
use serde_json::{Map, Value};
use stagepass_api::app::{DEFAULT_IDEMPOTENCY_WAIT, DEFAULT_MAX_BODY_BYTES, env};
use stagepass_api::{App, Function, Tokens};
use stagepass_aws::{S3Files, StepFunctionsWorkflow};
use stagepass_domain::payments::SimulatedPayments;
use stagepass_domain::{
    Accounts, BookingPorts, Bookings, InfraError, PaymentProvider, Stagepass, SystemClock,
    TicketClaims, TicketSigner,
};
use stagepass_dynamo::{DynamoBookings, DynamoCatalog, DynamoIdentity, DynamoInventory};

pub mod workers;
use std::convert::Infallible;
use std::sync::Arc;

fn required(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set").into())
}

/// Table names a function does not use may be absent: its adapter is never called.
fn table(name: &str, used: bool) -> Result<String, Error> {
    if used {
        required(name)
    } else {
        Ok(std::env::var(name).unwrap_or_default())
    }
}

/// The key set from the Secrets Manager secret named by `STAGEPASS_SIGNING_KEYS_SECRET` (the
/// deployed way), or inline JSON in `STAGEPASS_SIGNING_KEYS` (for `sam local invoke`).
pub async fn load_tokens(config: &aws_config::SdkConfig) -> Result<Tokens, Error> {
    match std::env::var("STAGEPASS_SIGNING_KEYS_SECRET") {
        Ok(secret_id) => tokens_from_secret(config, &secret_id).await,
        Err(_) => {
            let text = required("STAGEPASS_SIGNING_KEYS")
                .map_err(|_| "set STAGEPASS_SIGNING_KEYS_SECRET (or STAGEPASS_SIGNING_KEYS)")?;
            Ok(Tokens::from_json(&text)?)
        }
    }
}

/// Reads and checks the key set in a Secrets Manager secret (read once per container; a
/// rotation reaches every function as containers are replaced, which is why the previous key
/// stays in the set for a while).
pub async fn tokens_from_secret(
    config: &aws_config::SdkConfig,
    secret_id: &str,
) -> Result<Tokens, Error> {
    let out = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading signing keys from {secret_id}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?;
    let text = out
        .secret_string()
        .ok_or_else(|| format!("secret {secret_id} has no SecretString"))?;
    Ok(Tokens::from_json(text).map_err(|e| format!("secret {secret_id}: {e}"))?)
}

/// A signer for functions that hold no keys: they never issue or check tickets.
struct NoKeys;

impl TicketSigner for NoKeys {
    fn sign_ticket(&self, _: &TicketClaims) -> Result<String, InfraError> {
        Err(InfraError("this function has no signing keys".into()))
    }

    fn verify_ticket(&self, _: &str) -> Option<TicketClaims> {
        None
    }
}

/// Names of the resources a function may use. Those it does not use may be unset.
fn env_or_empty(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// The booking use cases over DynamoDB, S3, Step Functions and the simulated provider.
pub fn bookings_from_env(
    config: &aws_config::SdkConfig,
    tokens: Option<Arc<Tokens>>,
) -> (Arc<Bookings>, Arc<DynamoBookings>) {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let store = Arc::new(DynamoBookings::new(
        dynamodb.clone(),
        env_or_empty("BOOKINGS_TABLE"),
    ));
    let signer: Arc<dyn TicketSigner> = match tokens {
        Some(t) => t,
        None => Arc::new(NoKeys),
    };
    let bookings = Bookings::new(BookingPorts {
        catalog: Arc::new(DynamoCatalog::new(
            dynamodb.clone(),
            env_or_empty("EVENTS_TABLE"),
        )),
        inventory: Arc::new(DynamoInventory::new(
            dynamodb,
            env_or_empty("INVENTORY_TABLE"),
        )),
        bookings: store.clone(),
        payments: payments(),
        files: Arc::new(S3Files::new(
            aws_sdk_s3::Client::new(config),
            env_or_empty("TICKETS_BUCKET"),
        )),
        signer,
        workflow: Arc::new(StepFunctionsWorkflow::new(
            aws_sdk_sfn::Client::new(config),
            env_or_empty("SAGA_STATE_MACHINE_ARN"),
        )),
        clock: Arc::new(SystemClock),
    });
    (Arc::new(bookings), store)
}

/// The payment provider. Only the simulator exists so far; it lives in the container, so a
/// deployed stack with it is a demo (a real provider keeps its idempotency keys itself).
fn payments() -> Arc<dyn PaymentProvider> {
    static SIMULATED: std::sync::OnceLock<Arc<SimulatedPayments>> = std::sync::OnceLock::new();
    SIMULATED.get_or_init(Default::default).clone()
}

/// Builds the app for one function from `EVENTS_TABLE`, `INVENTORY_TABLE`, `IDENTITY_TABLE`,
/// `BOOKINGS_TABLE`, `TICKETS_BUCKET`, `SAGA_STATE_MACHINE_ARN`, the signing keys (only if
/// the function uses them) and the optional `STAGEPASS_*` settings. `AWS_ENDPOINT_URL`
/// points the SDK at LocalStack or moto.
pub async fn app_from_env(function: Function) -> Result<App, Error> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let catalog = Arc::new(DynamoCatalog::new(
        dynamodb.clone(),
        table("EVENTS_TABLE", !function.uses_identity())?,
    ));
    let inventory = Arc::new(DynamoInventory::new(
        dynamodb.clone(),
        table("INVENTORY_TABLE", !function.uses_identity())?,
    ));
    let identity = Arc::new(DynamoIdentity::new(
        dynamodb,
        table("IDENTITY_TABLE", function.uses_identity())?,
    ));
    let clock = Arc::new(SystemClock);
    let tokens = if function.uses_keys() {
        Some(Arc::new(load_tokens(&config).await?))
    } else {
        None
    };
    let (bookings, store) = bookings_from_env(&config, tokens.clone());
    Ok(App {
        service: Stagepass::new(catalog, inventory, clock.clone(), env::settings()?),
        accounts: Accounts::new(identity.clone(), identity, clock, env::identity_settings()?),
        bookings,
        idempotency: store,
        tokens,
        max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        idempotency_wait: DEFAULT_IDEMPOTENCY_WAIT,
    })
}

/// The whole `main` of an HTTP function.
pub async fn run(function: Function) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = Arc::new(app_from_env(function).await?);
    tracing::info!(function = function.name(), "initialised");
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(function.handle(app, req).await) }
    }))
    .await
}

/// API Gateway answers 401 only when a TOKEN authorizer fails with exactly this message.
#[derive(Debug)]
pub struct Unauthorized;

impl From<Unauthorized> for Diagnostic {
    fn from(_: Unauthorized) -> Self {
        Diagnostic {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into(),
        }
    }
}

/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/*/*` from the method ARN: results are cached
/// per token, so the policy must cover every route, not just the one that asked. Roles are
/// checked by each function.
fn whole_api(method_arn: &str) -> Option<String> {
    let (prefix, path) = method_arn.split_once('/')?;
    let stage = path.split('/').next().filter(|s| !s.is_empty())?;
    Some(format!("{prefix}/{stage}/*/*"))
}

/// The authorizer's decision for one TOKEN request: allow with the caller as context, or
/// `Unauthorized`.
pub fn authorize(
    tokens: &Tokens,
    request: &ApiGatewayCustomAuthorizerRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse<Map<String, Value>>, Unauthorized> {
    let principal = tokens
        .authorize(request.authorization_token.as_deref())
        .map_err(|e| {
            tracing::info!(reason = %e, "token refused");
            Unauthorized
        })?;
    let resource = request
        .method_arn
        .as_deref()
        .and_then(whole_api)
        .ok_or(Unauthorized)?;
    let mut response = ApiGatewayCustomAuthorizerResponse::<Map<String, Value>>::default();
    response.principal_id = Some(principal.user.as_str().to_string());
    // The event types are non-exhaustive; their serde form is the documented wire format.
    response.policy_document = serde_json::from_value(serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [resource]}]
    }))
    .map_err(|_| Unauthorized)?;
    response.context = principal.context_fields();
    response.context.remove("principalId");
    Ok(response)
}

/// The whole `main` of the authorizer function.
pub async fn run_authorizer() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let tokens = Arc::new(load_tokens(&config).await?);
    tracing::info!(function = "authorizer", "initialised");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<ApiGatewayCustomAuthorizerRequest>| {
            let tokens = tokens.clone();
            async move { authorize(&tokens, &event.payload) }
        },
    ))
    .await
}

/// The first admin of a fresh deployment (the API only ever creates fans, and admins create
/// everyone else). Creates the account in the DynamoDB identity table unless the email is
/// taken; returns whether it was created.
pub async fn ensure_admin(
    config: &aws_config::SdkConfig,
    identity_table: &str,
    email: &str,
    password: &str,
) -> Result<bool, Error> {
    let identity = Arc::new(DynamoIdentity::new(
        aws_sdk_dynamodb::Client::new(config),
        identity_table,
    ));
    let accounts = Accounts::new(
        identity.clone(),
        identity,
        Arc::new(SystemClock),
        Default::default(),
    );
    let (account, created) = accounts
        .ensure_account(email, password, &[stagepass_domain::Role::Admin])
        .await
        .map_err(|e| e.to_string())?;
    if !created && !account.roles.contains(&stagepass_domain::Role::Admin) {
        return Err(format!("{email} already has an account without the admin role").into());
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::whole_api;

    #[test]
    fn policies_cover_the_whole_stage() {
        assert_eq!(
            whole_api("arn:aws:execute-api:eu-west-1:123456789012:abc123/live/POST/events")
                .as_deref(),
            Some("arn:aws:execute-api:eu-west-1:123456789012:abc123/live/*/*")
        );
        assert_eq!(whole_api("garbage"), None);
    }
}
