//! `make run`: the whole Stagepass API on http://127.0.0.1:3000 with no Docker and no AWS.
//!
//! Usage:
//!   stagepass-local               serve (data in $STAGEPASS_DATA_DIR, default ./.data)
//!   stagepass-local rotate-keys   make a new signing key active, keep the previous one for
//!                                 verification (restart the server to pick it up)
//!   stagepass-local keygen        print a fresh key set (to store in Secrets Manager)

use stagepass_api::KeySet;
use stagepass_api::settings;
use stagepass_domain::SystemClock;
use stagepass_local::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use std::path::PathBuf;
use std::sync::Arc;

/// Deployed the sweeper runs every 2 minutes; locally it is as cheap to run it more often.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

fn data_dir() -> PathBuf {
    std::env::var_os("STAGEPASS_DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = data_dir();
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("keygen") => {
            println!("{}", KeySet::generate().to_json());
            return Ok(());
        }
        Some("rotate-keys") => {
            let rotated = stagepass_local::load_or_create_keys(&dir)?.rotated()?;
            stagepass_local::save_keys(&dir, &rotated)?;
            println!("active signing key is now {}", rotated.active);
            return Ok(());
        }
        Some(other) => {
            return Err(format!("unknown command {other:?}: use keygen or rotate-keys").into());
        }
    }
    // The subscriber the Lambdas use: text in a terminal, JSON with AWS_LAMBDA_LOG_FORMAT=json.
    lambda_http::tracing::init_default_subscriber();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let keys = stagepass_local::load_or_create_keys(&dir)?;
    let base = format!("http://127.0.0.1:{port}");
    // The same optional STAGEPASS_* settings the functions read from their environment.
    let env: settings::Lookup = &|name| std::env::var(name).ok();
    let system = stagepass_local::build_system(
        &dir,
        Arc::new(SystemClock),
        settings::hold_settings(env)?,
        settings::identity_settings(env)?,
        &keys,
        stagepass_local::LocalOptions {
            public_url: base.clone(),
            ..Default::default()
        },
    )
    .await?;
    let demo = stagepass_local::demo::seed(&system.ports).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    // Listening already: sagas a stop or crash cut short resume in the background, beside
    // the outbox relay and the booking sweeper.
    let _background = system.spawn_background(SWEEP_EVERY);
    println!("Stagepass is running on {base} (data in {})", dir.display());
    if let Some(id) = &demo.event_id {
        println!("Seeded a published demo event: {base}/events/{id}");
    }
    println!();
    println!("Demo accounts (password {DEMO_PASSWORD}):");
    for (email, role) in DEMO_ACCOUNTS {
        println!("  {email:<28} {}", format!("{role:?}").to_lowercase());
    }
    println!();
    println!("Log in as the organiser:");
    println!(
        "  curl -s -X POST {base}/auth/login -H 'content-type: application/json' \\\n    -d '{{\"email\":\"organiser@stagepass.local\",\"password\":\"{DEMO_PASSWORD}\"}}'"
    );
    println!("Or sign up as a fan:");
    println!(
        "  curl -s -X POST {base}/auth/register -H 'content-type: application/json' \\\n    -d '{{\"email\":\"me@example.com\",\"password\":\"a long passphrase\"}}'"
    );
    println!("Then send the access_token as: Authorization: Bearer <access_token>");
    println!("Browse: curl -s {base}/events");
    println!();
    println!(
        "Ticket PDFs go to {}, emails (.eml) to {}",
        dir.join("tickets").display(),
        dir.join("mail").display()
    );
    stagepass_local::serve(listener, system.api.clone(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    println!("stopped; data kept in {}", dir.display());
    Ok(())
}
