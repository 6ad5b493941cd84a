//! Lambda `join-queue`: POST /events/{eventId}/queue — take a place in an on-sale's waiting
//! room. What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
