//! Lambda `confirm-booking`: Saga step `ConfirmBooking`: confirm, with its integration events in the same write.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
