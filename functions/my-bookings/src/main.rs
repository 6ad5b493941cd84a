//! Lambda `my-bookings`: GET /me/bookings — the caller's bookings, newest first (`limit`, default 20, at most 100).
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
