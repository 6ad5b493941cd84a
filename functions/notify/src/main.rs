//! Lambda `notify`: The notification consumer: EventBridge → SQS → this → the mailer, one email per event id.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
