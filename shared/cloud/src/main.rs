//! `make run-aws`: the cloud-shaped stack on http://127.0.0.1:3000 (or `$PORT`) against the
//! endpoint in `AWS_ENDPOINT_URL`, seeded with the same demo accounts and event as `make run`,
//! so the README's quick tour works unchanged.

use serde_json::{Value, json};
use stagepass_cloud::{CloudOptions, CloudStack, repo_root};
use stagepass_local::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD, demo_event_body};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    lambda_http::tracing::init_default_subscriber();
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "AWS_ENDPOINT_URL is not set (make run-aws starts moto and sets it)")?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let dir = repo_root().join("target/cloud");
    let stack = CloudStack::start(CloudOptions {
        endpoint,
        binaries: repo_root().join("target/debug"),
        dir: dir.clone(),
        port,
    })
    .await?;
    let event = seed(&stack).await?;
    let base = &stack.base_url;
    println!(
        "Stagepass (cloud-shaped: every function's binary, on {}) is running on {base}",
        stack.names.stack
    );
    println!("Seeded a published demo event: {base}/events/{event}");
    println!();
    println!("Demo accounts (password {DEMO_PASSWORD}):");
    for (email, role) in DEMO_ACCOUNTS {
        println!("  {email:<28} {}", format!("{role:?}").to_lowercase());
    }
    println!();
    println!(
        "Function logs: {}/logs/, AWS calls per function: {}/{}",
        dir.display(),
        dir.display(),
        stagepass_cloud::CALLS_FILE
    );
    println!(
        "Tickets are in the bucket {}, mail in the endpoint's SES.",
        stack.names.get_ref("TicketsBucket")?
    );
    tokio::signal::ctrl_c().await?;
    stack.stop().await;
    Ok(())
}

/// The demo accounts (the admin made in the table, as `stagepass-admin` does; the others by
/// the admin through the API) and the demo event, created and published through the API.
async fn seed(stack: &CloudStack) -> Result<String, Box<dyn std::error::Error>> {
    let http = stagepass_cloud::http_client()
        .build()
        .expect("the HTTP client builds");
    let base = &stack.base_url;
    let login = |email: &'static str| {
        let http = http.clone();
        async move {
            let session: Value = http
                .post(format!("{base}/auth/login"))
                .json(&json!({"email": email, "password": DEMO_PASSWORD}))
                .send()
                .await?
                .json()
                .await?;
            Ok::<_, reqwest::Error>(
                session["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        }
    };
    let (admin, _) = DEMO_ACCOUNTS[0];
    stack.ensure_admin(admin, DEMO_PASSWORD).await?;
    let admin_token = login(admin).await?;
    for (email, role) in &DEMO_ACCOUNTS[1..] {
        let status = http
            .post(format!("{base}/admin/accounts"))
            .bearer_auth(&admin_token)
            .json(&json!({"email": email, "password": DEMO_PASSWORD, "roles": [role]}))
            .send()
            .await?
            .status();
        if !status.is_success() {
            return Err(format!("creating {email}: {status}").into());
        }
    }
    let organiser = login(DEMO_ACCOUNTS[1].0).await?;
    let created: Value = http
        .post(format!("{base}/events"))
        .bearer_auth(&organiser)
        .json(&demo_event_body())
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .ok_or(format!("create event: {created}"))?
        .to_string();
    let status = http
        .post(format!("{base}/events/{id}/publish"))
        .bearer_auth(&organiser)
        .send()
        .await?
        .status();
    if !status.is_success() {
        return Err(format!("publishing the demo event: {status}").into());
    }
    let status = http
        .post(format!("{base}/events/{id}/staff"))
        .bearer_auth(&organiser)
        .json(&json!({"email": DEMO_ACCOUNTS[2].0}))
        .send()
        .await?
        .status();
    if !status.is_success() {
        return Err(format!("assigning the demo door account: {status}").into());
    }
    Ok(id)
}
