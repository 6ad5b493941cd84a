//! Lambda `resend-verification`: POST /auth/verify-email/resend — a signed-in account asks for its verification link again.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
