//! Lambda `expire-holds`: records `HoldExpired` for holds whose seat claims left the inventory
//! table's stream expired. What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
