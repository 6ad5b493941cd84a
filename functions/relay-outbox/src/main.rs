//! Lambda `relay-outbox`: The outbox relay: the bookings table's stream → the event bus. Each outbox item is
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
