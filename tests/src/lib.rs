//! Test harness: a local server per test (own temp store, own clock), DynamoDB tables per test
//! created from the definitions in `template.yaml`, and builders for sample events.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use stagepass_api::{KeySet, Keys, Ports, Principal, Role, Signer, Verifier};
use stagepass_domain::bookings::payments::SimulatedPayments;
use stagepass_domain::catalog::{Catalog, EventDetail};
use stagepass_domain::holds::{HoldOutcome, HoldSeats, ReleaseHold};
use stagepass_domain::{
    Actor, CatalogError, Clock, Event, EventId, Hold, HoldError, HoldId, HoldRequest, HoldSettings,
    IdentitySettings, ManualClock, NewEvent, SystemClock, UserId,
};
use stagepass_local::adapters::LocalBus;
use stagepass_local::saga::LocalSaga;
use stagepass_local::{LocalApi, LocalOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The access-token key set every test app signs with, generated once per test process.
pub fn test_keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(KeySet::generate)
}

/// The ticket key set every test app signs tickets with.
pub fn test_ticket_keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(KeySet::generate)
}

/// Fixed keys over [`test_keys`] and [`test_ticket_keys`], for wiring functions in tests.
pub fn keys() -> Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::fixed(test_keys(), test_ticket_keys()).expect("test keys load"))
        .clone()
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the repo")
        .to_path_buf()
}

/// The authorizer function, wired with the test keys, asked about one TOKEN request.
pub async fn authorize(
    request: lambda_http::aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequest,
) -> Result<Value, ()> {
    let mut ports = Ports::new(system_clock());
    ports.keys = Some(keys());
    let function = stagepass_local::functions::named("authorizer").expect("authorizer");
    let Ok(stagepass_api::Handler::Authorizer(authorize)) = (function.wire)(&ports).await else {
        panic!("the authorizer wires as an authorizer");
    };
    authorize(request)
        .await
        .map(|r| serde_json::to_value(r).expect("serialises"))
        .map_err(|_| ())
}

/// Signs access tokens with the test keys.
pub fn tokens() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::from_key_set(test_keys()).expect("test keys load"))
}

/// Checks access tokens against the test keys.
pub fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| Verifier::of_key_set(test_keys()).expect("test keys load"))
}

/// Signs tickets with the test ticket keys.
pub fn ticket_signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::from_key_set(test_ticket_keys()).expect("test keys load"))
}

/// Checks tickets against the test ticket keys.
pub fn ticket_verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| Verifier::of_key_set(test_ticket_keys()).expect("test keys load"))
}

/// An access token for any subject and role, as if they had logged in to a verified account
/// (valid 1 h).
pub fn token(sub: &str, role: Role) -> String {
    let who = Principal {
        user: UserId::new(sub),
        roles: vec![role],
        email: None,
        session: None,
        expires_at: None,
        email_verified: true,
    };
    tokens().issue(&who, 3600)
}

/// One part of a JWT, decoded: 0 the header, 1 the claims.
pub fn token_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let raw = token.split('.').nth(index).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// The seconds a `429` tells the client to wait (its `Retry-After` header).
pub fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .expect("an ASCII header")
        .parse()
        .expect("whole seconds")
}

/// A response header as text (empty if absent): what a browser's script would read.
pub fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The password of every account the harness makes.
pub const TEST_PASSWORD: &str = "test password 123";

/// A running local server on a free port, with its own data folder and a clock tests move.
pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    /// What the server serves; only the server holds it besides this.
    pub api: Arc<LocalApi>,
    /// The embedded adapters every function was wired with, to look into the store.
    pub ports: Ports,
    /// The saga runner (runs executions as checkout starts them; faults can be injected).
    pub saga: Arc<LocalSaga>,
    /// What reached the event bus.
    pub bus: Arc<LocalBus>,
    /// The simulated payment provider, which counts every charge and refund.
    pub payments: Arc<SimulatedPayments>,
    pub clock: Arc<ManualClock>,
    pub data_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(HoldSettings::default()).await
    }

    pub async fn spawn_with(settings: HoldSettings) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        let mut app =
            Self::start(&data_dir, settings, Arc::new(ManualClock::new(Utc::now()))).await;
        app._dir = Some(dir);
        app
    }

    /// A server with its own identity limits (for rate-limit tests).
    pub async fn spawn_with_identity(identity: IdentitySettings) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let mut app =
            Self::start_with(dir.path(), HoldSettings::default(), identity, clock, keys()).await;
        app._dir = Some(dir);
        app
    }

    /// Starts a server over an existing data folder (to test restarts).
    pub async fn start(data_dir: &Path, settings: HoldSettings, clock: Arc<ManualClock>) -> Self {
        let identity = IdentitySettings::default();
        Self::start_with(data_dir, settings, identity, clock, keys()).await
    }

    pub async fn start_with(
        data_dir: &Path,
        settings: HoldSettings,
        identity: IdentitySettings,
        clock: Arc<ManualClock>,
        keys: Keys,
    ) -> Self {
        let options = LocalOptions {
            delay_scale: 0.0,
            ..LocalOptions::default()
        };
        Self::start_system(data_dir, settings, identity, clock, keys, options).await
    }

    /// A server with full control over how its saga runs (fault-injection tests).
    pub async fn start_system(
        data_dir: &Path,
        settings: HoldSettings,
        identity: IdentitySettings,
        clock: Arc<ManualClock>,
        keys: Keys,
        mut options: LocalOptions,
    ) -> Self {
        // The clock stands still between a test's steps, so a map may not be served from a
        // snapshot: these tests read the map right after each hold. Serving from snapshots is
        // the contract tests' `seat_maps` suite.
        options.map_settings.max_age = chrono::Duration::zero();
        let system = stagepass_local::build_system(
            data_dir,
            clock.clone() as Arc<dyn Clock>,
            settings,
            identity,
            keys,
            options,
        )
        .await
        .expect("app builds");
        let relay = system.spawn_relay();
        let api = system.api.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(stagepass_local::serve(listener, api.clone(), async {
            let _ = rx.await;
        }));
        Self {
            base_url: format!("http://{addr}"),
            http: stagepass_cloud::http_client()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
            api,
            ports: system.ports.clone(),
            clock,
            data_dir: data_dir.to_path_buf(),
            _dir: None,
            shutdown: Some(tx),
            server: Some(server),
            relay: Some(relay),
            saga: system.saga.clone(),
            bus: system.bus.clone(),
            payments: system.payments.clone(),
        }
    }

    /// Stops the server and waits until the store is closed, keeping the data folder.
    pub async fn stop(mut self) -> (Option<tempfile::TempDir>, Arc<ManualClock>) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        if let Some(relay) = self.relay.take() {
            relay.abort();
            let _ = relay.await;
        }
        // The server closed every connection; a finished connection task may take a moment to
        // drop its handle, then only this one holds the store.
        for _ in 0..100 {
            if Arc::strong_count(&self.api) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            Arc::strong_count(&self.api),
            1,
            "nothing else may hold the api after stop"
        );
        (self._dir.take(), self.clock)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().expect("method"), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().expect("method"), self.url(path))
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let value = res.json().await.unwrap_or(Value::Null);
        (status, value)
    }

    /// `POST /auth/register`: 202 and "check your inbox" whether or not the email was new.
    pub async fn register(&self, email: &str, password: &str) -> (u16, Value) {
        let body = json!({ "email": email, "password": password });
        self.send("POST", "/auth/register", None, Some(&body)).await
    }

    /// Signs up (`POST /auth/register`, 202) and logs in: the login's answer.
    pub async fn sign_up(&self, email: &str, password: &str) -> (u16, Value) {
        let (status, body) = self.register(email, password).await;
        assert_eq!(status, 202, "{body}");
        self.login(email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let body = json!({ "email": email, "password": password });
        self.send("POST", "/auth/login", None, Some(&body)).await
    }

    /// An access token for a fresh account with `role`: an admin (made directly in the store,
    /// as `make run` seeds one) creates it over HTTP, then it logs in over HTTP.
    pub async fn account_token(&self, role: Role) -> String {
        let admin_email = "admin@tests.example";
        stagepass_domain::Accounts::new(
            self.ports.identity.clone().expect("identity"),
            self.ports.rate_limiter.clone().expect("rate limiter"),
            self.ports.clock.clone(),
            IdentitySettings::default(),
        )
        .ensure_account(admin_email, TEST_PASSWORD, &[Role::Admin])
        .await
        .expect("admin account");
        if role == Role::Admin {
            return self.access_token(admin_email).await;
        }
        let admin = self.access_token(admin_email).await;
        let email =
            format!("{role:?}-{}@tests.example", uuid::Uuid::new_v4().simple()).to_lowercase();
        let body = json!({ "email": email, "password": TEST_PASSWORD, "roles": [role] });
        let (status, created) = self
            .send("POST", "/admin/accounts", Some(&admin), Some(&body))
            .await;
        assert_eq!(status, 201, "{created}");
        self.access_token(&email).await
    }

    /// A new door-staff account, assigned by `organiser` to `event`: it may check in that
    /// event's tickets (and no other's).
    pub async fn door_for(&self, organiser: &str, event: &str) -> String {
        let door = self.account_token(Role::Door).await;
        let email = token_part(&door, 1)["email"].clone();
        let (status, staff) = self
            .send(
                "POST",
                &format!("/events/{event}/staff"),
                Some(organiser),
                Some(&json!({ "email": email })),
            )
            .await;
        assert_eq!(status, 200, "{staff}");
        door
    }

    async fn access_token(&self, email: &str) -> String {
        let (status, session) = self.login(email, TEST_PASSWORD).await;
        assert_eq!(status, 200, "{session}");
        session["access_token"]
            .as_str()
            .expect("access token")
            .to_string()
    }

    /// Creates and publishes an event as `organiser`, returning its id.
    pub async fn published_event(&self, organiser: &str, body: &Value) -> String {
        let (status, created) = self
            .send("POST", "/events", Some(organiser), Some(body))
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_string();
        let (status, published) = self
            .send(
                "POST",
                &format!("/events/{id}/publish"),
                Some(organiser),
                None,
            )
            .await;
        assert_eq!(status, 200, "{published}");
        id
    }

    /// Cancels an event as `organiser` (`202`, off sale at once) and waits for the worker to
    /// get through its bookings; returns the event's `cancellation` progress.
    pub async fn cancel_event(&self, organiser: &str, id: &str) -> Value {
        let (status, answer) = self
            .send(
                "POST",
                &format!("/events/{id}/cancel"),
                Some(organiser),
                None,
            )
            .await;
        assert!(status == 202 || status == 200, "{answer}");
        for _ in 0..300 {
            let (status, event) = self
                .send("GET", &format!("/events/{id}"), Some(organiser), None)
                .await;
            assert_eq!(status, 200, "{event}");
            if event["status"] == "cancelled" {
                return event["cancellation"].clone();
            }
            assert_eq!(event["status"], "cancelling", "{event}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("event {id} stayed cancelling");
    }

    /// Seat id → state, and area id → places available, from the public seat map.
    pub async fn seat_states(
        &self,
        event: &str,
    ) -> (
        std::collections::BTreeMap<String, String>,
        std::collections::BTreeMap<String, u64>,
    ) {
        use stagepass_domain::catalog::seat_map::{SeatState, seat_states};
        let (status, map) = self
            .send("GET", &format!("/events/{event}/seat-map"), None, None)
            .await;
        assert_eq!(status, 200, "{map}");
        let mut seats = std::collections::BTreeMap::new();
        for section in map["sections"].as_array().expect("sections") {
            for row in section["rows"].as_array().expect("rows") {
                let runs = row["runs"].as_str().expect("runs");
                for (i, state) in seat_states(runs).expect("runs").into_iter().enumerate() {
                    let name = match state {
                        SeatState::Available => "available",
                        SeatState::Held => "held",
                        SeatState::Sold => "sold",
                    };
                    seats.insert(
                        format!(
                            "{}-{}-{}",
                            section["id"].as_str().unwrap(),
                            row["label"].as_str().unwrap(),
                            i + 1
                        ),
                        name.to_string(),
                    );
                }
            }
        }
        let areas = map["ga_areas"]
            .as_array()
            .expect("areas")
            .iter()
            .map(|a| {
                (
                    a["id"].as_str().unwrap().to_string(),
                    a["available"].as_u64().unwrap(),
                )
            })
            .collect();
        (seats, areas)
    }
}

/// A draft body: `rows` rows of `per_row` seats in section A, plus a GA area of `ga` places.
pub fn event_body(
    city: &str,
    category: &str,
    starts_at: DateTime<Utc>,
    rows: u32,
    per_row: u32,
    ga: u32,
) -> Value {
    let mut layout = json!({
        "sections": [{
            "id": "A", "name": "Stalls", "tier": "std",
            "rows": (1..=rows).map(|r| json!({"label": r.to_string(), "seats": per_row})).collect::<Vec<_>>()
        }],
        "ga_areas": []
    });
    if ga > 0 {
        layout["ga_areas"] =
            json!([{ "id": "floor", "name": "Standing", "tier": "std", "capacity": ga }]);
    }
    json!({
        "title": format!("Show in {city}"),
        "description": "A night out",
        "category": category,
        "venue": { "name": "The Hall", "city": city },
        "starts_at": starts_at,
        "currency": "GBP",
        "price_tiers": [{ "id": "std", "name": "Standard", "price": 4500 }],
        "layout": layout
    })
}

/// The plain-text body of a MIME email as `to_mime` writes it (base64 after its header).
pub fn mail_text(mail: &str) -> String {
    mail_part(mail, "text/plain")
}

/// The HTML body of a MIME email as `to_mime` writes it.
pub fn mail_html(mail: &str) -> String {
    mail_part(mail, "text/html")
}

fn mail_part(mail: &str, content_type: &str) -> String {
    use base64::Engine;
    let header = format!(
        "Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    let start = mail.find(&header).expect("the part") + header.len();
    let encoded: String = mail[start..]
        .lines()
        .take_while(|l| !l.is_empty() && !l.starts_with("--"))
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .expect("base64 part");
    String::from_utf8(bytes).expect("utf-8 part")
}

pub fn in_days(days: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::days(days)
}

pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// The catalog and hold use cases over any pair of adapters, for service-level tests.
pub struct Service {
    pub catalog: Catalog,
    pub detail: EventDetail,
    pub holds: HoldSeats,
    pub release: ReleaseHold,
    inventory: Arc<dyn stagepass_domain::SeatInventory>,
    clock: Arc<dyn Clock>,
}

pub fn service(
    catalog: Arc<dyn stagepass_domain::EventCatalog>,
    inventory: Arc<dyn stagepass_domain::SeatInventory>,
    limiter: Arc<dyn stagepass_domain::RateLimiter>,
    clock: Arc<dyn Clock>,
) -> Service {
    Service {
        catalog: Catalog {
            catalog: catalog.clone(),
            clock: clock.clone(),
        },
        detail: EventDetail {
            catalog: catalog.clone(),
        },
        holds: HoldSeats::new(
            catalog,
            inventory.clone(),
            limiter,
            clock.clone(),
            HoldSettings::default(),
        ),
        release: ReleaseHold {
            inventory: inventory.clone(),
            clock: clock.clone(),
        },
        inventory,
        clock,
    }
}

impl Service {
    pub async fn create_event(&self, who: &Actor, input: NewEvent) -> Result<Event, CatalogError> {
        self.catalog.create_event(who, input).await
    }

    pub async fn publish_event(&self, who: &Actor, id: &EventId) -> Result<Event, CatalogError> {
        self.catalog.publish_event(who, id).await
    }

    /// The event as `viewer` may see it, and its availability read from the units now.
    pub async fn event_detail(
        &self,
        viewer: Option<&Actor>,
        id: &EventId,
    ) -> Result<(Event, stagepass_domain::catalog::seat_map::Availability), CatalogError> {
        let event = self.detail.event_detail(viewer, id).await?;
        let now = self.clock.now();
        let records = self
            .inventory
            .live_units(&event.id, &event.layout.blocks(), now)
            .await
            .expect("units read");
        let map = stagepass_domain::catalog::seat_map::availability(&event, &records, now);
        Ok((event, map))
    }

    pub async fn hold(
        &self,
        holder: &UserId,
        event: &EventId,
        request: &HoldRequest,
        key: Option<&stagepass_domain::KeyUse>,
    ) -> Result<HoldOutcome, HoldError> {
        let buyer = stagepass_domain::Buyer {
            user: holder.clone(),
            email: format!("{holder}@example.com"),
        };
        self.holds.hold(&buyer, event, request, key).await
    }

    pub async fn release(&self, holder: &UserId, id: &HoldId) -> Result<Hold, HoldError> {
        self.release.release(holder, id).await
    }
}

pub mod fake_stripe;
pub mod journey;
pub mod schemas;

#[async_trait::async_trait]
impl journey::Stack for TestApp {
    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    fn allowed_origin(&self) -> String {
        LocalOptions::default().cors.origin().to_string()
    }

    async fn staff_token(&self, role: Role) -> String {
        self.account_token(role).await
    }

    fn access_token(&self, who: &Principal, ttl_secs: i64) -> String {
        tokens().issue(who, ttl_secs)
    }

    async fn mail_contains(&self, needle: &str) -> bool {
        self.emails().iter().any(|m| m.contains(needle))
    }

    async fn mails_to(&self, to: &str) -> Vec<String> {
        let header = format!("To: {to}\r\n");
        self.emails()
            .into_iter()
            .filter(|m| m.contains(&header))
            .collect()
    }

    /// The archive has every event from the start.
    async fn listen(&self) {}

    async fn events_about(&self, event: &str) -> Vec<serde_json::Value> {
        let (status, body) = self
            .send("GET", &format!("/dev/events?event_id={event}"), None, None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().cloned().unwrap_or_default()
    }

    /// The clock moves past the expiry; the relay loop's sweep then sees it.
    async fn pass(&self, d: std::time::Duration) {
        self.clock
            .advance(chrono::Duration::from_std(d).expect("a short while"));
    }

    async fn let_hold_expire(&self, hold: &str) {
        let id = stagepass_domain::HoldId::parse(hold).expect("a hold id");
        let inventory = self.ports.inventory.clone().expect("inventory");
        let hold = inventory.find_hold(&id).await.unwrap().expect("the hold");
        let now = self.clock.now();
        if hold.expires_at >= now {
            self.clock
                .advance(hold.expires_at - now + chrono::Duration::seconds(1));
        }
    }

    async fn replay(&self, from: DateTime<Utc>, to: DateTime<Utc>) {
        let q = |t: DateTime<Utc>| {
            form_urlencoded::byte_serialize(t.to_rfc3339().as_bytes()).collect::<String>()
        };
        let path = format!("/dev/events/replay?from={}&to={}", q(from), q(to));
        let (status, body) = self.send("POST", &path, None, None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["replayed"].as_u64().unwrap_or(0) > 0, "{body}");
    }

    async fn send_to_consumer(&self, consumer: &str, body: &str) {
        let function = stagepass_local::functions::named(consumer).expect("a consumer");
        let Ok(stagepass_api::Handler::Queue(consume)) = (function.wire)(&self.ports).await else {
            panic!("{consumer} takes SQS batches");
        };
        let batch = stagepass_local::adapters::one_message(
            uuid::Uuid::new_v4().to_string(),
            body.to_string(),
        );
        let answer = consume(batch).await;
        // Parked and acknowledged: not a failure that would come back.
        assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    }

    async fn dead_letters(&self, _consumer: &str) -> Vec<(String, String)> {
        let (status, body) = self.send("GET", "/dev/dead-letters", None, None).await;
        assert_eq!(status, 200, "{body}");
        body["dead_letters"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|d| {
                let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
                (text("reason"), text("body"))
            })
            .collect()
    }

    /// Locally the relay loop is also the sweeper (every event is due): it publishes the
    /// stranded event; the deployed sweeper's handler runs too, over the same store.
    async fn strand_in_outbox(&self, event: stagepass_domain::IntegrationEvent) {
        let bookings = self.ports.bookings.clone().expect("bookings");
        bookings.record_events(&[event]).await.expect("outbox");
        let sweeper = stagepass_local::functions::named("sweep-outbox").expect("sweep-outbox");
        let Ok(stagepass_api::Handler::Scheduled(sweep)) = (sweeper.wire)(&self.ports).await else {
            panic!("sweep-outbox runs on a schedule");
        };
        sweep(serde_json::json!({})).await.expect("sweep");
    }

    async fn checkout_dies_then_sweep(&self, hold: &str, email: &str) -> String {
        let p = &self.ports;
        let id = checkout_dying_before_the_saga(
            p.catalog.clone().expect("catalog"),
            p.inventory.clone().expect("inventory"),
            p.bookings.clone().expect("bookings"),
            p.rate_limiter.clone().expect("rate limiter"),
            hold,
            email,
        )
        .await;
        let sweeper = stagepass_local::functions::named("sweep-bookings").expect("sweeper");
        let Ok(stagepass_api::Handler::Scheduled(sweep)) = (sweeper.wire)(p).await else {
            panic!("sweep-bookings runs on a schedule");
        };
        let report = sweep(serde_json::json!({})).await.expect("sweep");
        assert_eq!(report["sagas_started"], 1, "{report}");
        id
    }
}

/// Checks out `hold` as a checkout ten minutes ago that stored its booking and then died before
/// starting the saga. Returns the booking id.
pub async fn checkout_dying_before_the_saga(
    catalog: Arc<dyn stagepass_domain::EventCatalog>,
    inventory: Arc<dyn stagepass_domain::SeatInventory>,
    bookings: Arc<dyn stagepass_domain::BookingStore>,
    limiter: Arc<dyn stagepass_domain::RateLimiter>,
    hold: &str,
    email: &str,
) -> String {
    struct Dies;
    #[async_trait::async_trait]
    impl stagepass_domain::Workflow for Dies {
        async fn start(
            &self,
            _: &stagepass_domain::BookingId,
        ) -> Result<(), stagepass_domain::InfraError> {
            Err(stagepass_domain::InfraError("died before starting".into()))
        }
    }
    let hold = stagepass_domain::HoldId::parse(hold).expect("hold id");
    let holder = inventory
        .find_hold(&hold)
        .await
        .expect("inventory")
        .expect("the hold")
        .holder;
    let then = chrono::Utc::now() - chrono::Duration::minutes(10);
    let checkout = stagepass_domain::bookings::Checkout {
        admissions: None,
        catalog,
        inventory,
        bookings,
        workflow: Arc::new(Dies),
        clock: Arc::new(ManualClock::new(then)),
        rate: stagepass_domain::BuyerRate::new(
            limiter,
            Arc::new(ManualClock::new(then)),
            "checkouts",
            10,
        ),
    };
    let buyer = stagepass_domain::bookings::Buyer {
        user: holder,
        email: email.to_string(),
    };
    let card = stagepass_domain::PaymentMethod::parse(
        stagepass_domain::bookings::payments::cards::SUCCESS,
    )
    .expect("card");
    assert!(checkout.checkout(&buyer, &hold, card).await.is_err());
    stagepass_domain::BookingId::for_hold(&hold).to_string()
}

/// The cloud-shaped stack (every function's binary) as the journey drives it.
pub mod cloud {
    use super::{Role, TEST_PASSWORD};
    use serde_json::{Value, json};
    pub use stagepass_cloud::{CloudOptions, CloudStack};

    pub struct CloudApp {
        pub stack: CloudStack,
        pub endpoint: String,
        pub http: reqwest::Client,
        /// The test's own subscriber: a queue a catch-all rule feeds, and what it received.
        pub tap: tokio::sync::Mutex<(Option<String>, Vec<Value>)>,
        /// What was read from the consumers' dead-letter queues: (consumer, reason, body).
        pub dead: tokio::sync::Mutex<Vec<(String, String, String)>>,
    }

    /// Every message on the queue now, with its attributes, each deleted once read.
    async fn drain(config: &aws_config::SdkConfig, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
        let sqs = aws_sdk_sqs::Client::new(config);
        let mut drained = Vec::new();
        loop {
            let got = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive");
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                return drained;
            }
            for m in messages {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
                drained.push(m);
            }
        }
    }

    /// A consumer's queue and dead-letter queue in the template.
    fn queues_of(consumer: &str) -> (&'static str, &'static str) {
        match consumer {
            "notify" => ("NotificationQueue", "NotificationDeadLetterQueue"),
            "count-sales" => ("SalesQueue", "SalesDeadLetterQueue"),
            other => panic!("no queue for {other}"),
        }
    }

    impl CloudApp {
        pub fn new(stack: CloudStack, endpoint: String) -> Self {
            Self {
                stack,
                endpoint,
                http: stagepass_cloud::http_client().build().unwrap(),
                tap: Default::default(),
                dead: Default::default(),
            }
        }
    }

    impl CloudApp {
        async fn login(&self, email: &str) -> String {
            let session: Value = self
                .http
                .post(format!("{}/auth/login", self.stack.base_url))
                .json(&json!({"email": email, "password": TEST_PASSWORD}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("session");
            session["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("login {email}: {session}"))
                .to_string()
        }
    }

    #[async_trait::async_trait]
    impl super::journey::Stack for CloudApp {
        fn base_url(&self) -> String {
            self.stack.base_url.clone()
        }

        fn allowed_origin(&self) -> String {
            let template = stagepass_cloud::template::Template::load(
                &stagepass_cloud::repo_root().join("template.yaml"),
            )
            .expect("template.yaml");
            template
                .parameter_default("AllowedOrigin")
                .expect("an AllowedOrigin parameter")
        }

        fn access_token(&self, who: &stagepass_api::Principal, ttl_secs: i64) -> String {
            stagepass_api::Signer::from_key_set(&self.stack.keys.0)
                .expect("the stack's access keys")
                .issue(who, ttl_secs)
        }

        /// The admin is made in the identity table as `stagepass-admin` does in a deployment;
        /// the account itself by that admin through create-account.
        async fn staff_token(&self, role: Role) -> String {
            let admin = "admin@cloud.example";
            self.stack
                .ensure_admin(admin, TEST_PASSWORD)
                .await
                .expect("admin");
            let admin = self.login(admin).await;
            let email =
                format!("{role:?}-{}@cloud.example", uuid::Uuid::new_v4().simple()).to_lowercase();
            let response = self
                .http
                .post(format!("{}/admin/accounts", self.stack.base_url))
                .bearer_auth(&admin)
                .json(&json!({"email": email, "password": TEST_PASSWORD, "roles": [role]}))
                .send()
                .await
                .expect("create account");
            assert_eq!(
                response.status().as_u16(),
                201,
                "{:?}",
                response.text().await
            );
            self.login(&email).await
        }

        /// Mail the endpoint's SES accepted (moto keeps every raw message).
        async fn mail_contains(&self, needle: &str) -> bool {
            let data = self
                .http
                .get(format!("{}/moto-api/data.json", self.endpoint))
                .send()
                .await
                .expect("moto data")
                .text()
                .await
                .unwrap_or_default();
            data.contains(needle)
        }

        /// The raw messages moto's SES accepted for `to`, in the order they were sent.
        async fn mails_to(&self, to: &str) -> Vec<String> {
            let data: Value = self
                .http
                .get(format!("{}/moto-api/data.json", self.endpoint))
                .send()
                .await
                .expect("moto data")
                .json()
                .await
                .expect("moto data is JSON");
            data["ses"]["RawMessage"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|m| {
                    m["destinations"]
                        .as_array()
                        .is_some_and(|d| d.iter().any(|d| d == to))
                })
                .filter_map(|m| m["raw_data"].as_str().map(str::to_string))
                .collect()
        }

        async fn send_to_consumer(&self, consumer: &str, body: &str) {
            let url = self
                .stack
                .names
                .get_ref(queues_of(consumer).0)
                .expect("queue");
            aws_sdk_sqs::Client::new(&self.stack.config)
                .send_message()
                .queue_url(url)
                .message_body(body)
                .send()
                .await
                .expect("send");
        }

        /// Read (and deleted) from the queue, with the `reason` attribute the consumer set.
        async fn dead_letters(&self, consumer: &str) -> Vec<(String, String)> {
            let url = self
                .stack
                .names
                .get_ref(queues_of(consumer).1)
                .expect("queue");
            let mut dead = self.dead.lock().await;
            for m in drain(&self.stack.config, &url).await {
                let reason = m
                    .message_attributes()
                    .and_then(|a| a.get("reason"))
                    .and_then(|r| r.string_value())
                    .unwrap_or("(none)")
                    .to_string();
                let body = m.body().unwrap_or_default().to_string();
                dead.push((consumer.to_string(), reason, body));
            }
            dead.iter()
                .filter(|(c, _, _)| c == consumer)
                .map(|(_, reason, body)| (reason.clone(), body.clone()))
                .collect()
        }

        /// A subscriber's rule (`source: stagepass`) to a queue of the test's own.
        async fn listen(&self) {
            let mut tap = self.tap.lock().await;
            if tap.0.is_some() {
                return;
            }
            let sqs = aws_sdk_sqs::Client::new(&self.stack.config);
            let events = aws_sdk_eventbridge::Client::new(&self.stack.config);
            let name = format!("tap-{}", uuid::Uuid::new_v4().simple());
            let url = sqs
                .create_queue()
                .queue_name(&name)
                .send()
                .await
                .expect("tap queue")
                .queue_url
                .expect("url");
            let bus = self.stack.names.get_ref("EventBus").expect("bus");
            events
                .put_rule()
                .name(&name)
                .event_bus_name(&bus)
                .event_pattern(r#"{"source": ["stagepass"]}"#)
                .send()
                .await
                .expect("tap rule");
            let arn = format!(
                "arn:aws:sqs:{}:{}:{name}",
                stagepass_cloud::template::REGION,
                stagepass_cloud::template::ACCOUNT
            );
            events
                .put_targets()
                .rule(&name)
                .event_bus_name(&bus)
                .targets(
                    aws_sdk_eventbridge::types::Target::builder()
                        .id("tap")
                        .arn(arn)
                        .build()
                        .expect("target"),
                )
                .send()
                .await
                .expect("tap target");
            tap.0 = Some(url);
        }

        async fn events_about(&self, event: &str) -> Vec<Value> {
            let mut tap = self.tap.lock().await;
            let url = tap.0.clone().expect("listen first");
            for m in drain(&self.stack.config, &url).await {
                let body: Value =
                    serde_json::from_str(m.body().unwrap_or_default()).expect("an envelope");
                tap.1.push(body);
            }
            tap.1
                .iter()
                .filter(|e| e["detail"]["event_id"] == event && e.get("replay-name").is_none())
                .cloned()
                .collect()
        }

        /// The hold's expiry and its claims' move into the past, as if the time had passed;
        /// the emulated TTL then deletes the claims, and the stream tells `expire-holds`.
        async fn pass(&self, d: std::time::Duration) {
            tokio::time::sleep(d).await;
        }

        async fn let_hold_expire(&self, hold: &str) {
            use aws_sdk_dynamodb::types::AttributeValue;
            let client = aws_sdk_dynamodb::Client::new(&self.stack.config);
            let table = self.stack.names.get_ref("InventoryTable").expect("table");
            let key = |pk: String, sk: &str| {
                std::collections::HashMap::from([
                    ("pk".to_string(), AttributeValue::S(pk)),
                    ("sk".to_string(), AttributeValue::S(sk.to_string())),
                ])
            };
            let item = client
                .get_item()
                .table_name(&table)
                .set_key(Some(key(format!("HOLD#{hold}"), "HOLD")))
                .send()
                .await
                .expect("hold")
                .item
                .expect("the hold");
            let mut data: Value =
                serde_json::from_str(item["data"].as_s().expect("data")).expect("hold JSON");
            let past = chrono::Utc::now() - chrono::Duration::seconds(2);
            data["expires_at"] = json!(past);
            let ms = AttributeValue::N(past.timestamp_millis().to_string());
            client
                .update_item()
                .table_name(&table)
                .set_key(Some(key(format!("HOLD#{hold}"), "HOLD")))
                .update_expression("SET expires_at = :ms, #data = :data")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":ms", ms.clone())
                .expression_attribute_values(":data", AttributeValue::S(data.to_string()))
                .send()
                .await
                .expect("hold expiry moved");
            let event = data["event_id"].as_str().expect("event");
            for unit in data["units"].as_array().expect("units") {
                let unit = unit.as_str().expect("unit");
                let pk = stagepass_dynamo::inventory::unit_pk(
                    &stagepass_domain::EventId::parse(event).expect("event id"),
                    &stagepass_domain::UnitId::from_stored(unit),
                );
                client
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(key(pk, unit)))
                    .update_expression("SET expires_at = :ms, #ttl = :ttl")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":ms", ms.clone())
                    .expression_attribute_values(
                        ":ttl",
                        AttributeValue::N(past.timestamp().to_string()),
                    )
                    .send()
                    .await
                    .expect("claim expiry moved");
            }
        }

        /// EventBridge's StartReplay from the stack's archive to its bus.
        async fn replay(
            &self,
            from: chrono::DateTime<chrono::Utc>,
            to: chrono::DateTime<chrono::Utc>,
        ) {
            let events = aws_sdk_eventbridge::Client::new(&self.stack.config);
            let archive = self
                .stack
                .names
                .get_att("EventArchive", "Arn")
                .expect("archive");
            let bus = self.stack.names.get_att("EventBus", "Arn").expect("bus");
            let time = |t: chrono::DateTime<chrono::Utc>| {
                aws_sdk_eventbridge::primitives::DateTime::from_secs(t.timestamp())
            };
            events
                .start_replay()
                .replay_name(format!("replay-{}", uuid::Uuid::new_v4().simple()))
                .event_source_arn(archive)
                .event_start_time(time(from))
                .event_end_time(time(to))
                .destination(
                    aws_sdk_eventbridge::types::ReplayDestination::builder()
                        .arn(bus)
                        .build()
                        .expect("destination"),
                )
                .send()
                .await
                .expect("start replay");
        }

        /// With the stream relay stopped, the event is written to the outbox and the
        /// sweeper's binary is invoked as its schedule would: it must publish exactly it.
        async fn strand_in_outbox(&self, event: stagepass_domain::IntegrationEvent) {
            use std::sync::atomic::Ordering;
            self.stack.streams_paused.store(true, Ordering::SeqCst);
            let table = self.stack.names.get_ref("BookingsTable").expect("table");
            let bookings = stagepass_dynamo::DynamoBookings::new(
                aws_sdk_dynamodb::Client::new(&self.stack.config),
                table,
            );
            use stagepass_domain::BookingStore;
            bookings.record_events(&[event]).await.expect("outbox");
            let sweeper = &self.stack.functions["SweepOutboxFunction"];
            let answer = sweeper
                .invoke(&stagepass_cloud::triggers::scheduled_event("sweep"))
                .await
                .unwrap_or_else(|e| panic!("sweep-outbox: {}", e.message));
            self.stack.streams_paused.store(false, Ordering::SeqCst);
            assert_eq!(answer, json!({"published": 1}));
        }

        async fn checkout_dies_then_sweep(&self, hold: &str, email: &str) -> String {
            let (names, client) = (
                &self.stack.names,
                aws_sdk_dynamodb::Client::new(&self.stack.config),
            );
            let table = |id: &str| names.get_ref(id).expect("table");
            let id = super::checkout_dying_before_the_saga(
                std::sync::Arc::new(
                    stagepass_dynamo::DynamoCatalog::new(client.clone(), table("EventsTable"))
                        .with_outbox(Some(table("BookingsTable"))),
                ),
                std::sync::Arc::new(
                    stagepass_dynamo::DynamoInventory::new(client.clone(), table("InventoryTable"))
                        .with_outbox(Some(table("BookingsTable"))),
                ),
                std::sync::Arc::new(stagepass_dynamo::DynamoBookings::new(
                    client.clone(),
                    table("BookingsTable"),
                )),
                std::sync::Arc::new(stagepass_dynamo::DynamoIdentity::new(
                    client,
                    table("IdentityTable"),
                )),
                hold,
                email,
            )
            .await;
            let sweeper = &self.stack.functions["SweepBookingsFunction"];
            let report = sweeper
                .invoke(&stagepass_cloud::triggers::scheduled_event("sweep"))
                .await
                .unwrap_or_else(|e| panic!("sweep-bookings: {}", e.message));
            assert_eq!(report["sagas_started"], 1, "{report}");
            id
        }
    }
}

pub mod aws {
    //! DynamoDB on an AWS-compatible endpoint (`AWS_ENDPOINT_URL`): moto here, LocalStack
    //! where Docker exists. Tables are made from `template.yaml`, one pair per test.

    use super::*;

    pub async fn client() -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&sdk_config().await)
    }

    /// SDK configuration for the test endpoint, with dummy credentials.
    pub async fn sdk_config() -> aws_config::SdkConfig {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").expect(
            "AWS_ENDPOINT_URL is not set: run `make test`, which starts moto, or point it at LocalStack",
        );
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(
                std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
            ))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await
    }

    fn template() -> serde_yaml::Value {
        let text =
            std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
        serde_yaml::from_str(&text).expect("template.yaml parses")
    }

    /// Creates the template's table `logical_id` under `name`, with its GSIs, stream and TTL
    /// (the cloud-shaped stack's provisioning, one table at a time).
    pub async fn create_table(client: &aws_sdk_dynamodb::Client, logical_id: &str, name: &str) {
        let template = template();
        let props = &template["Resources"][logical_id]["Properties"];
        stagepass_cloud::provision::create_table(client, props, name)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A fresh events table and inventory table for one test.
    pub async fn tables() -> (aws_sdk_dynamodb::Client, String, String) {
        let client = client().await;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let events = format!("events-{suffix}");
        let inventory = format!("inventory-{suffix}");
        create_table(&client, "EventsTable", &events).await;
        create_table(&client, "InventoryTable", &inventory).await;
        (client, events, inventory)
    }
}

/// A fan's access token with an email (checkout sends the tickets there).
pub fn buyer_token(sub: &str) -> String {
    let who = Principal {
        user: UserId::new(sub),
        roles: vec![Role::Fan],
        email: stagepass_domain::Email::parse(&format!("{sub}@fans.example")),
        session: None,
        expires_at: None,
        email_verified: true,
    };
    tokens().issue(&who, 3600)
}

/// The booking flow over HTTP, and what it leaves behind (tickets, emails, money).
pub mod booking {
    use super::TestApp;
    use serde_json::{Value, json};

    impl TestApp {
        /// Holds `seats` and returns the hold id.
        pub async fn hold(&self, token: &str, event: &str, seats: &[&str]) -> String {
            let (status, hold) = self
                .send(
                    "POST",
                    &format!("/events/{event}/holds"),
                    Some(token),
                    Some(&json!({ "seats": seats })),
                )
                .await;
            assert_eq!(status, 201, "{hold}");
            hold["id"].as_str().unwrap().to_string()
        }

        /// `POST /bookings`, with an Idempotency-Key if given.
        pub async fn checkout(
            &self,
            token: &str,
            hold: &str,
            card: &str,
            key: Option<&str>,
        ) -> (u16, Value) {
            let body = json!({ "hold_id": hold, "payment_method": card });
            let mut req = self
                .http
                .post(self.url("/bookings"))
                .bearer_auth(token)
                .json(&body);
            if let Some(k) = key {
                req = req.header("idempotency-key", k);
            }
            let res = req.send().await.expect("request sent");
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        }

        /// Polls `GET /bookings/{id}` until the saga has settled it (10 s at most).
        pub async fn settled_booking(&self, token: &str, id: &str) -> Value {
            for _ in 0..500 {
                let (status, b) = self
                    .send("GET", &format!("/bookings/{id}"), Some(token), None)
                    .await;
                assert_eq!(status, 200, "{b}");
                if b["status"] != "pending" {
                    // Let the relay deliver what the last step recorded.
                    self.drain_outbox().await;
                    return b;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("booking {id} stayed pending");
        }

        /// Waits until the outbox is empty (the relay published everything).
        pub async fn drain_outbox(&self) {
            let store = self.ports.bookings.clone().expect("bookings");
            for _ in 0..500 {
                if store.undelivered(1).await.unwrap().is_empty() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            panic!("the outbox was not drained");
        }

        /// The `.eml` files written so far, as text.
        pub fn emails(&self) -> Vec<String> {
            let Ok(dir) = std::fs::read_dir(self.data_dir.join("mail")) else {
                return vec![];
            };
            let mut paths: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
            paths.sort();
            paths
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect()
        }

        /// Emails whose subject starts with `prefix` and that went to `to`.
        pub fn emails_to(&self, to: &str, prefix: &str) -> usize {
            self.emails()
                .iter()
                .filter(|m| m.contains(&format!("To: {to}\r\n")))
                .filter(|m| m.contains(&format!("Subject: {prefix}")))
                .count()
        }

        /// The kinds of events published on the bus about `subject` (a booking or event id).
        pub fn published_about(&self, subject: &str) -> Vec<String> {
            self.bus
                .published()
                .iter()
                .filter(|e| e.detail.to_string().contains(subject))
                .map(|e| e.kind.clone())
                .collect()
        }
    }

    /// The payload of the QR code drawn in a ticket PDF, decoded from its modules.
    pub fn qr_payload(pdf: &[u8]) -> String {
        let (width, modules) = stagepass_render::qr_modules(pdf).expect("the ticket has a QR code");
        let scale = 4;
        let quiet = 4;
        let size = (width + 2 * quiet) * scale;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            if mx < quiet || my < quiet || mx >= width + quiet || my >= width + quiet {
                return 255;
            }
            if modules[(my - quiet) * width + (mx - quiet)] {
                0
            } else {
                255
            }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code");
        grids[0].decode().expect("the QR code decodes").1
    }
}

/// Running the saga's ASL against any adapters, without the local server: for contract
/// tests of the adapters and for the benchmark's DynamoDB counts.
pub mod saga {
    use async_trait::async_trait;
    use serde_json::Value;
    use stagepass_api::Ports;
    use stagepass_domain::{BookingId, CancellationQueue, EventId, InfraError, Workflow};
    use stagepass_local::asl::{TaskFailure, TaskFuture, TaskRunner};
    use stagepass_local::saga::{invoke, resource_of, wire_steps};
    use stagepass_saga::SagaStep;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    /// Remembers which sagas checkout started; the caller runs them itself.
    #[derive(Default)]
    pub struct StartedSagas(pub Mutex<Vec<BookingId>>);

    #[async_trait]
    impl Workflow for StartedSagas {
        async fn start(&self, booking: &BookingId) -> Result<(), InfraError> {
            self.0.lock().expect("lock").push(booking.clone());
            Ok(())
        }
    }

    /// Remembers the cancellation requests made; the caller hands them to the worker.
    #[derive(Default)]
    pub struct QueuedCancellations(pub Mutex<std::collections::VecDeque<EventId>>);

    impl QueuedCancellations {
        pub fn pop(&self) -> Option<EventId> {
            self.0.lock().expect("lock").pop_front()
        }

        pub fn len(&self) -> usize {
            self.0.lock().expect("lock").len()
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    }

    #[async_trait]
    impl CancellationQueue for QueuedCancellations {
        async fn continue_cancellation(&self, event: &EventId) -> Result<(), InfraError> {
            self.0.lock().expect("lock").push_back(event.clone());
            Ok(())
        }
    }

    /// Every step function of `functions/`, wired with the given adapters, by ASL resource.
    pub struct Steps(HashMap<String, Arc<dyn SagaStep>>);

    impl Steps {
        pub async fn wire(ports: &Ports) -> Self {
            let steps = wire_steps(ports).await.expect("the steps wire");
            Self(
                steps
                    .into_iter()
                    .map(|(name, step)| (resource_of(name), step))
                    .collect(),
            )
        }
    }

    impl TaskRunner for Steps {
        fn run<'a>(&'a self, resource: &'a str, input: Value) -> TaskFuture<'a> {
            Box::pin(async move {
                let step = self.0.get(resource).expect("known step");
                invoke(step.as_ref(), input)
                    .await
                    .map_err(TaskFailure::Error)
            })
        }
    }
}
