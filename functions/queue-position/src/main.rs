//! Lambda `queue-position`: GET /events/{eventId}/queue — where a fan stands, and their
//! admission token once they are in. What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
