//! Lambda `cancel-booking`: POST /bookings/{bookingId}/cancel — the buyer cancels before the event: refunded in full.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
