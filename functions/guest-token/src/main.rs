//! Lambda `guest-token`: POST /auth/guest — a token for buying without an account, bound to an email.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
