//! Lambda: the booking saga's `FailBooking` step (invoked by Step Functions). All behaviour lives
//! in `stagepass_domain::Bookings`; failures are named for the state machine's Retry/Catch.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::workers::run_step(stagepass_api::Step::FailBooking).await
}
