//! Lambda `hold-seats`: POST /events/{eventId}/holds — hold seats and/or GA places, all or nothing.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
