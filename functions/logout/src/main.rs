//! Lambda `logout`: POST /auth/logout — revokes the caller's login (every refresh token of its family).
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
