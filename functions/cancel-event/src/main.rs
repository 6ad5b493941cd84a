//! Lambda `cancel-event`: POST /events/{eventId}/cancel — the organiser cancels the event; every booking is refunded.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
