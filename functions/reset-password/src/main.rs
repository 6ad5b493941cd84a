//! Lambda `reset-password`: POST /auth/password-reset/confirm — a new password from a reset link, once; every session ends.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
