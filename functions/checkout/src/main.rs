//! Lambda `checkout`: POST /bookings — check out a live hold. Answers 202 at once with the pending booking; the
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
