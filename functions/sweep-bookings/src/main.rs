//! Lambda `sweep-bookings`: finishes bookings that stopped moving (a saga never started, a
//! cancellation cut short, a saga that ended without settling).
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
