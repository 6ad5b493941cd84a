//! Lambda `assign-door-staff`: POST /events/{eventId}/staff — the organiser assigns a door-staff account to the event.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
