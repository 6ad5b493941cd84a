//! Lambda `get-sales`: GET /events/{eventId}/sales — an event's sales, for its organiser.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
