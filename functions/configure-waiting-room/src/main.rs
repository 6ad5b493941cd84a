//! Lambda `configure-waiting-room`: PUT /events/{eventId}/waiting-room — switch an on-sale's
//! waiting room on, or change its rate live. What it does and which ports it builds:
//! `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
