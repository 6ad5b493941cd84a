//! Runs one function on Lambda. [`EnvWiring`] builds each port the function asks for from
//! its own environment, once per container, and fails at start-up naming a setting that is
//! missing or empty; [`run`] then serves the function's handler with the Lambda runtime for
//! its kind (`lambda_http` for API Gateway, `lambda_runtime` for the rest).

mod wiring;

pub use wiring::{ENDPOINT, EnvWiring};

use lambda_http::lambda_runtime::{self, Diagnostic, LambdaEvent};
use lambda_http::{Error, Request, service_fn};
use serde_json::{Value, json};
use stagepass_api::wiring::{Function, Handler, Unauthorized, WiringError};
use stagepass_saga::{StepError, StepInput};
use std::convert::Infallible;
use std::sync::Arc;

/// A step's failure as Lambda reports it: `errorType` is the name the ASL matches.
#[derive(Debug)]
pub struct StepFailure(pub StepError);

impl From<StepFailure> for Diagnostic {
    fn from(f: StepFailure) -> Self {
        Diagnostic {
            error_type: f.0.name().into(),
            error_message: f.0.to_string(),
        }
    }
}

/// API Gateway answers 401 only when a TOKEN authorizer fails with exactly this message.
#[derive(Debug)]
pub struct AuthorizerRefusal;

impl From<AuthorizerRefusal> for Diagnostic {
    fn from(_: AuthorizerRefusal) -> Self {
        Diagnostic {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into(),
        }
    }
}

/// The whole `main` of a function: wire it from the environment, then serve it.
pub async fn run(function: Function) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let wiring = EnvWiring::from_env().await;
    let handler = wire(&function, &wiring)
        .await
        .map_err(|e| format!("{}: {e}", function.name))?;
    tracing::info!(function = function.name, "initialised");
    serve(function.name, handler).await
}

/// The function's handler as Lambda runs it: an HTTP handler's every answer carries the CORS
/// headers of `STAGEPASS_ALLOWED_ORIGIN` (API Gateway's proxy integration passes a function's
/// headers through as they are, so the browser sees only what the function adds).
pub async fn wire(function: &Function, wiring: &EnvWiring) -> Result<Handler, WiringError> {
    let handler = (function.wire)(wiring).await?;
    let Handler::Http(f) = handler else {
        return Ok(handler);
    };
    let cors = Arc::new(wiring.allowed_origin()?);
    Ok(Handler::Http(Arc::new(move |req| {
        let (f, cors) = (f.clone(), cors.clone());
        Box::pin(async move {
            let mut response = f(req).await;
            cors.apply(response.headers_mut());
            response
        })
    })))
}

async fn serve(name: &'static str, handler: Handler) -> Result<(), Error> {
    match handler {
        Handler::Http(f) => {
            lambda_http::run(service_fn(move |req: Request| {
                let f = f.clone();
                async move { Ok::<_, Infallible>(f(req).await) }
            }))
            .await
        }
        Handler::Step(step) => {
            lambda_runtime::run(lambda_runtime::service_fn(
                move |event: LambdaEvent<Value>| {
                    let step = step.clone();
                    async move {
                        let outcome = match StepInput::parse(event.payload) {
                            Ok(input) => step.run(&input).await,
                            Err(e) => Err(e),
                        };
                        outcome.map(|()| json!({})).map_err(|e| {
                            tracing::warn!(step = name, error = %e, "step failed");
                            StepFailure(e)
                        })
                    }
                },
            ))
            .await
        }
        Handler::Queue(f) => {
            lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<_>| {
                let f = f.clone();
                async move { Ok::<_, Error>(f(event.payload).await) }
            }))
            .await
        }
        Handler::Stream(f) => {
            lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<_>| {
                let f = f.clone();
                async move { Ok::<_, Error>(f(event.payload).await) }
            }))
            .await
        }
        Handler::Scheduled(f) => {
            lambda_runtime::run(lambda_runtime::service_fn(
                move |event: LambdaEvent<Value>| {
                    let f = f.clone();
                    async move { f(event.payload).await.map_err(Error::from) }
                },
            ))
            .await
        }
        Handler::Authorizer(f) => {
            lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<_>| {
                let f = f.clone();
                async move {
                    f(event.payload)
                        .await
                        .map_err(|Unauthorized| AuthorizerRefusal)
                }
            }))
            .await
        }
    }
}

/// The first admin of a fresh deployment (the API only ever creates fans, and admins create
/// everyone else). Creates the account in the DynamoDB identity table unless the email is
/// taken; returns whether it was created.
#[cfg(feature = "dynamodb")]
pub async fn ensure_admin(
    config: &aws_config::SdkConfig,
    identity_table: &str,
    email: &str,
    password: &str,
) -> Result<bool, Error> {
    use stagepass_domain::Role;
    let accounts = operator_accounts(config, identity_table);
    let (account, created) = accounts
        .ensure_account(email, password, &[Role::Admin])
        .await
        .map_err(|e| e.to_string())?;
    if !created && !account.roles.contains(&Role::Admin) {
        return Err(format!("{email} already has an account without the admin role").into());
    }
    Ok(created)
}

/// Replaces the roles of an account in a deployment's identity table, as an operator (for
/// example to demote an admin: it takes effect at their next refresh, within 15 minutes).
pub async fn set_roles(
    config: &aws_config::SdkConfig,
    identity_table: &str,
    email: &str,
    roles: &[stagepass_domain::Role],
) -> Result<(), Error> {
    let operator = stagepass_domain::Actor {
        user: stagepass_domain::UserId::new("operator"),
        admin: true,
    };
    operator_accounts(config, identity_table)
        .set_roles(&operator, email, roles)
        .await
        .map_err(|e| e.to_string().into())
}

fn operator_accounts(
    config: &aws_config::SdkConfig,
    identity_table: &str,
) -> stagepass_domain::Accounts {
    use std::sync::Arc;
    let identity = Arc::new(stagepass_dynamo::DynamoIdentity::new(
        aws_sdk_dynamodb::Client::new(config),
        identity_table,
    ));
    stagepass_domain::Accounts::new(
        identity.clone(),
        identity,
        Arc::new(stagepass_domain::SystemClock),
        Default::default(),
    )
}
