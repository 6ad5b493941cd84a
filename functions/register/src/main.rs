//! Lambda `register`: POST /auth/register — a fan signs up (202 either way; an email says which).
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
