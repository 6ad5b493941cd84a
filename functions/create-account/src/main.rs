//! Lambda `create-account`: POST /admin/accounts — an admin creates an organiser, door-staff, admin or fan account.
//! What it does and which ports it builds: `handler.rs`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(handler::FUNCTION).await
}
