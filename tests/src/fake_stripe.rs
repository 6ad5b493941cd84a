//! A local stand-in for the part of Stripe's API the Stripe adapter uses, answering with the
//! request and response shapes Stripe documents (form-encoded requests, JSON objects, the
//! error object, `Idempotency-Key` with `Idempotent-Replayed`), so the adapter is tested over
//! real HTTP without a Stripe account:
//!
//! - `POST /v1/payment_intents`, `GET /v1/payment_intents/{id}`,
//!   `POST /v1/payment_intents/{id}/confirm`, `POST /v1/payment_intents/{id}/cancel`,
//!   `POST /v1/refunds`, `GET /v1/refunds?payment_intent=`.
//! - Stripe's test payment methods: `pm_card_chargeDeclined` (402 `card_declined`,
//!   `generic_decline`), `pm_card_chargeDeclinedInsufficientFunds` (`insufficient_funds`),
//!   `pm_card_chargeDeclinedProcessingError` (402 `processing_error`); any other `pm_` pays.
//! - Idempotency as Stripe's v1 API: the first answer under a key (errors included) is saved
//!   and replayed; the same key with other parameters is a 400 `idempotency_error`.
//! - Faults a test queues for the next requests: a 500 or 429 before the request runs, or
//!   the request run and its answer lost (the connection closed).

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_stagepass_fake";

/// What happens to the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing: the request is served as usual (to aim a fault at a later request).
    Pass,
    /// Answered 500 `api_error` without running (nothing saved under its key).
    ServerError,
    /// Answered 429 `rate_limit` without running.
    RateLimited,
    /// Run (and its answer saved under its key), then the connection is closed unanswered.
    LoseAnswer,
}

#[derive(Default)]
struct State {
    intents: BTreeMap<String, Value>,
    refunds: BTreeMap<String, Value>,
    /// Idempotency key → (method and path and parameters, status, body).
    saved: HashMap<String, (String, u16, Value)>,
    faults: VecDeque<Fault>,
    requests: Vec<String>,
    next: u64,
}

/// The fake server, listening on 127.0.0.1 until dropped.
pub struct FakeStripe {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeStripe {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { serve(&state, req).await }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Self { url, state, task }
    }

    /// Queues faults for the next requests, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    /// Every request so far: `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The PaymentIntents made for a booking (its `metadata[booking_id]`).
    pub fn intents_for(&self, booking: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .intents
            .values()
            .filter(|i| i["metadata"]["booking_id"] == booking)
            .cloned()
            .collect()
    }

    /// Money kept for a booking: succeeded intents less their refunds.
    pub fn net(&self, booking: &str) -> i64 {
        let state = self.state.lock().unwrap();
        let mut net = 0;
        for i in state
            .intents
            .values()
            .filter(|i| i["metadata"]["booking_id"] == booking && i["status"] == "succeeded")
        {
            net += i["amount"].as_i64().unwrap();
            for r in state
                .refunds
                .values()
                .filter(|r| r["payment_intent"] == i["id"])
            {
                net -= r["amount"].as_i64().unwrap();
            }
        }
        net
    }
}

type Answer = hyper::Response<Full<Bytes>>;

fn respond(status: u16, body: &Value, replayed: bool) -> Answer {
    let mut builder = hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("request-id", "req_fake");
    if replayed {
        builder = builder.header("idempotent-replayed", "true");
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn error(kind: &str, code: Option<&str>, message: &str) -> Value {
    json!({"error": {"type": kind, "code": code, "message": message}})
}

async fn serve(
    state: &Mutex<State>,
    req: hyper::Request<Incoming>,
) -> Result<Answer, std::io::Error> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let authorised = req
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == format!("Bearer {SECRET_KEY}").as_bytes());
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let query: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();

    let mut s = state.lock().unwrap();
    s.requests.push(format!("{method} {path}"));
    if !authorised {
        let e = error("invalid_request_error", None, "Invalid API Key provided");
        return Ok(respond(401, &e, false));
    }
    let fault = s.faults.pop_front();
    match fault {
        Some(Fault::ServerError) => {
            let e = error("api_error", None, "Something went wrong on Stripe's end.");
            return Ok(respond(500, &e, false));
        }
        Some(Fault::RateLimited) => {
            let e = error(
                "invalid_request_error",
                Some("rate_limit"),
                "Too many requests",
            );
            return Ok(respond(429, &e, false));
        }
        _ => {}
    }
    let request = format!("{method} {path} {form:?}");
    let (status, answer, replayed) = match key.as_ref().and_then(|k| s.saved.get(k)).cloned() {
        Some((first, status, answer)) if first == request => (status, answer, true),
        Some(_) => {
            let e = error(
                "idempotency_error",
                None,
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            );
            (400, e, false)
        }
        None => {
            let (status, answer) = run(&mut s, &method, &path, &form, &query);
            if let Some(k) = key.filter(|_| method == "POST") {
                s.saved.insert(k, (request, status, answer.clone()));
            }
            (status, answer, false)
        }
    };
    match fault {
        // The request ran; the caller never hears.
        Some(Fault::LoseAnswer) => Err(std::io::Error::other("answer lost")),
        _ => Ok(respond(status, &answer, replayed)),
    }
}

fn unexpected_state(intent: &Value, action: &str) -> (u16, Value) {
    let mut e = error(
        "invalid_request_error",
        Some("payment_intent_unexpected_state"),
        &format!(
            "You cannot {action} this PaymentIntent because it has a status of {}.",
            intent["status"].as_str().unwrap_or_default()
        ),
    );
    e["error"]["payment_intent"] = intent.clone();
    (400, e)
}

fn run(
    s: &mut State,
    method: &str,
    path: &str,
    form: &BTreeMap<String, String>,
    query: &BTreeMap<String, String>,
) -> (u16, Value) {
    let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    s.next += 1;
    let n = s.next;
    match (method, parts.as_slice()) {
        ("POST", ["payment_intents"]) => {
            let (Some(amount), Some(currency)) = (
                form.get("amount").and_then(|a| a.parse::<i64>().ok()),
                form.get("currency"),
            ) else {
                let e = error(
                    "invalid_request_error",
                    Some("parameter_missing"),
                    "Missing required param: amount.",
                );
                return (400, e);
            };
            let id = format!("pi_fake{n:08}");
            let intent = json!({
                "id": id, "object": "payment_intent", "amount": amount,
                "currency": currency, "status": "requires_payment_method",
                "payment_method": null, "latest_charge": null, "last_payment_error": null,
                "metadata": {"booking_id": form.get("metadata[booking_id]")},
            });
            s.intents.insert(id, intent.clone());
            (200, intent)
        }
        ("GET", ["payment_intents", id]) => match s.intents.get(*id) {
            Some(i) => (200, i.clone()),
            None => not_found(id),
        },
        ("POST", ["payment_intents", id, "confirm"]) => {
            let Some(intent) = s.intents.get_mut(*id) else {
                return not_found(id);
            };
            if !matches!(
                intent["status"].as_str(),
                Some("requires_payment_method" | "requires_confirmation")
            ) {
                return unexpected_state(intent, "confirm");
            }
            let method = form.get("payment_method").cloned().unwrap_or_default();
            let decline = match method.as_str() {
                "pm_card_chargeDeclined" => Some(("card_declined", Some("generic_decline"))),
                "pm_card_chargeDeclinedInsufficientFunds" => {
                    Some(("card_declined", Some("insufficient_funds")))
                }
                "pm_card_chargeDeclinedProcessingError" => Some(("processing_error", None)),
                m if m.starts_with("pm_") => None,
                _ => Some(("resource_missing", None)),
            };
            match decline {
                None => {
                    intent["status"] = json!("succeeded");
                    intent["payment_method"] = json!(method);
                    intent["latest_charge"] = json!(format!("ch_fake{n:08}"));
                    (200, intent.clone())
                }
                Some((code, decline_code)) => {
                    let last = json!({"type": "card_error", "code": code, "decline_code": decline_code,
                        "message": "Your card was declined."});
                    intent["status"] = json!("requires_payment_method");
                    intent["last_payment_error"] = last.clone();
                    let mut e = json!({ "error": last });
                    e["error"]["payment_intent"] = intent.clone();
                    (402, e)
                }
            }
        }
        ("POST", ["payment_intents", id, "cancel"]) => {
            let Some(intent) = s.intents.get_mut(*id) else {
                return not_found(id);
            };
            if !matches!(
                intent["status"].as_str(),
                Some("requires_payment_method" | "requires_confirmation" | "requires_action")
            ) {
                return unexpected_state(intent, "cancel");
            }
            intent["status"] = json!("canceled");
            (200, intent.clone())
        }
        ("POST", ["refunds"]) => {
            let pi = form.get("payment_intent").cloned().unwrap_or_default();
            let Some(intent) = s.intents.get(&pi).cloned() else {
                return not_found(&pi);
            };
            if intent["status"] != "succeeded" {
                let e = error(
                    "invalid_request_error",
                    Some("charge_not_refundable"),
                    "This PaymentIntent has no successful charge to refund.",
                );
                return (400, e);
            }
            if s.refunds.values().any(|r| r["payment_intent"] == pi) {
                let e = error(
                    "invalid_request_error",
                    Some("charge_already_refunded"),
                    "Charge has already been refunded.",
                );
                return (400, e);
            }
            let id = format!("re_fake{n:08}");
            let refund = json!({"id": id, "object": "refund", "amount": intent["amount"],
                "currency": intent["currency"], "payment_intent": pi, "status": "succeeded"});
            s.refunds.insert(id, refund.clone());
            (200, refund)
        }
        ("GET", ["refunds"]) => {
            let pi = query.get("payment_intent").cloned().unwrap_or_default();
            let data: Vec<Value> = s
                .refunds
                .values()
                .filter(|r| r["payment_intent"] == pi)
                .cloned()
                .collect();
            (
                200,
                json!({"object": "list", "data": data, "has_more": false, "url": "/v1/refunds"}),
            )
        }
        _ => not_found(path),
    }
}

fn not_found(what: &str) -> (u16, Value) {
    let e = error(
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such object: '{what}'"),
    );
    (404, e)
}
