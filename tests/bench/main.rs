//! `make bench`: figures for the README, not assertions.
//!
//! 1. Holds through the local HTTP server: a 5,000-seat event, N contenders (1,000 and 10,000)
//!    each asking for 1-4 random seats, at most 256 requests in flight. Reports holds/s
//!    (answered requests, 201 or 409), how many won, and p50/p99 latency.
//! 2. Init time of every function binary: spawned against a minimal fake Lambda Runtime API,
//!    measured from spawn to its first `GET /runtime/invocation/next`. Median of 20 starts,
//!    against a bare `lambda_runtime` binary that loads the AWS config, in the same run.
//! 3. Identity: login latency through the local server (Argon2id dominates), and the cost of
//!    verifying one access token, which the authorizer pays per uncached token.
//! 4. Bookings through the local saga: N fans hold a seat and check out at once; bookings/s
//!    from the first checkout to the last confirmation, and per booking the state transitions
//!    and task calls the ASL made and the integration events published (all counted).
//! 5. DynamoDB writes per booking (when `AWS_ENDPOINT_URL` is set: `make bench` starts moto):
//!    checkout and the saga over the DynamoDB adapters, every request counted by an SDK
//!    interceptor, transaction items counted from the request bodies.
//! 6. The authorizer cache's TTL: a simulation of API Gateway's per-token cache over request
//!    traces (browsing, an on-sale, polling a booking), giving authorizer invocations and their
//!    cost per 1,000 requests at 60 s and at 300 s.
//! 7. The seat map: bytes and build time of sold-out 50,000- and 200,000-seat maps, and the
//!    DynamoDB read units per view of the sold-out stadium before and after snapshots.

use rand::Rng;
use serde_json::json;
use stagepass_api::Role;
use stagepass_domain::HoldSettings;
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
    let app = stagepass_tests::TestApp::spawn_with(HoldSettings::default()).await;
    let org = token("bench-org", Role::Organiser);
    let event = app.published_event(&org, &stadium()).await;
    let url = app.url(&format!("/events/{event}/holds"));
    let client = stagepass_cloud::http_client()
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
/// Every function gets the same environment, with every setting any of them reads (the
/// signing keys inline, so no secret is fetched): only what a function builds differs.
fn init_time(binary: &std::path::Path) -> Duration {
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
        .env("BOOKINGS_TABLE", "bookings")
        .env("TICKETS_BUCKET", "tickets")
        .env(
            "SAGA_STATE_MACHINE_ARN",
            "arn:aws:states:eu-west-2:123456789012:stateMachine:saga",
        )
        .env("EVENT_BUS_NAME", "stagepass")
        .env(
            "CANCELLATION_QUEUE_URL",
            "https://sqs.eu-west-2.amazonaws.com/123456789012/cancellations",
        )
        .env("MAIL_FROM", "tickets@example.com")
        .env("PUBLIC_URL", "https://api.example.com/live")
        .env(
            "ACCESS_SIGNING_KEYS",
            stagepass_tests::test_keys().to_json(),
        )
        .env(
            "TICKET_SIGNING_KEYS",
            stagepass_tests::test_ticket_keys().to_json(),
        )
        .env(
            "VERIFICATION_KEYS",
            stagepass_api::PublicKeys::of(
                stagepass_tests::test_keys(),
                stagepass_tests::test_ticket_keys(),
            )
            .unwrap()
            .to_json(),
        )
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("function binary starts");
    // A function that cannot start (a setting missing here) exits without calling: say so
    // rather than wait for it forever.
    listener.set_nonblocking(true).unwrap();
    let mut stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!(
                        "{} exited ({status}) before asking for work",
                        binary.display()
                    );
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
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
    assert_eq!(app.register(email, password).await.0, 202);
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
    let verifier = stagepass_tests::verifier();
    let token = token("bench-fan", Role::Fan);
    let rounds = 20_000;
    let started = Instant::now();
    for _ in 0..rounds {
        verifier.verify(&token).expect("valid");
    }
    println!(
        "verify: {:.1} us per access token (EdDSA, all claims checked), {rounds} rounds",
        started.elapsed().as_secs_f64() * 1e6 / rounds as f64
    );
    authorizer_cache();
}

/// API Gateway's TOKEN authorizer cache (one TTL for every answer, per token) over simulated
/// traffic: each of 1,000 fans uses one access token for its 15 minutes, sending requests at
/// random (exponential) gaps around a trace's mean. Counts the cache misses, each an authorizer
/// invocation. Prices (us-east-1, 2026): Lambda $0.20 per million requests plus $0.0000133334
/// per GB-second on arm64, billed per ms (the 256 MB authorizer verifies in microseconds: 1 ms
/// billed); API Gateway REST $3.50 per million requests.
fn authorizer_cache() {
    use rand::SeedableRng;
    let per_invocation = 0.20e-6 + 0.25 * 0.001 * 0.000_013_333_4;
    let gateway_per_1000 = 3.50e-6 * 1000.0;
    let traces = [
        ("browsing, a request every 20 s", 20.0),
        ("an on-sale, every 3 s", 3.0),
        ("polling a booking, every 1 s", 1.0),
    ];
    for (name, mean_gap) in traces {
        let mut line = format!("authorizer cache, {name}:");
        for ttl in [60.0, 300.0] {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            let (mut requests, mut misses) = (0u64, 0u64);
            for _ in 0..1_000 {
                let mut t: f64 = 0.0;
                let mut cached_at: Option<f64> = None;
                loop {
                    t += -mean_gap * (1.0 - rng.random::<f64>()).ln();
                    if t >= 900.0 {
                        break;
                    }
                    requests += 1;
                    if cached_at.is_none_or(|at| t - at >= ttl) {
                        misses += 1;
                        cached_at = Some(t);
                    }
                }
            }
            let per_1000 = misses as f64 * 1000.0 / requests as f64;
            line.push_str(&format!(
                " TTL {ttl:.0} s: {per_1000:.1} invocations per 1,000 requests (${:.6});",
                per_1000 * per_invocation
            ));
        }
        println!("{line} API Gateway itself: ${gateway_per_1000:.4} per 1,000");
    }
}

async fn local_bookings(n: usize) {
    let app = stagepass_tests::TestApp::spawn_with(HoldSettings::default()).await;
    let org = token("bench-org", Role::Organiser);
    let event = app
        .published_event(
            &org,
            &stagepass_tests::event_body("Benchville", "concert", in_days(30), 20, 50, 0),
        )
        .await;
    // Holds first (not measured), then every checkout at once.
    let mut holds = Vec::with_capacity(n);
    for i in 0..n {
        let fan = stagepass_tests::buyer_token(&format!("bench-fan-{i}"));
        let seat = format!("A-{}-{}", 1 + i / 50, 1 + i % 50);
        let hold = app.hold(&fan, &event, &[&seat]).await;
        holds.push((fan, hold));
    }
    let app = Arc::new(app);
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for (fan, hold) in holds {
        let (app, gate) = (app.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let t = Instant::now();
            let (status, b) = app
                .checkout(
                    &fan,
                    &hold,
                    stagepass_domain::bookings::payments::cards::SUCCESS,
                    None,
                )
                .await;
            assert_eq!(status, 202, "{b}");
            (fan, b["id"].as_str().unwrap().to_string(), t.elapsed())
        }));
    }
    let mut answered = Vec::with_capacity(n);
    for t in tasks {
        answered.push(t.await.unwrap());
    }
    let mut latencies: Vec<Duration> = answered.iter().map(|a| a.2).collect();
    for (fan, id, _) in &answered {
        let b = app.settled_booking(fan, id).await;
        assert_eq!(b["status"], "confirmed", "{b}");
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let (transitions, task_calls) = app.saga.counters();
    let events = app.bus.published().len();
    println!(
        "bookings: {n} fans check out at once through the local saga: {:.0} bookings/s confirmed, checkout p50 {:.1} ms p99 {:.1} ms",
        n as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    println!(
        "  per booking: {:.1} state transitions, {:.1} task calls, {:.1} integration events, {:.1} emails; {} charges for {n} bookings",
        transitions as f64 / n as f64,
        task_calls as f64 / n as f64,
        events as f64 / n as f64,
        app.emails().len() as f64 / n as f64,
        app.payments.totals().await.charges,
    );
}

/// Counts DynamoDB requests by operation, and the items inside transactions.
#[derive(Debug, Default, Clone)]
struct CountWrites(Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>);

impl aws_sdk_dynamodb::config::Intercept for CountWrites {
    fn name(&self) -> &'static str {
        "count-writes"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let op = request
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .trim_start_matches("DynamoDB_20120810.")
            .to_string();
        let mut counts = self.0.lock().unwrap();
        if op == "TransactWriteItems" {
            let body: serde_json::Value =
                serde_json::from_slice(request.body().bytes().unwrap_or_default())
                    .unwrap_or_default();
            let items = body["TransactItems"].as_array().map_or(0, Vec::len) as u64;
            *counts
                .entry("TransactWriteItems (items)".into())
                .or_default() += items;
        }
        *counts.entry(op).or_default() += 1;
        Ok(())
    }
}

async fn dynamo_writes(n: usize) {
    use stagepass_domain::bookings::{Buyer, Checkout};
    use stagepass_domain::{PaymentMethod, UserId};
    use stagepass_tests::saga::{StartedSagas, Steps};
    let counter = CountWrites::default();
    let config = stagepass_tests::aws::sdk_config().await;
    let plain = aws_sdk_dynamodb::Client::new(&config);
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config)
            .interceptor(counter.clone())
            .build(),
    );
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let names = [
        ("EventsTable", format!("events-{suffix}")),
        ("InventoryTable", format!("inventory-{suffix}")),
        ("BookingsTable", format!("bookings-{suffix}")),
        ("IdentityTable", format!("identity-{suffix}")),
    ];
    for (logical, name) in &names {
        stagepass_tests::aws::create_table(&plain, logical, name).await;
    }
    let outbox = Some(names[2].1.clone());
    let catalog = Arc::new(
        stagepass_dynamo::DynamoCatalog::new(counted.clone(), &names[0].1)
            .with_outbox(outbox.clone()),
    );
    let inventory = Arc::new(
        stagepass_dynamo::DynamoInventory::new(counted.clone(), &names[1].1).with_outbox(outbox),
    );
    // Buyers' request rates are counted in the identity table: part of every hold and checkout.
    let limiter = Arc::new(stagepass_dynamo::DynamoIdentity::new(
        counted.clone(),
        &names[3].1,
    ));
    let store = Arc::new(
        stagepass_dynamo::DynamoBookings::new(counted, &names[2].1)
            .with_events_table(Some(names[0].1.clone())),
    );
    let files = tempfile::tempdir().unwrap();
    let clock = stagepass_tests::system_clock();
    let mut ports = stagepass_api::Ports::new(clock.clone());
    ports.catalog = Some(catalog.clone());
    ports.inventory = Some(inventory.clone());
    ports.bookings = Some(store.clone());
    // The deployed simulator: its ledger is in the bookings table, so its calls count too.
    ports.payments = Some(Arc::new(
        stagepass_domain::bookings::payments::SimulatedPayments::new(store.clone()),
    ));
    ports.files = Some(Arc::new(stagepass_local::adapters::FolderFiles::new(
        files.path(),
    )));
    ports.keys = Some(stagepass_tests::keys());
    let steps = Steps::wire(&ports).await;
    let checkout = Checkout {
        admissions: None,
        catalog: catalog.clone(),
        inventory: inventory.clone(),
        bookings: store,
        workflow: Arc::new(StartedSagas::default()),
        clock: clock.clone(),
        rate: stagepass_domain::BuyerRate::new(limiter.clone(), clock.clone(), "checkouts", 10),
    };
    let service = stagepass_tests::service(catalog, inventory, limiter, clock);
    let organiser = stagepass_domain::Actor {
        user: UserId::new("bench-org"),
        admin: false,
    };
    let draft = serde_json::from_value(stagepass_tests::event_body(
        "Benchville",
        "concert",
        in_days(30),
        1,
        n as u32,
        0,
    ))
    .unwrap();
    let event = service.create_event(&organiser, draft).await.unwrap();
    service.publish_event(&organiser, &event.id).await.unwrap();
    let machine =
        stagepass_local::asl::StateMachine::parse(stagepass_local::saga::SAGA_ASL).unwrap();
    counter.0.lock().unwrap().clear();
    for i in 0..n {
        let fan = UserId::new(format!("bench-fan-{i}"));
        let request = stagepass_domain::HoldRequest {
            seats: vec![format!("A-1-{}", i + 1)],
            ga: vec![],
        };
        let hold = service
            .hold(&fan, &event.id, &request, None)
            .await
            .unwrap()
            .hold;
        let buyer = Buyer {
            user: fan,
            email: format!("fan{i}@bench.example"),
        };
        let out = checkout
            .checkout(
                &buyer,
                &hold.id,
                PaymentMethod::parse("pm_card_visa").unwrap(),
            )
            .await
            .unwrap();
        let run = machine
            .execute(json!({"booking_id": out.booking.id}), &steps, 0.0)
            .await;
        assert!(matches!(
            run.outcome,
            stagepass_local::asl::Outcome::Succeeded(_)
        ));
    }
    let counts = counter.0.lock().unwrap().clone();
    let writes = ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"];
    let write_requests: u64 = writes.iter().filter_map(|w| counts.get(*w)).sum();
    println!(
        "dynamodb: per booking (hold + checkout + saga, {n} bookings): {:.1} write requests; by operation: {}",
        write_requests as f64 / n as f64,
        counts
            .iter()
            .map(|(op, c)| format!("{op} {:.1}", *c as f64 / n as f64))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Size and init time (median of 20 starts) of every function binary in `dir`, and of the
/// baseline (`bare-lambda`: loads the AWS config, runs `lambda_runtime`) in the same run.
fn init_times(dir: &std::path::Path) {
    let mut names: Vec<String> = std::fs::read_dir(stagepass_tests::repo_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let measure = |binary: &std::path::Path| {
        let size = std::fs::metadata(binary)
            .unwrap_or_else(|_| panic!("no binary {}", binary.display()))
            .len() as f64
            / (1024.0 * 1024.0);
        let _ = init_time(binary); // warm the page cache
        let mut times: Vec<Duration> = (0..20).map(|_| init_time(binary)).collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        (
            size,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
        )
    };
    let (size, base, p90) = measure(&dir.join("bare-lambda"));
    println!(
        "function: {:<16} {size:>6.2} MiB  init median {base:>5.1} ms, p90 {p90:>5.1} ms (baseline: AWS config + lambda_runtime)",
        "(bare-lambda)"
    );
    let (mut sizes, mut medians) = (Vec::new(), Vec::new());
    for name in &names {
        let (size, median, p90) = measure(&dir.join(name));
        println!(
            "function: {name:<16} {size:>6.2} MiB  init median {median:>5.1} ms, p90 {p90:>5.1} ms (20 starts, spawn to first /next; {:+.1} ms over the baseline)",
            median - base
        );
        sizes.push(size);
        medians.push(median);
    }
    let mut sorted = medians.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "functions: {} binaries, {:.1} MiB in all, init medians {:.1}-{:.1} ms (median of medians {:.1} ms; baseline {base:.1} ms)",
        names.len(),
        sizes.iter().sum::<f64>(),
        sorted[0],
        sorted[sorted.len() - 1],
        sorted[sorted.len() / 2],
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // A folder of release function binaries (one per folder of `functions/`).
    let functions = args
        .iter()
        .position(|a| a == "--functions")
        .and_then(|i| args.get(i + 1))
        .cloned();
    println!(
        "stagepass bench ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // The simulation alone (it needs no build profile, nor a store): `bench --only-cache`.
    if args.iter().any(|a| a == "--only-cache") {
        authorizer_cache();
        return;
    }
    if args.iter().any(|a| a == "--only-maps") {
        seat_maps().await;
        return;
    }
    if args.iter().any(|a| a == "--only-functions") {
        if let Some(dir) = functions {
            init_times(std::path::Path::new(&dir));
        }
        return;
    }
    for contenders in [1_000, 10_000] {
        holds(contenders).await;
    }
    logins().await;
    local_bookings(500).await;
    seat_maps().await;
    if std::env::var("AWS_ENDPOINT_URL").is_ok() {
        dynamo_writes(20).await;
    } else {
        println!("dynamodb: skipped (set AWS_ENDPOINT_URL, as `make bench` does)");
    }
    if let Some(dir) = functions {
        init_times(std::path::Path::new(&dir));
    }
}

/// An event with `sections` × `rows` × `seats` seats and a standing area, in the domain's type.
fn venue(sections: u32, rows: u32, seats: u32) -> stagepass_domain::Event {
    let layout = json!({
        "sections": (0..sections).map(|s| json!({
            "id": format!("S{s}"), "name": format!("Section {s}"), "tier": "std",
            "rows": (1..=rows).map(|r| json!({"label": r.to_string(), "seats": seats})).collect::<Vec<_>>()
        })).collect::<Vec<_>>(),
        "ga_areas": [],
    });
    let now = chrono::Utc::now();
    serde_json::from_value(json!({
        "id": stagepass_domain::EventId::generate(), "organiser": "bench-org",
        "status": "published", "title": "Bench", "description": "", "category": "sports",
        "venue": {"name": "Stadium", "city": "Benchville"}, "starts_at": now + chrono::Duration::days(30),
        "currency": "GBP", "price_tiers": [{"id": "std", "name": "Std", "price": 5000}],
        "layout": layout, "version": 2, "created_at": now, "updated_at": now, "published_at": now,
    }))
    .expect("an event")
}

/// A DynamoDB item's size by the published rules: each attribute's name plus its value (a
/// string's or binary's bytes; a number's about one byte per two digits, plus one).
fn item_bytes(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    V::S(s) => s.len(),
                    V::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
                    V::B(b) => b.as_ref().len(),
                    V::Bool(_) | V::Null(_) => 1,
                    _ => 100,
                }
        })
        .sum()
}

/// Read units of reading `bytes` in one query or get: per 4 KB, halved when eventually
/// consistent.
fn read_units(bytes: usize, strong: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if strong { units } else { units / 2.0 }
}

/// 7. The seat map: bytes and build time of a sold-out 50,000- and a 200,000-seat map, as the
///    old per-seat JSON and as runs (plain and gzipped); with a DynamoDB endpoint, the read
///    units of a view before (every unit, strongly consistent) and after (the snapshot, plus
///    the rebuild every 2 s shared by that interval's views), from the sizes of real items.
async fn seat_maps() {
    use stagepass_domain::catalog::seat_map::{Snapshot, availability};
    use stagepass_domain::{HoldId, UnitId, UnitRecord, UnitState};
    let mut gz_50k = 0;
    for (label, sections, rows, seats) in [("50,000", 50, 40, 25), ("200,000", 100, 80, 25)] {
        let event = venue(sections, rows, seats);
        let now = chrono::Utc::now();
        let records: Vec<UnitRecord> = event
            .layout
            .sections
            .iter()
            .flat_map(|s| {
                s.rows.iter().flat_map(move |r| {
                    (1..=r.seats).map(move |n| UnitRecord {
                        unit: UnitId::seat(&s.id, &r.label, n),
                        hold_id: HoldId::generate(),
                        state: UnitState::Sold,
                        expires_at: now,
                    })
                })
            })
            .collect();
        let mut times = Vec::new();
        let mut snapshot = None;
        for _ in 0..5 {
            let started = Instant::now();
            snapshot = Some(Snapshot::of(&availability(&event, &records, now)));
            times.push(started.elapsed());
        }
        times.sort();
        let snapshot = snapshot.unwrap();
        let gz = stagepass_api::response::gzip_bytes(snapshot.body.as_bytes()).len();
        if label == "50,000" {
            gz_50k = gz;
        }
        // The old answer: an object per seat.
        let old: Vec<_> = records
            .iter()
            .map(|r| json!({"id": r.unit.as_str(), "number": 1, "state": "sold"}))
            .collect();
        let old = serde_json::to_vec(&old).unwrap();
        let old_gz = stagepass_api::response::gzip_bytes(&old).len();
        // A half-sold map in a random pattern: runs at their least compact.
        let mut rng = rand::rng();
        let half: Vec<UnitRecord> = records
            .iter()
            .filter(|_| rng.random_bool(0.5))
            .cloned()
            .collect();
        let mixed = Snapshot::of(&availability(&event, &half, now));
        let mixed_gz = stagepass_api::response::gzip_bytes(mixed.body.as_bytes()).len();
        println!(
            "seat map {label} seats: sold out {} B as runs ({} B gzipped), was {} B per seat ({} B gzipped); half sold at random {} B ({} B gzipped); built in {:?} (median of 5)",
            snapshot.body.len(),
            gz,
            old.len(),
            old_gz,
            mixed.body.len(),
            mixed_gz,
            times[2]
        );
    }
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        println!("seat map read units: skipped (set AWS_ENDPOINT_URL)");
        return;
    }
    // Real unit items: a sold row, written by the DynamoDB adapter, read back.
    use stagepass_domain::SeatInventory;
    let config = stagepass_tests::aws::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("inventory-{}", uuid::Uuid::new_v4().simple());
    stagepass_tests::aws::create_table(&client, "InventoryTable", &table).await;
    let inventory = stagepass_dynamo::DynamoInventory::new(client.clone(), &table);
    let event_id = stagepass_domain::EventId::generate();
    let now = chrono::Utc::now();
    let hold = stagepass_domain::Hold {
        id: HoldId::generate(),
        event_id: event_id.clone(),
        holder: stagepass_domain::UserId::new("bench-fan"),
        seats: vec![],
        ga: vec![],
        units: (1..=10).map(|n| UnitId::seat("S12", "37", n)).collect(),
        total: 0,
        currency: "GBP".into(),
        status: stagepass_domain::HoldStatus::Active,
        created_at: now,
        expires_at: now + chrono::Duration::minutes(10),
        request_fingerprint: "bench".into(),
    };
    inventory.place_hold(&hold, now, 10, &[]).await.unwrap();
    inventory.sell_hold(&hold, now).await.unwrap();
    let items = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(stagepass_dynamo::inventory::unit_pk(
                &event_id,
                &hold.units[0],
            )),
        )
        .send()
        .await
        .unwrap();
    let per_item = items.items().iter().map(item_bytes).sum::<usize>() / items.items().len();
    let seats = 50_000usize;
    let before = read_units(per_item * seats, true);
    let rebuild = read_units(per_item * seats, false);
    // The snapshot item: its gzipped body plus its other attributes (~100 B).
    let view = read_units(gz_50k + 100, false);
    println!(
        "seat map read units, sold-out 50,000 seats ({per_item} B per sold seat item): before {before:.0} per view (every unit, strongly consistent); after {view} per view plus a {rebuild:.0}-unit rebuild at most every 2 s"
    );
    for per_second in [1.0, 10.0, 100.0, 1000.0] {
        let amortised = view + rebuild / (2.0 * per_second);
        println!(
            "  at {per_second} views/s (no cache in front, every view a cold function): {amortised:.1} read units per view"
        );
    }
}
