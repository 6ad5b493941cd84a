//! The baseline for function init times in `make bench`: a Lambda that loads the AWS
//! configuration (as every Stagepass function does first) and echoes its events. Nothing of
//! Stagepass is in it, so a function's init time minus this one is what its own wiring costs.

use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    std::hint::black_box(&config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
