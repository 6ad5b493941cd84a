//! Lambda: the outbox relay: DynamoDB Streams on the bookings table → EventBridge.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::workers::run_relay().await
}
