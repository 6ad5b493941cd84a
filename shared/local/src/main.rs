//! `make run`: the whole Stagepass API on http://127.0.0.1:3000 with no Docker and no AWS.
//!
//! Usage:
//!   stagepass-local               serve (data in $STAGEPASS_DATA_DIR, default ./.data)
//!   stagepass-local rotate-keys   make a new signing key active, keep the previous one for
//!                                 verification (restart the server to pick it up)
//!   stagepass-local keygen        print a fresh key set (to store in Secrets Manager)

use stagepass_api::settings;
use stagepass_api::{KeySet, KeyUse, PublicKeys};
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
            // The three documents of a deployment: two private sets and their public halves.
            let (access, tickets) = (KeySet::generate(), KeySet::generate());
            let out = std::env::args()
                .nth(2)
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            write_new(&out.join("access.json"), &access.to_json())?;
            write_new(&out.join("tickets.json"), &tickets.to_json())?;
            write_new(
                &out.join("public.json"),
                &PublicKeys::of(&access, &tickets)?.to_json(),
            )?;
            println!(
                "wrote access.json, tickets.json and public.json in {}",
                out.display()
            );
            return Ok(());
        }
        Some("rotate-keys") => {
            let use_ = match std::env::args().nth(2).as_deref() {
                Some("access") => KeyUse::Access,
                Some("tickets") => KeyUse::Tickets,
                _ => return Err("usage: rotate-keys access|tickets".into()),
            };
            let rotated =
                stagepass_local::keys::rotate(&dir, use_, stagepass_api::keys::ACTIVATION_DELAY)?;
            let from = rotated.keys[0]
                .signs_from
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            println!(
                "key {} signs from {from}; the one it replaces until then",
                rotated.active
            );
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
    let keys = stagepass_local::keys::local_keys(&dir).await?;
    let base = format!("http://127.0.0.1:{port}");
    // The same optional STAGEPASS_* settings the functions read from their environment.
    let env: settings::Lookup = &|name| std::env::var(name).ok();
    let system = stagepass_local::build_system(
        &dir,
        Arc::new(SystemClock),
        settings::hold_settings(env)?,
        settings::identity_settings(env)?,
        keys,
        stagepass_local::LocalOptions {
            public_url: base.clone(),
            // Its own web app by default; STAGEPASS_ALLOWED_ORIGIN for one served elsewhere
            // (a dev server on another port).
            cors: stagepass_api::cors::Cors::parse(
                &env(stagepass_api::cors::SETTING).unwrap_or_else(|| base.clone()),
            )?,
            // The web app, built by `make run` (STAGEPASS_WEB_DIR to serve another build).
            web_dir: Some(
                std::env::var_os("STAGEPASS_WEB_DIR")
                    .map_or_else(|| PathBuf::from("web/dist"), PathBuf::from),
            ),
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
    println!();
    println!("Open {base}/ in a browser: buy tickets, build and publish events, scan tickets.");
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
    println!("Or sign up as a fan (then log in as above, with that email and password):");
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

/// A key file for a deployment, never overwriting one (it may be the only copy of a key).
fn write_new(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}
