//! Lambda `get-seat-map`: GET /events/{eventId}/seat-map — the live state of every seat and place.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
