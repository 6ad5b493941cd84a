//! Lambda `get-event`: GET /events/{eventId} — details and layout. Drafts only for their organiser.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
