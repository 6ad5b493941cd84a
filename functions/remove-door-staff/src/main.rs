//! Lambda `remove-door-staff`: DELETE /events/{eventId}/staff/{userId} — the organiser takes a door-staff account off the event.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
