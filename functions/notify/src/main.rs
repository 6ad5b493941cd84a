//! Lambda: the notification consumer: EventBridge → SQS → this → SESv2, one email per event id.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::workers::run_notify().await
}
