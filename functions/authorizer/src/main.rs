//! Lambda `authorizer`: API Gateway's TOKEN authorizer: allow with the caller as context, or `Unauthorized`.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
