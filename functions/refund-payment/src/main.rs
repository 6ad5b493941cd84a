//! Lambda `refund-payment`: Saga compensation `RefundPayment`: refund whatever was charged, and fence later charges.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
