//! An operator's tool for a deployment's identity table. Creates the first admin:
//!
//!   IDENTITY_TABLE=<table> STAGEPASS_ADMIN_PASSWORD=<password> \
//!     cargo run -q -p stagepass-lambda --bin stagepass-admin -- admin@example.com
//!
//! or replaces an account's roles (a demotion takes effect at the account's next refresh):
//!
//!   IDENTITY_TABLE=<table> cargo run -q -p stagepass-lambda --bin stagepass-admin -- \
//!     set-roles ann@example.com organiser,door
//!
//! Uses the usual AWS credentials and region (and `AWS_ENDPOINT_URL` if set). The password
//! comes from the environment so it stays out of shell history and process lists.

const USAGE: &str = "usage: stagepass-admin EMAIL (with STAGEPASS_ADMIN_PASSWORD set) | \
                     stagepass-admin set-roles EMAIL ROLE[,ROLE...]; IDENTITY_TABLE set for both";

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let table = std::env::var("IDENTITY_TABLE").map_err(|_| "IDENTITY_TABLE is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    match args.as_slice() {
        [command, email, roles] if command == "set-roles" => {
            let roles = roles
                .split(',')
                .map(|r| serde_json::from_value(serde_json::json!(r.trim())))
                .collect::<Result<Vec<stagepass_domain::Role>, _>>()
                .map_err(|_| "roles are fan, organiser, door, admin, comma-separated")?;
            stagepass_lambda::set_roles(&config, &table, email, &roles).await?;
            println!("{email} now has roles {roles:?}");
        }
        [email] => {
            let password = std::env::var("STAGEPASS_ADMIN_PASSWORD")
                .map_err(|_| "STAGEPASS_ADMIN_PASSWORD is not set")?;
            if stagepass_lambda::ensure_admin(&config, &table, email, &password).await? {
                println!("created admin {email}");
            } else {
                println!("{email} is already an admin");
            }
        }
        _ => return Err(USAGE.into()),
    }
    Ok(())
}
