//! `Idempotency-Key` on mutating routes, with Stripe's semantics: the first request with a key
//! runs and its answer is saved; a retry gets the saved answer (`Idempotent-Replayed: true`);
//! the same key with a different request is 422; a retry while the first is still running
//! waits briefly for its answer, then gets 409. Keys are per caller and last 24 hours.
//! Server errors (5xx) are not saved: the retry runs again.

use crate::auth::caller;
use crate::error::ApiError;
use crate::request::idempotency_key;
use crate::wiring::{Handler, HttpFn, Wiring, WiringError};
use chrono::Duration;
use lambda_http::{Body, Request, Response};
use stagepass_domain::{Claim, Clock, IdempotencyError, IdempotencyStore, KeyUse, SavedResponse};
use std::sync::Arc;

/// How long a key is remembered.
pub const KEY_TTL_HOURS: i64 = 24;
/// A claim whose request died (a crashed container) can be taken over after this.
pub const LEASE_SECONDS: i64 = 60;

fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// What makes two requests "the same": method, path (without the stage) and body.
fn fingerprint(req: &Request) -> String {
    use lambda_http::RequestExt;
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update(b"\0");
    h.update(req.raw_http_path());
    h.update(b"\0");
    h.update(body_bytes(req.body()));
    format!("{:x}", h.finalize())
}

fn replay(saved: SavedResponse) -> Response<Body> {
    let mut builder = Response::builder()
        .status(saved.status)
        .header("content-type", "application/json")
        .header("idempotent-replayed", "true");
    if let Some(location) = &saved.location {
        builder = builder.header("location", location);
    }
    builder
        .body(Body::Text(saved.body))
        .expect("saved status and headers are valid")
}

/// Where keys are kept, and how long a retry waits for the first attempt.
#[derive(Clone)]
pub struct Idempotency {
    pub store: Arc<dyn IdempotencyStore>,
    pub clock: Arc<dyn Clock>,
    pub wait: std::time::Duration,
}

/// The handler of a mutating route: `inner` (an HTTP handler) runs under the request's
/// Idempotency-Key, kept in the function's idempotency store.
pub fn idempotent(w: &dyn Wiring, inner: Handler) -> Result<Handler, WiringError> {
    let Handler::Http(inner) = inner else {
        return Err(WiringError(
            "only HTTP handlers take an Idempotency-Key".into(),
        ));
    };
    let idempotency = Arc::new(Idempotency {
        store: w.idempotency()?,
        clock: w.clock(),
        wait: w.limits().idempotency_wait,
    });
    let wrapped: HttpFn = Arc::new(move |req| {
        let (idempotency, inner) = (idempotency.clone(), inner.clone());
        Box::pin(async move { run(&idempotency, req, &inner).await })
    });
    Ok(Handler::Http(wrapped))
}

/// Runs `handler` under the request's Idempotency-Key, if it has one.
pub async fn run(idempotency: &Idempotency, mut req: Request, handler: &HttpFn) -> Response<Body> {
    let key = match idempotency_key(&req) {
        Ok(Some(k)) => k,
        Ok(None) => return handler(req).await,
        Err(e) => return e.into_response(),
    };
    // Without a caller the handler answers 401 anyway; keys are scoped to who sent them.
    let Ok(who) = caller(&req) else {
        return handler(req).await;
    };
    let scoped = format!("{}#{key}", who.user);
    let print = fingerprint(&req);
    let deadline = std::time::Instant::now() + idempotency.wait;
    let lease = loop {
        let now = idempotency.clock.now();
        let claim = idempotency
            .store
            .claim(
                &scoped,
                &print,
                now,
                now + Duration::seconds(LEASE_SECONDS),
                now + Duration::hours(KEY_TTL_HOURS),
            )
            .await;
        match claim {
            Err(e) => return ApiError::from(e).into_response(),
            Ok(Claim::Mismatch) => {
                return ApiError::from(IdempotencyError::KeyReused).into_response();
            }
            Ok(Claim::Done(saved)) => return replay(saved),
            Ok(Claim::InFlight) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Ok(Claim::InFlight) => {
                return ApiError::from(IdempotencyError::InFlight).into_response();
            }
            Ok(Claim::Started(lease)) => break lease,
        }
    };
    // The use case sees which use of the key this is (ids derived from it include when it
    // began).
    req.extensions_mut().insert(KeyUse {
        key,
        since: lease.since,
    });
    let response = handler(req).await;
    let status = response.status().as_u16();
    if status >= 500 {
        let _ = idempotency.store.abandon(&scoped, &lease.token).await;
        return response;
    }
    let saved = SavedResponse {
        status,
        body: String::from_utf8_lossy(body_bytes(response.body())).into_owned(),
        location: response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    match idempotency
        .store
        .complete(&scoped, &lease.token, &saved)
        .await
    {
        Ok(true) => {}
        // This attempt outlived its lease and another took the key over: its answer is the
        // one kept. Both ran the same use of the key, so the use case's own idempotency (ids
        // derived from the key) made them act once.
        Ok(false) => tracing::warn!("idempotency lease lost: the answer was not saved"),
        // The effect happened; a retry will run again and the use case's own idempotency
        // makes that harmless.
        Err(e) => tracing::warn!(error = %e, "could not save the idempotent response"),
    }
    response
}
