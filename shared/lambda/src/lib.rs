//! Wiring for the deployed functions: configuration from the environment, AWS clients built
//! once per container, DynamoDB adapters, then `lambda_http::run` with the function's handler.

use aws_config::BehaviorVersion;
use lambda_http::{Error, Request, service_fn};
use stagepass_api::app::{DEFAULT_MAX_BODY_BYTES, env};
use stagepass_api::{App, Function, Tokens};
use stagepass_domain::{Stagepass, SystemClock};
use stagepass_dynamo::{DynamoCatalog, DynamoInventory};
use std::convert::Infallible;
use std::sync::Arc;

fn required(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set").into())
}

/// Builds the app from `EVENTS_TABLE`, `INVENTORY_TABLE`, `STAGEPASS_JWT_SECRET` and the
/// optional `STAGEPASS_*` settings. `AWS_ENDPOINT_URL` points the SDK at LocalStack or moto.
pub async fn app_from_env() -> Result<App, Error> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let catalog = Arc::new(DynamoCatalog::new(
        dynamodb.clone(),
        required("EVENTS_TABLE")?,
    ));
    let inventory = Arc::new(DynamoInventory::new(dynamodb, required("INVENTORY_TABLE")?));
    let settings = env::settings()?;
    Ok(App {
        service: Stagepass::new(catalog, inventory, Arc::new(SystemClock), settings),
        tokens: Tokens::hs256(required("STAGEPASS_JWT_SECRET")?.as_bytes())?,
        max_body_bytes: DEFAULT_MAX_BODY_BYTES,
    })
}

/// The whole `main` of an HTTP function.
pub async fn run(function: Function) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = Arc::new(app_from_env().await?);
    tracing::info!(function = function.name(), "initialised");
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(function.handle(app, req).await) }
    }))
    .await
}
