//! `make bench`: figures for the README, not assertions.
//!
//! 1. Holds through the local HTTP server: a 5,000-seat event, N contenders (1,000 and 10,000)
//!    each asking for 1-4 random seats, at most 256 requests in flight. Reports holds/s
//!    (answered requests, 201 or 409), how many won, and p50/p99 latency.
//! 2. Init time of one function binary: spawned against a minimal fake Lambda Runtime API,
//!    measured from spawn to its first `GET /runtime/invocation/next`. Median of 20 starts.
//! 3. Identity: login latency through the local server (Argon2id dominates), and the cost of
//!    verifying one access token, which the authorizer pays per uncached token.

use rand::Rng;
use serde_json::json;
use stagepass_api::Role;
use stagepass_domain::Settings;
use stagepass_tests::{in_days, token};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 256;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn stadium() -> serde_json::Value {
    // 10 sections x 25 rows x 20 seats = 5,000 seats.
    let sections: Vec<_> = (0..10)
        .map(|s| {
            json!({
                "id": format!("S{s}"), "name": format!("Section {s}"), "tier": "std",
                "rows": (1..=25).map(|r| json!({"label": r.to_string(), "seats": 20})).collect::<Vec<_>>()
            })
        })
        .collect();
    json!({
        "title": "Bench Night", "category": "sports",
        "venue": {"name": "Stadium", "city": "Benchville"},
        "starts_at": in_days(30), "currency": "GBP",
        "price_tiers": [{"id": "std", "name": "Standard", "price": 5000}],
        "layout": {"sections": sections}
    })
}

async fn holds(contenders: usize) {
    let app = stagepass_tests::TestApp::spawn_with(Settings::default()).await;
    let org = token("bench-org", Role::Organiser);
    let event = app.published_event(&org, &stadium()).await;
    let url = app.url(&format!("/events/{event}/holds"));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .build()
        .unwrap();
    let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(contenders);
    for i in 0..contenders {
        let seats: Vec<String> = {
            let mut rng = rand::rng();
            (0..rng.random_range(1..=4))
                .map(|_| {
                    format!(
                        "S{}-{}-{}",
                        rng.random_range(0..10),
                        rng.random_range(1..=25),
                        rng.random_range(1..=20)
                    )
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let req = client
            .post(&url)
            .bearer_auth(token(&format!("fan-{i}"), Role::Fan))
            .json(&json!({"seats": seats}));
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let t = Instant::now();
            let status = req.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
            (status, t.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(contenders);
    let (mut won, mut lost, mut other) = (0, 0, 0);
    for t in tasks {
        let (status, latency) = t.await.unwrap();
        match status {
            201 => won += 1,
            409 => lost += 1,
            _ => other += 1,
        }
        latencies.push(latency);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "holds: {contenders:>6} contenders, 5,000 seats: {:>7.0} holds/s  p50 {:>6.1} ms  p99 {:>6.1} ms  ({won} held, {lost} got 409, {other} other)",
        contenders as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    let _ = app.stop().await;
}

/// Spawns `binary` against a fake Runtime API and returns the time to its first `next` call.
fn init_time(binary: &str) -> Duration {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let started = Instant::now();
    let mut child = std::process::Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "get-event")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "eu-west-2")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("EVENTS_TABLE", "events")
        .env("INVENTORY_TABLE", "inventory")
        .env("IDENTITY_TABLE", "identity")
        .env(
            "STAGEPASS_SIGNING_KEYS",
            stagepass_tests::test_keys().to_json(),
        )
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("function binary starts");
    let (mut stream, _) = listener.accept().unwrap();
    let mut buf = [0u8; 1024];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "runtime closed the connection");
        seen.extend_from_slice(&buf[..n]);
    }
    let elapsed = started.elapsed();
    assert!(
        seen.starts_with(b"GET /2018-06-01/runtime/invocation/next"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    let _ = stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

async fn logins() {
    let app = stagepass_tests::TestApp::spawn().await;
    let (email, password) = ("bench@example.com", stagepass_tests::TEST_PASSWORD);
    assert_eq!(app.register(email, password).await.0, 201);
    let mut times = Vec::with_capacity(30);
    for _ in 0..30 {
        let started = Instant::now();
        assert_eq!(app.login(email, password).await.0, 200);
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "login: median {:.1} ms, p90 {:.1} ms over 30 sequential logins (Argon2id m=19 MiB t=2 p=1)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.9).as_secs_f64() * 1e3,
    );
    let tokens = stagepass_tests::tokens();
    let token = token("bench-fan", Role::Fan);
    let rounds = 20_000;
    let started = Instant::now();
    for _ in 0..rounds {
        tokens.verify(&token).expect("valid");
    }
    println!(
        "verify: {:.1} us per access token (EdDSA, all claims checked), {rounds} rounds",
        started.elapsed().as_secs_f64() * 1e6 / rounds as f64
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let function = args
        .iter()
        .position(|a| a == "--function")
        .and_then(|i| args.get(i + 1))
        .cloned();
    println!(
        "stagepass bench ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for contenders in [1_000, 10_000] {
        holds(contenders).await;
    }
    logins().await;
    if let Some(binary) = function {
        let _ = init_time(&binary); // warm the page cache
        let mut times: Vec<Duration> = (0..20).map(|_| init_time(&binary)).collect();
        times.sort();
        println!(
            "init: {binary}: median {:.1} ms, p90 {:.1} ms, min {:.1} ms over 20 starts (spawn to first /next)",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.9).as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3
        );
    }
}
