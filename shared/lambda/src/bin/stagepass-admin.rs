//! Creates the first admin of a deployment in its identity table:
//!
//!   IDENTITY_TABLE=<table> STAGEPASS_ADMIN_PASSWORD=<password> \
//!     cargo run -q -p stagepass-lambda --bin stagepass-admin -- admin@example.com
//!
//! Uses the usual AWS credentials and region (and `AWS_ENDPOINT_URL` if set). The password
//! comes from the environment so it stays out of shell history and process lists.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let email = std::env::args().nth(1).ok_or(
        "usage: stagepass-admin EMAIL (with IDENTITY_TABLE and STAGEPASS_ADMIN_PASSWORD set)",
    )?;
    let table = std::env::var("IDENTITY_TABLE").map_err(|_| "IDENTITY_TABLE is not set")?;
    let password = std::env::var("STAGEPASS_ADMIN_PASSWORD")
        .map_err(|_| "STAGEPASS_ADMIN_PASSWORD is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    if stagepass_lambda::ensure_admin(&config, &table, &email, &password).await? {
        println!("created admin {email}");
    } else {
        println!("{email} is already an admin");
    }
    Ok(())
}
