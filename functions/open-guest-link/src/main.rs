//! Lambda `open-guest-link`: POST /auth/guest-link — a guest's emailed link becomes a guest session for their bookings.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
