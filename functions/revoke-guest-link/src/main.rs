//! Lambda `revoke-guest-link`: POST /auth/guest-link/revoke — revokes a guest's link and emails them a new one.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
