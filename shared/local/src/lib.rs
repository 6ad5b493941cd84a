//! The local server behind `make run`: the routes API Gateway serves, on one port, calling the
//! same handlers with the same API Gateway proxy events, over the embedded durable store.

pub mod adapters;
pub mod asl;
pub mod demo;
pub mod dev;
pub mod functions;
pub mod keys;
pub mod openapi;
pub mod saga;
pub mod web;

use adapters::{FolderFiles, LocalBus, LocalCancellations, LocalDeadLetters, MailFolder};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use lambda_http::Body;
use saga::LocalSaga;
use stagepass_api::cors::Cors;
use stagepass_api::error::ApiError;
use stagepass_api::wiring::{Handler, HttpFn, ScheduledFn};
use stagepass_api::{Access, Keyring, Keys, Ports, Principal, Route, Verifier};
use stagepass_domain::bookings::payments::SimulatedPayments;
use stagepass_domain::integration::OutboxRelay;
use stagepass_domain::notifications::Notifier;
use stagepass_domain::{Clock, ExpireHolds, HoldSettings, IdentitySettings};
use stagepass_embedded::EmbeddedStore;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// API Gateway refuses payloads over 10 MB itself; locally we stop reading at 1 MiB.
pub const GATEWAY_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Bodies up to this size are read to the end before a 413; larger ones are cut off.
const DRAIN_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// How the local system runs its saga.
#[derive(Clone)]
pub struct LocalOptions {
    /// Start each execution as soon as checkout asks (off in tests that run them by hand).
    pub auto_run_saga: bool,
    /// Multiplies ASL Wait and Retry intervals: 1.0 is real time, 0.0 never sleeps.
    pub delay_scale: f64,
    /// The server's own address: emails link to bookings there.
    pub public_url: String,
    /// The origin browsers may call the API from: by default the server's own, where `make
    /// run` serves the web app.
    pub cors: Cors,
    /// The built web app (`web/dist`), served at `/` beside the API; none in tests.
    pub web_dir: Option<std::path::PathBuf>,
    /// How old a seat map may be (tests that read the map right after a hold set it to 0).
    pub map_settings: stagepass_domain::catalog::seat_map::MapSettings,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            auto_run_saga: true,
            delay_scale: 1.0,
            public_url: stagepass_api::wiring::LOCAL_PUBLIC_URL.into(),
            cors: Cors::parse(stagepass_api::wiring::LOCAL_PUBLIC_URL).expect("an origin"),
            web_dir: None,
            map_settings: Default::default(),
        }
    }
}

/// Everything `make run` runs in one process, with handles tests can look into.
pub struct LocalSystem {
    /// The routes and their wired functions: what the server serves.
    pub api: Arc<LocalApi>,
    /// The embedded adapters every function was wired with.
    pub ports: Ports,
    pub store: EmbeddedStore,
    pub saga: Arc<LocalSaga>,
    pub bus: Arc<LocalBus>,
    pub payments: Arc<SimulatedPayments>,
    pub notifier: Arc<Notifier>,
    /// `sweep-bookings`, wired like the rest: [`LocalSystem::spawn_background`] runs it.
    pub sweeper: ScheduledFn,

    pub data_dir: PathBuf,
}

pub const LOCAL_MAIL_FROM: &str = "Stagepass <tickets@stagepass.local>";
/// Every integration event published, as EventBridge envelopes, one per line (the local
/// archive; `GET /dev/events` serves it).
pub const EVENTS_FILE: &str = "events.jsonl";
/// Messages consumers parked as unusable, one per line (`GET /dev/dead-letters` serves it).
pub const DEAD_LETTERS_FILE: &str = "dead-letters.jsonl";

/// The system over the embedded store in `data_dir`: tickets in `tickets/`, mail in `mail/`.
/// Every function in `functions/` is wired from the same embedded adapters: the saga's steps
/// first, then the saga, then the HTTP functions (checkout starts the saga).
pub async fn build_system(
    data_dir: &Path,
    clock: Arc<dyn Clock>,
    hold_settings: HoldSettings,
    identity_settings: IdentitySettings,
    keys: Keys,
    options: LocalOptions,
) -> Result<LocalSystem, String> {
    let store = EmbeddedStore::open(&data_dir.join("store"))?;
    let shared = Arc::new(store.clone());
    // The simulated provider's ledger is in the store: it outlives a restart, as a real
    // provider's would.
    let payments = Arc::new(SimulatedPayments::new(shared.clone()));
    // Keys start with `tickets/`, so the PDFs land in `<data>/tickets/<booking>/`.
    let files = Arc::new(FolderFiles::new(data_dir));
    let bus = Arc::new(LocalBus::archived(data_dir.join(EVENTS_FILE)));
    let mailer = Arc::new(MailFolder::new(&data_dir.join("mail")));
    let mut ports = Ports::new(clock.clone());
    ports.catalog = Some(shared.clone());
    ports.inventory = Some(shared.clone());
    ports.identity = Some(shared.clone());
    ports.rate_limiter = Some(shared.clone());
    ports.bookings = Some(shared.clone());
    ports.idempotency = Some(shared.clone());
    ports.payments = Some(payments.clone());
    ports.files = Some(files.clone());
    ports.mailer = Some((mailer.clone(), LOCAL_MAIL_FROM.into()));
    ports.bus = Some(bus.clone());
    let dead_letters = Arc::new(LocalDeadLetters::new(data_dir.join(DEAD_LETTERS_FILE)));
    ports.dead_letters = Some(dead_letters.clone());
    ports.sales = Some(shared.clone());
    ports.map_snapshots = Some(shared.clone());
    ports.map_settings = options.map_settings.clone();
    ports.waiting_rooms = Some(shared.clone());
    let verifier = keys.access_verifier.clone();
    let link_signer = keys.access_signer.clone();
    ports.keys = Some(keys);
    ports.hold_settings = hold_settings;
    ports.identity_settings = identity_settings;
    ports.public_url = options.public_url.clone();

    let steps = saga::wire_steps(&ports).await?;
    let saga = LocalSaga::new(
        store.clone(),
        steps,
        options.auto_run_saga,
        options.delay_scale,
    )?;
    ports.workflow = Some(saga.clone());
    let cancellations = Arc::new(LocalCancellations::default());
    ports.cancellations = Some(cancellations.clone());

    let mut api = LocalApi::new(verifier, options.cors.clone());
    api.web_dir = options.web_dir.clone();
    api.dev = Some(dev::Dev {
        bus: bus.clone(),
        dead_letters: dead_letters.clone(),
    });
    for function in functions::ALL {
        if let (Some(route), Handler::Http(handler)) =
            (function.route, wire(function, &ports).await?)
        {
            api.add(route, handler)?;
        }
    }
    // Locally the bus calls the notifier itself (deployed: EventBridge → SQS → `notify`).
    let notifier = Arc::new(Notifier {
        bookings: shared.clone(),
        files,
        mailer,
        dedupe: shared,
        clock,
        links: link_signer,
        from: LOCAL_MAIL_FROM.into(),
        public_url: options.public_url,
    });
    bus.subscribe(&notifier);
    let worker = functions::named("cancel-event-bookings").ok_or("no cancel-event-bookings")?;
    let mut worker_ports = ports.clone();
    worker_ports.cancellations = Some(cancellations.weak());
    let Handler::Queue(worker) = wire(worker, &worker_ports).await? else {
        return Err("cancel-event-bookings does not take SQS batches".into());
    };
    cancellations.subscribe(worker);
    // The example subscriber, as its rule → queue → function would deliver to it deployed.
    let counter = functions::named("count-sales").ok_or("no count-sales function")?;
    let Handler::Queue(counter) = wire(counter, &ports).await? else {
        return Err("count-sales does not take SQS batches".into());
    };
    bus.subscribe_function(stagepass_domain::sales::count::KINDS, counter);
    let sweeper = functions::named("sweep-bookings").ok_or("no sweep-bookings function")?;
    let Handler::Scheduled(sweeper) = wire(sweeper, &ports).await? else {
        return Err("sweep-bookings is not a scheduled function".into());
    };
    Ok(LocalSystem {
        api: Arc::new(api),
        ports,
        store,
        saga,
        bus,
        payments,
        notifier,
        sweeper,
        data_dir: data_dir.to_path_buf(),
    })
}

async fn wire(function: &stagepass_api::Function, ports: &Ports) -> Result<Handler, String> {
    (function.wire)(ports)
        .await
        .map_err(|e| format!("{}: {e}", function.name))
}

/// API Gateway, locally: routes matched like API Gateway does (`{param}` segments), the
/// authorizer run before protected routes, each route's function called with its proxy event,
/// CORS preflights answered and the CORS headers on every answer (the template's `Cors`,
/// `GatewayResponses` and the functions' own headers together).
pub struct LocalApi {
    router: matchit::Router<Vec<(Route, HttpFn)>>,
    /// The authorizer's keys (the authorizer function checks tokens with them).
    verifier: Arc<Keyring<Verifier>>,
    cors: Cors,
    /// The web app's files, for GET paths the API does not have.
    pub web_dir: Option<std::path::PathBuf>,
    /// What the local-only `/dev/` routes read ([`dev`]).
    pub dev: Option<dev::Dev>,
}

/// What API Gateway would do with a request: the route and its function with the path
/// parameters, or whether the path exists at all (for 404 versus 405).
pub enum Resolved<'a> {
    Found(&'a Route, &'a HttpFn, Vec<(String, String)>),
    /// The path exists with these methods only.
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

impl LocalApi {
    pub fn new(verifier: Arc<Keyring<Verifier>>, cors: Cors) -> Self {
        Self {
            router: matchit::Router::new(),
            verifier,
            cors,
            web_dir: None,
            dev: None,
        }
    }

    pub fn add(&mut self, route: Route, handler: HttpFn) -> Result<(), String> {
        if let Ok(found) = self.router.at_mut(route.path) {
            // matchit knows paths, not methods: a path has the handlers of every method.
            if found.value.iter().any(|(r, _)| r.method == route.method) {
                return Err(format!("two functions for {} {}", route.method, route.path));
            }
            found.value.push((route, handler));
            return Ok(());
        }
        self.router
            .insert(route.path, vec![(route, handler)])
            .map_err(|e| format!("route {}: {e}", route.path))
    }

    /// Every route served, as (method, path, access).
    pub fn routes(&self) -> Vec<Route> {
        let mut routes = Vec::new();
        for function in functions::ALL {
            if let Some(route) = function.route
                && matches!(self.resolve(route.method, route.path), Resolved::Found(r, _, _) if (r.method, r.path, r.access) == (route.method, route.path, route.access))
            {
                routes.push(route);
            }
        }
        routes
    }

    pub fn resolve(&self, method: &str, path: &str) -> Resolved<'_> {
        // API Gateway ignores one trailing slash.
        let path = match path.strip_suffix('/') {
            Some(p) if !p.is_empty() => p,
            _ => path,
        };
        let Ok(found) = self.router.at(path) else {
            return Resolved::NotFound;
        };
        let params: Vec<(String, String)> = found
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        match found.value.iter().find(|(r, _)| r.method == method) {
            Some((route, handler)) => Resolved::Found(route, handler, params),
            None => Resolved::MethodNotAllowed(found.value.iter().map(|(r, _)| r.method).collect()),
        }
    }
}

impl LocalSystem {
    /// Publishes what the outbox holds, once.
    pub async fn relay_once(&self) -> Result<usize, String> {
        let relay = local_relay(&self.store, &self.ports.clock, self.bus.clone());
        relay.publish_all().await.map_err(|e| e.0)
    }

    /// What `make run` runs beside the server, each in the background so the server listens
    /// at once: the outbox relay, the sagas a stop or crash cut short (all at once), and the
    /// booking sweeper every `sweep_every`. Dropping the handles does not stop them; aborting
    /// does.
    pub fn spawn_background(
        &self,
        sweep_every: std::time::Duration,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let saga = self.saga.clone();
        let resume = tokio::spawn(async move {
            match saga.resume().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sagas = n, "resumed the sagas the last stop cut short"),
                Err(e) => tracing::error!(error = %e, "resuming sagas failed"),
            }
        });
        let sweeper = self.sweeper.clone();
        let bus = Arc::downgrade(&self.bus);
        let sweep = tokio::spawn(async move {
            // Like the relay, it stops once the system is gone.
            while bus.upgrade().is_some() {
                tokio::time::sleep(sweep_every).await;
                if let Err(e) = sweeper(serde_json::json!({"detail-type": "Scheduled Event"})).await
                {
                    tracing::warn!(error = %e, "booking sweep will retry");
                }
            }
        });
        vec![self.spawn_relay(), resume, sweep]
    }

    /// Every 50 ms until the system is dropped: records the expiry of holds whose time ran out
    /// (deployed, the inventory table's TTL stream does), then relays the outbox.
    pub fn spawn_relay(&self) -> tokio::task::JoinHandle<()> {
        let (store, clock) = (self.store.clone(), self.ports.clock.clone());
        let bus = Arc::downgrade(&self.bus);
        let expiry = ExpireHolds {
            inventory: Arc::new(store.clone()),
            clock: clock.clone(),
        };
        tokio::spawn(async move {
            // The system owns the bus: once it is gone, so is the relay.
            while let Some(bus) = bus.upgrade() {
                if let Err(e) = expiry.sweep(&store).await {
                    tracing::warn!(error = %e, "hold expiry sweep will retry");
                }
                let relay = local_relay(&store, &clock, bus);
                if let Err(e) = relay.publish_all().await {
                    tracing::warn!(error = %e, "outbox relay will retry");
                }
                drop(relay);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    }
}

/// The local twin of the stream relay and the sweeper: everything in the outbox is due.
fn local_relay(store: &EmbeddedStore, clock: &Arc<dyn Clock>, bus: Arc<LocalBus>) -> OutboxRelay {
    OutboxRelay {
        store: Arc::new(store.clone()),
        bus,
        clock: clock.clone(),
    }
}

/// Serves until `shutdown` resolves, then lets requests in flight finish (up to 10 s) and
/// closes idle keep-alive connections, so the store is released when this returns.
pub async fn serve(
    listener: TcpListener,
    app: Arc<LocalApi>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(handle(app, peer, req).await) }
        });
        let connection =
            graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(std::time::Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still busy after 10 s");
    }
}

async fn handle(
    app: Arc<LocalApi>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let request_headers = req.headers().clone();
    let mut response = match app.resolve(&method, &path) {
        // Paths the API does not have: the local-only dev routes, then the web app's files.
        Resolved::NotFound => match (&app.dev, &app.web_dir, method.as_str()) {
            (Some(dev), _, _) if path.starts_with(dev::PREFIX) => {
                let query = req.uri().query().unwrap_or("");
                Some(dev::handle(dev, &method, &path, query).await)
            }
            (_, Some(dir), "GET" | "HEAD") => web::file(dir, &path).await,
            _ => None,
        }
        .unwrap_or_else(|| {
            ApiError::RouteNotFound {
                method: method.clone(),
                path: path.clone(),
            }
            .into_response()
        }),
        // A preflight for a path the API has: no authorizer, as API Gateway answers it.
        Resolved::MethodNotAllowed(methods) if method == "OPTIONS" => app.cors.preflight(&methods),
        Resolved::MethodNotAllowed(mut methods) => {
            let mut refused = ApiError::MethodNotAllowed {
                method: method.clone(),
                path: path.clone(),
            }
            .into_response();
            // RFC 9110: a 405 says which methods the resource does take.
            methods.push("OPTIONS");
            if let Ok(allow) = http::HeaderValue::from_str(&methods.join(", ")) {
                refused.headers_mut().insert(http::header::ALLOW, allow);
            }
            refused
        }
        Resolved::Found(route, handler, params) => match authorize(&app, route, &req).await {
            Err(refused) => refused.into_response(),
            Ok(caller) => {
                let (parts, body) = req.into_parts();
                // Read a little past the limit before refusing, so a client still sending a
                // large body gets the 413 instead of a reset connection.
                let read = Limited::new(body, DRAIN_LIMIT_BYTES)
                    .collect()
                    .await
                    .map(|c| c.to_bytes());
                match read {
                    Ok(bytes) if bytes.len() <= GATEWAY_MAX_BODY_BYTES => {
                        let request =
                            lambda_request(parts, route.path, &params, peer, &bytes, caller);
                        handler(request).await
                    }
                    _ => ApiError::PayloadTooLarge {
                        limit: GATEWAY_MAX_BODY_BYTES,
                    }
                    .into_response(),
                }
            }
        },
    };
    app.cors.apply(response.headers_mut());
    // As API Gateway's MinimumCompressionSize does deployed.
    let response = stagepass_api::response::compress(&request_headers, response);
    tracing::info!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    to_hyper(response)
}

/// What API Gateway does before a protected route: run the same authorizer code the
/// authorizer function runs, and refuse with 401 if it says no.
async fn authorize(
    app: &LocalApi,
    route: &Route,
    req: &hyper::Request<Incoming>,
) -> Result<Option<Principal>, ApiError> {
    if route.access == Access::Public {
        return Ok(None);
    }
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    app.verifier.get().await.authorize(header).map(Some)
}

/// The request a function behind API Gateway (REST, payload format 1.0) receives, built
/// directly: path and query parameters, the caller from the authorizer, the client address.
fn lambda_request(
    parts: http::request::Parts,
    resource: &str,
    params: &[(String, String)],
    peer: SocketAddr,
    body: &[u8],
    caller: Option<Principal>,
) -> lambda_http::Request {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
    use lambda_http::request::RequestContext;
    use std::collections::HashMap;
    let mut context = ApiGatewayProxyRequestContext::default();
    context.account_id = Some("000000000000".into());
    context.apiid = Some("local".into());
    context.stage = Some("local".into());
    context.resource_path = Some(resource.into());
    context.path = Some(parts.uri.path().into());
    context.http_method = parts.method.clone();
    context.protocol = Some("HTTP/1.1".into());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.request_time_epoch = chrono::Utc::now().timestamp_millis();
    context.identity.source_ip = Some(peer.ip().to_string());
    if let Some(caller) = caller {
        context.authorizer.fields = caller.context_fields().into_iter().collect();
    }
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let path_params: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
            (k.clone(), v.into_owned())
        })
        .collect();
    let body = match std::str::from_utf8(body) {
        _ if body.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text.to_string()),
        Err(_) => Body::Binary(body.to_vec()),
    };
    let raw_path = parts.uri.path().to_string();
    lambda_http::Request::from_parts(parts, body)
        .with_raw_http_path(raw_path)
        .with_query_string_parameters(query)
        .with_path_parameters(path_params)
        .with_request_context(RequestContext::ApiGatewayV1(context))
}

fn to_hyper(response: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paths_match_like_api_gateway() {
        let dir = tempfile::tempdir().unwrap();
        let system = build_system(
            dir.path(),
            Arc::new(stagepass_domain::SystemClock),
            HoldSettings::default(),
            IdentitySettings::default(),
            Keys::fixed(
                &stagepass_api::KeySet::generate(),
                &stagepass_api::KeySet::generate(),
            )
            .unwrap(),
            LocalOptions::default(),
        )
        .await
        .unwrap();
        let api = &system.api;
        let found = |method, path| match api.resolve(method, path) {
            Resolved::Found(route, _, params) => Some((route.path, params)),
            _ => None,
        };
        assert_eq!(found("GET", "/events"), Some(("/events", vec![])));
        assert_eq!(found("GET", "/events/"), Some(("/events", vec![])));
        assert_eq!(
            found("POST", "/events/abc/holds"),
            Some((
                "/events/{eventId}/holds",
                vec![("eventId".to_string(), "abc".to_string())]
            ))
        );
        assert_eq!(found("GET", "/events/a/b"), None);
        assert!(matches!(
            api.resolve("PUT", "/events/x"),
            Resolved::MethodNotAllowed(m) if m.contains(&"GET") && m.contains(&"PATCH")
        ));
        assert!(matches!(api.resolve("GET", "/nope"), Resolved::NotFound));
        // Every function with a route is served, once.
        let routed = functions::ALL.iter().filter(|f| f.route.is_some()).count();
        assert_eq!(api.routes().len(), routed);
    }
}
