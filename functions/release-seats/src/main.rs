//! Lambda `release-seats`: Saga compensation `ReleaseSeats`: put the booking's seats back on sale.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
