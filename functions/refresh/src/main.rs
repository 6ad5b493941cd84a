//! Lambda `refresh`: POST /auth/refresh — spends a refresh token for a new access and refresh token.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
