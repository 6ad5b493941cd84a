//! Lambda `request-password-reset`: POST /auth/password-reset — emails a one-time reset link (or a note that the email has no account).
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
