//! Lambda `sweep-outbox`: publishes outbox events the stream relay left behind.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
