//! `make run`: the whole Stagepass API on http://127.0.0.1:3000 with no Docker and no AWS.
//!
//! Usage:
//!   stagepass-local                      serve (data in $STAGEPASS_DATA_DIR, default ./.data)
//!   stagepass-local token ROLE [SUBJECT] print a token for fan|organiser|door|admin

use stagepass_api::app::env;
use stagepass_api::{Role, Tokens};
use stagepass_domain::SystemClock;
use std::path::PathBuf;
use std::sync::Arc;

const TOKEN_HOURS: i64 = 12;

fn data_dir() -> PathBuf {
    std::env::var_os("STAGEPASS_DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from)
}

fn parse_role(raw: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::json!(raw))
        .map_err(|_| format!("unknown role {raw:?}: use fan, organiser, door or admin"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = data_dir();
    let secret = stagepass_local::load_or_create_secret(&dir)?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("token") {
        let role = parse_role(args.get(1).map_or("fan", String::as_str))?;
        let subject = args
            .get(2)
            .cloned()
            .unwrap_or_else(|| format!("demo-{}", args.get(1).map_or("fan", String::as_str)));
        println!(
            "{}",
            Tokens::hs256(&secret)?.issue(&subject, &[role], chrono::Duration::hours(TOKEN_HOURS))
        );
        return Ok(());
    }
    // The subscriber the Lambdas use: text in a terminal, JSON with AWS_LAMBDA_LOG_FORMAT=json.
    lambda_http::tracing::init_default_subscriber();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let app = stagepass_local::build_app(&dir, Arc::new(SystemClock), env::settings()?, &secret)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let tokens = Tokens::hs256(&secret)?;
    let ttl = chrono::Duration::hours(TOKEN_HOURS);
    println!(
        "Stagepass is running on http://127.0.0.1:{port} (data in {})",
        dir.display()
    );
    println!();
    println!("Organiser token (valid {TOKEN_HOURS} h):");
    println!(
        "  export ORGANISER_TOKEN={}",
        tokens.issue("demo-organiser", &[Role::Organiser], ttl)
    );
    println!("Fan token (valid {TOKEN_HOURS} h):");
    println!(
        "  export FAN_TOKEN={}",
        tokens.issue("demo-fan", &[Role::Fan], ttl)
    );
    println!();
    println!("Try: curl -s http://127.0.0.1:{port}/events");
    println!("More tokens: cargo run -q -p stagepass-local -- token fan my-name");
    stagepass_local::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    println!("stopped; data kept in {}", dir.display());
    Ok(())
}
