//! Local-only routes for developing a subscriber without AWS (never deployed, not in the
//! OpenAPI document): the events the bus published, as EventBridge envelopes, and a replay.
//!
//! - `GET /dev/events?type=SeatsHeld&event_id=…&since=2026-01-01T00:00:00Z`: the archive
//!   (`events.jsonl` in the data folder), oldest first, filtered by detail-type, by the
//!   concert or match (`detail.event_id`) and by time.
//! - `POST /dev/events/replay?from=…&to=…`: EventBridge's replay, locally: the archived
//!   events in `[from, to)` are delivered to the subscribers again (not archived again).
//! - `GET /dev/dead-letters`: the messages consumers parked as unusable, with the reason
//!   (`dead-letters.jsonl`; deployed, each consumer's dead-letter queue).

use crate::adapters::{LocalBus, LocalDeadLetters};
use chrono::{DateTime, Utc};
use lambda_http::{Body, Response};
use serde_json::json;
use stagepass_api::response::json;
use std::sync::Arc;

pub const PREFIX: &str = "/dev/";
const EVENTS: &str = "/dev/events";

/// What the dev routes read.
pub struct Dev {
    pub bus: Arc<LocalBus>,
    pub dead_letters: Arc<LocalDeadLetters>,
}

pub async fn handle(dev: &Dev, method: &str, path: &str, query: &str) -> Response<Body> {
    let bus = &dev.bus;
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // Errors: the parameter's name.
    let time = |k: &'static str| -> Result<Option<DateTime<Utc>>, &'static str> {
        param(k)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| k)
            })
            .transpose()
    };
    let bad_time = |k: &str| {
        refused(
            400,
            "invalid_query",
            &format!("{k} is not an RFC 3339 time"),
        )
    };
    match (method, path.trim_end_matches('/')) {
        ("GET", "/dev/dead-letters") => match dev.dead_letters.parked().await {
            Ok(parked) => json(200, &json!({ "dead_letters": parked })),
            Err(e) => refused(503, "service_unavailable", &e.0),
        },
        ("GET", EVENTS) => {
            let since = match time("since") {
                Ok(t) => t,
                Err(k) => return bad_time(k),
            };
            let archive = match bus.archive().await {
                Ok(a) => a,
                Err(e) => return refused(503, "service_unavailable", &e.0),
            };
            let events: Vec<_> = archive
                .into_iter()
                .filter(|e| param("type").is_none_or(|t| e["detail-type"] == t))
                .filter(|e| param("event_id").is_none_or(|id| e["detail"]["event_id"] == id))
                .filter(|e| {
                    since.is_none_or(|s| {
                        e["detail"]["time"]
                            .as_str()
                            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                            .is_some_and(|t| t >= s)
                    })
                })
                .collect();
            json(200, &json!({ "events": events }))
        }
        ("POST", p) if p == format!("{EVENTS}/replay") => {
            let (from, to) = match (time("from"), time("to")) {
                (Ok(Some(f)), Ok(Some(t))) if f < t => (f, t),
                (Err(k), _) | (_, Err(k)) => return bad_time(k),
                _ => {
                    return refused(
                        400,
                        "invalid_query",
                        "from and to are required, from before to",
                    );
                }
            };
            let name = format!("local-{}", uuid::Uuid::new_v4().simple());
            match bus.replay(&name, from, to).await {
                Ok(n) => json(200, &json!({ "replay": name, "replayed": n })),
                Err(e) => refused(503, "service_unavailable", &e.0),
            }
        }
        _ => refused(404, "route_not_found", "no such dev route"),
    }
}

fn refused(status: u16, code: &str, message: &str) -> Response<Body> {
    json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}
