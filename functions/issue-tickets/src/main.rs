//! Lambda `issue-tickets`: Saga step `IssueTickets`: one PDF ticket with a signed QR code per seat.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
