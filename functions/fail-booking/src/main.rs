//! Lambda `fail-booking`: Saga compensation `FailBooking`: mark the booking failed with the caught error's reason.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
