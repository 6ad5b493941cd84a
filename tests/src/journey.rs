//! One journey through every function, over HTTP only, run on both stacks: the embedded one
//! (`make run`, [`crate::TestApp`]) and the cloud-shaped one (`make run-aws`, every function's
//! real binary). What a stack must offer besides its URL is in [`Stack`].

use serde_json::{Value, json};
use stagepass_api::Role;
use stagepass_domain::IntegrationEvent;
use std::time::Duration;

#[async_trait::async_trait]
pub trait Stack: Send + Sync {
    fn base_url(&self) -> String;
    /// The origin the stack lets browsers call it from.
    fn allowed_origin(&self) -> String;
    /// An access token for a new account with `role`, created by an admin through the API.
    async fn staff_token(&self, role: Role) -> String;
    /// Whether any email sent so far contains `needle`.
    async fn mail_contains(&self, needle: &str) -> bool;
    /// Every email sent to `to` so far, as MIME text, oldest first.
    async fn mails_to(&self, to: &str) -> Vec<String>;
    /// Leaves `event` in the outbox as a stream relay that gave up on it would, then runs the
    /// outbox sweeper (deployed: `sweep-outbox` on its schedule; locally the relay loop).
    async fn strand_in_outbox(&self, event: IntegrationEvent);
    /// Checks out `hold` as a checkout that stored its booking ten minutes ago and died before
    /// starting the saga would have, then runs the booking sweeper once (deployed:
    /// `sweep-bookings` on its schedule). Returns the booking id.
    async fn checkout_dies_then_sweep(&self, hold: &str, email: &str) -> String;
    /// An access token for `who` signed with the stack's access keys, expiring `ttl_secs`
    /// from now (negative: already past).
    fn access_token(&self, who: &stagepass_api::Principal, ttl_secs: i64) -> String;
    /// Starts keeping every event the bus delivers, as a subscriber would (deployed: a rule
    /// for `source: stagepass` to a queue of the test's; locally the archive has them all).
    async fn listen(&self);
    /// The envelopes delivered since `listen` whose `detail.event_id` is `event`.
    async fn events_about(&self, event: &str) -> Vec<Value>;
    /// Lets time pass beyond `hold`'s expiry, as far as the hold is concerned (locally the
    /// clock moves; deployed the hold's and its claims' expiry move into the past, and the
    /// emulated TTL deletes the claims).
    async fn let_hold_expire(&self, hold: &str);
    /// Replays the bus's archive between the two times to its rules (deployed: EventBridge's
    /// StartReplay; locally `POST /dev/events/replay`).
    async fn replay(&self, from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>);
    /// Puts `body` on `consumer`'s queue as its rule would (deployed: SendMessage to the
    /// queue, which Lambda's event source delivers; locally the function gets an SQS batch).
    async fn send_to_consumer(&self, consumer: &str, body: &str);
    /// The messages parked in `consumer`'s dead-letter queue so far, each as (reason, body)
    /// (locally one file holds every consumer's: callers tell theirs by the body).
    async fn dead_letters(&self, consumer: &str) -> Vec<(String, String)>;
    /// Lets `d` pass on the stack's clock (deployed: sleeps; locally the clock moves).
    async fn pass(&self, d: std::time::Duration);
}

/// Messages no consumer can use, each with the reason it must be parked with; `tag` is in
/// every body, so a test finds its own.
pub fn unusable_messages(tag: &str) -> Vec<(&'static str, String)> {
    let envelope = |kind: &str, detail: Value| {
        json!({"version": "0", "id": tag, "detail-type": kind, "source": "stagepass",
               "account": "1", "time": "2026-01-01T00:00:00Z", "region": "eu-west-1",
               "resources": [], "detail": detail})
        .to_string()
    };
    let common = |n: u32, kind: &str, version: u32| {
        json!({"id": format!("{tag}-{n}"), "type": kind, "schema_version": version,
               "time": "2026-01-01T00:00:00.000Z"})
    };
    let mut v2 = common(2, "BookingConfirmed", 2);
    v2["booking_id"] = json!(tag);
    vec![
        ("not_an_event", format!("this is not JSON ({tag})")),
        (
            "unknown_event_type",
            envelope("SeatsTeleported", common(1, "SeatsTeleported", 1)),
        ),
        (
            "unsupported_schema_version",
            envelope("BookingConfirmed", v2),
        ),
        // The right type and version, with none of a booking's fields.
        (
            "malformed_event",
            envelope("BookingConfirmed", common(3, "BookingConfirmed", 1)),
        ),
    ]
}

/// Each consumer parks every unusable message in its dead-letter queue with the reason, and
/// goes on working (the journey's later events still reach it).
async fn unusable_messages_are_dead_lettered(stack: &dyn Stack) {
    for consumer in ["notify", "count-sales"] {
        let tag = format!("{consumer}-{}", uuid::Uuid::new_v4().simple());
        let messages = unusable_messages(&tag);
        for (_, body) in &messages {
            stack.send_to_consumer(consumer, body).await;
        }
        let mine = async || -> Vec<(String, String)> {
            stack
                .dead_letters(consumer)
                .await
                .into_iter()
                .filter(|(_, body)| body.contains(&tag))
                .collect()
        };
        eventually(&format!("{consumer} parks 4 messages"), async || {
            mine().await.len() >= messages.len()
        })
        .await;
        let mut parked = mine().await;
        parked.sort();
        let mut wanted: Vec<(String, String)> = messages
            .iter()
            .map(|(reason, body)| (reason.to_string(), body.clone()))
            .collect();
        wanted.sort();
        assert_eq!(parked, wanted, "{consumer}");
    }
}

/// The organiser's sales figures once they show `check` (the subscriber counts a moment
/// after the fact).
async fn sales_once(
    c: &mut Client<'_>,
    organiser: &str,
    event: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..300 {
        let (status, sales) = c
            .call(
                "GET",
                &format!("/events/{event}/sales"),
                Some(organiser),
                None,
                None,
            )
            .await;
        assert_eq!(status, 200, "{sales}");
        if check(&sales) {
            return sales;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sales figures never matched");
}

/// A second `BookingConfirmed` for `booking` with its own id, recorded 10 minutes ago: what a
/// sweeper finds when the stream relay gave up on an event. (Its own id, so it is mailed.)
pub fn stranded_confirmation(booking: &str, event: &str) -> IntegrationEvent {
    let id = uuid::Uuid::new_v4().to_string();
    IntegrationEvent {
        id: id.clone(),
        kind: "BookingConfirmed".into(),
        schema_version: 1,
        time: chrono::Utc::now() - chrono::Duration::minutes(10),
        detail: json!({"id": id, "type": "BookingConfirmed", "booking_id": booking, "event_id": event}),
    }
}

/// What the journey saw, for the caller to report.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every route called, as `METHOD /path` (with ids in place).
    pub requests: usize,
    pub booking: String,
    pub declined: String,
}

struct Client<'a> {
    stack: &'a dyn Stack,
    http: reqwest::Client,
    requests: usize,
}

impl Client<'_> {
    /// The seat map's current `ETag`.
    async fn seat_map_etag(&mut self, event: &str) -> String {
        self.requests += 1;
        let res = self
            .http
            .get(format!("{}/events/{event}/seat-map", self.stack.base_url()))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status().as_u16(), 200);
        res.headers()["etag"].to_str().expect("etag").to_string()
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.requests += 1;
        let mut req = self.http.request(
            method.parse().expect("method"),
            format!("{}{path}", self.stack.base_url()),
        );
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A browser on another origin: the preflight of a protected route is answered without
    /// a token, and a function's answer and the gateway's own refusal both carry the origin
    /// the stack allows and expose Retry-After to the page's script.
    async fn browser_on_another_origin(&mut self) {
        let origin = self.stack.allowed_origin();
        let url = |path: &str| format!("{}{path}", self.stack.base_url());
        self.requests += 3;
        let preflight = self
            .http
            .request(reqwest::Method::OPTIONS, url("/bookings"))
            .header("origin", "https://tickets.example.com")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,idempotency-key",
            )
            .send()
            .await
            .expect("preflight sent");
        assert!(preflight.status().is_success(), "{}", preflight.status());
        let header =
            |r: &reqwest::Response, name: &str| crate::header(r, name).to_ascii_lowercase();
        assert_eq!(header(&preflight, "access-control-allow-origin"), origin);
        assert!(header(&preflight, "access-control-allow-methods").contains("post"));
        let allowed = header(&preflight, "access-control-allow-headers");
        for h in ["authorization", "content-type", "idempotency-key"] {
            assert!(allowed.contains(h), "{h} not in {allowed}");
        }
        for (method, path, status) in [("GET", "/openapi.json", 200), ("POST", "/bookings", 401)] {
            let answer = self
                .http
                .request(method.parse().expect("method"), url(path))
                .header("origin", "https://tickets.example.com")
                .send()
                .await
                .expect("request sent");
            assert_eq!(answer.status().as_u16(), status, "{method} {path}");
            assert_eq!(
                header(&answer, "access-control-allow-origin"),
                origin,
                "{method} {path}"
            );
            assert!(header(&answer, "access-control-expose-headers").contains("retry-after"));
        }
    }

    /// Creates the organiser's event from `body` and publishes it; its id.
    async fn published_event(&mut self, organiser: &str, body: Value) -> String {
        let (status, created) = self
            .call("POST", "/events", Some(organiser), None, Some(body))
            .await;
        assert_eq!(status, 201, "{created}");
        let event = created["id"].as_str().expect("id").to_string();
        let publish = format!("/events/{event}/publish");
        let (status, published) = self
            .call("POST", &publish, Some(organiser), None, None)
            .await;
        assert_eq!(status, 200, "{published}");
        event
    }

    /// Holds `seat` and checks it out with `card` (the checkout with `key` as its
    /// Idempotency-Key, if given); the id of the pending booking.
    /// Holds one seat; returns the hold's id.
    async fn hold(&mut self, token: &str, event: &str, seat: &str) -> String {
        let path = format!("/events/{event}/holds");
        let seats = json!({ "seats": [seat] });
        let (status, hold) = self
            .call("POST", &path, Some(token), None, Some(seats))
            .await;
        assert_eq!(status, 201, "{hold}");
        hold["id"].as_str().expect("id").to_string()
    }

    async fn hold_and_check_out(
        &mut self,
        token: &str,
        event: &str,
        seat: &str,
        card: &str,
        key: Option<&str>,
    ) -> String {
        let hold = self.hold(token, event, seat).await;
        let checkout = json!({"hold_id": hold, "payment_method": card});
        let (status, pending) = self
            .call("POST", "/bookings", Some(token), key, Some(checkout))
            .await;
        assert_eq!(status, 202, "{pending}");
        pending["id"].as_str().expect("id").to_string()
    }

    /// `GET /bookings/{id}` until the saga has settled it.
    /// Waits for an event's cancellation to get through its bookings; returns the event.
    async fn event_cancelled(&mut self, token: &str, id: &str) -> Value {
        for _ in 0..600 {
            let (status, e) = self
                .call("GET", &format!("/events/{id}"), Some(token), None, None)
                .await;
            assert_eq!(status, 200, "{e}");
            if e["status"] == "cancelled" {
                return e;
            }
            assert_eq!(e["status"], "cancelling", "{e}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("event {id} stayed cancelling for 60 s");
    }

    async fn settled(&mut self, token: &str, id: &str) -> Value {
        for _ in 0..600 {
            let (status, b) = self
                .call("GET", &format!("/bookings/{id}"), Some(token), None, None)
                .await;
            assert_eq!(status, 200, "{b}");
            if b["status"] != "pending" {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("booking {id} stayed pending for 60 s");
    }
}

/// The tokens of the links to the web app's `#/<page>/` in the mail `to` has had, oldest
/// first.
async fn links_in_mail(stack: &dyn Stack, to: &str, page: &str) -> Vec<String> {
    let marker = format!("#/{page}/");
    let mut links = vec![];
    for mail in stack.mails_to(to).await {
        let (text, html) = (crate::mail_text(&mail), crate::mail_html(&mail));
        for (at, _) in text.match_indices(&marker) {
            let rest = &text[at + marker.len()..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let token = &rest[..end];
            // The HTML part says the same, with the link as an anchor (tokens need no escaping).
            assert!(html.contains(&format!("{marker}{token}\">")), "{html}");
            links.push(token.to_string());
        }
    }
    links
}

/// The `n`th (from 0) link to `#/<page>/` sent to `to`, waiting for it to arrive (mail goes
/// out behind the bus).
async fn nth_link(stack: &dyn Stack, to: &str, page: &str, n: usize) -> String {
    for _ in 0..300 {
        if let Some(token) = links_in_mail(stack, to, page).await.into_iter().nth(n) {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no link number {n} to #/{page}/ reached {to} within 30 s");
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 30 s");
}

/// Every function at least once: the OpenAPI document, identity (register, login, refresh,
/// logout, guest, jwks, the authorizer, create-account; the emailed links: verify-email,
/// resend-verification, request-password-reset, reset-password, open-guest-link,
/// revoke-guest-link), the catalog (create, update, publish,
/// search, get), holds (hold and release, both with an `Idempotency-Key`), checkout and the
/// saga's seven steps (a paid booking and a declined one), bookings (get, mine, the ticket
/// link, cancel), the door (assigned by the organiser, check-in, taken off), the organiser's
/// cancel-event, and the relay and notify behind them.
pub async fn every_function(stack: &dyn Stack) -> Walked {
    let mut c = Client {
        stack,
        http: stagepass_cloud::http_client().build().unwrap(),
        requests: 0,
    };
    let run = uuid::Uuid::new_v4().simple().to_string();

    let (status, jwks) = c
        .call("GET", "/.well-known/jwks.json", None, None, None)
        .await;
    assert_eq!(status, 200, "{jwks}");
    assert!(!jwks["keys"].as_array().expect("keys").is_empty());
    let (status, spec) = c.call("GET", "/openapi.json", None, None, None).await;
    assert_eq!((status, &spec["openapi"]), (200, &json!("3.1.0")), "{spec}");
    c.browser_on_another_origin().await;

    // A fan signs up, refreshes, logs in again elsewhere and logs that session out.
    let fan_email = format!("fan-{run}@fans.example");
    let password = "a long passphrase";
    let creds = json!({"email": fan_email, "password": password});
    let (status, accepted) = c
        .call("POST", "/auth/register", None, None, Some(creds.clone()))
        .await;
    assert_eq!(status, 202, "{accepted}");
    // The same email again is answered alike; the owner gets a mail about it instead.
    let (status, again) = c
        .call("POST", "/auth/register", None, None, Some(creds.clone()))
        .await;
    assert_eq!((status, &again), (202, &accepted));
    assert!(
        stack
            .mail_contains("Someone tried to sign up with your email")
            .await
    );
    let (status, session) = c
        .call("POST", "/auth/login", None, None, Some(creds.clone()))
        .await;
    assert_eq!(status, 200, "{session}");
    let (status, refreshed) = c
        .call(
            "POST",
            "/auth/refresh",
            None,
            None,
            Some(json!({"refresh_token": session["refresh_token"]})),
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let fan = refreshed["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let (status, other) = c.call("POST", "/auth/login", None, None, Some(creds)).await;
    assert_eq!(status, 200, "{other}");
    let other_token = other["access_token"].as_str().expect("token").to_string();
    let (status, out) = c
        .call("POST", "/auth/logout", Some(&other_token), None, None)
        .await;
    assert!(status == 204 || status == 200, "{status} {out}");
    let (status, dead) = c
        .call(
            "POST",
            "/auth/refresh",
            None,
            None,
            Some(json!({"refresh_token": other["refresh_token"]})),
        )
        .await;
    assert_eq!(status, 401, "a logged-out session cannot refresh: {dead}");
    let (status, guest) = c
        .call(
            "POST",
            "/auth/guest",
            None,
            None,
            Some(json!({"email": format!("guest-{run}@fans.example")})),
        )
        .await;
    assert_eq!(status, 201, "{guest}");
    let (status, refused) = c
        .call("GET", "/me/bookings", Some("not-a-token"), None, None)
        .await;
    assert_eq!(status, 401, "the authorizer refuses a bad token: {refused}");

    // Staff accounts come from an admin (create-account).
    let organiser = stack.staff_token(Role::Organiser).await;
    let door = stack.staff_token(Role::Door).await;

    // The organiser's event: draft, edit, publish; fans find and open it.
    let city = format!("Journeyville{}", &run[..6]);
    let body = crate::event_body(&city, "concert", crate::in_days(30), 2, 10, 50);
    let (status, created) = c
        .call("POST", "/events", Some(&organiser), None, Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    let event = created["id"].as_str().expect("id").to_string();
    let (status, updated) = c
        .call(
            "PATCH",
            &format!("/events/{event}"),
            Some(&organiser),
            None,
            Some(json!({"title": "Journey Night"})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let (status, published) = c
        .call(
            "POST",
            &format!("/events/{event}/publish"),
            Some(&organiser),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{published}");
    let (status, found) = c
        .call(
            "GET",
            &format!("/events?city={}", city.to_lowercase()),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["events"][0]["id"], json!(event), "{found}");
    let (status, detail) = c
        .call("GET", &format!("/events/{event}"), None, None, None)
        .await;
    assert_eq!(status, 200, "{detail}");
    let (status, map) = c
        .call(
            "GET",
            &format!("/events/{event}/seat-map"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{map}");
    assert_eq!(map["event_id"], json!(event), "{map}");
    assert_eq!(map["sections"][0]["id"], "A", "{map}");
    assert!(map["available"].as_u64().unwrap() > 0, "{map}");
    // Asked again with its tag: 304, no body.
    let etag = c.seat_map_etag(&event).await;
    let again = c
        .http
        .get(format!("{}/events/{event}/seat-map", c.stack.base_url()))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request sent");
    c.requests += 1;
    assert_eq!(again.status().as_u16(), 304);

    // Holds with an Idempotency-Key (the README's own example), released with one too.
    let hold_body = json!({"seats": ["A-1-1", "A-1-2"], "ga": [{"area": "floor", "quantity": 2}]});
    let (status, hold) = c
        .call(
            "POST",
            &format!("/events/{event}/holds"),
            Some(&fan),
            Some("journey-hold-1"),
            Some(hold_body.clone()),
        )
        .await;
    assert_eq!(status, 201, "{hold}");
    let (status, again) = c
        .call(
            "POST",
            &format!("/events/{event}/holds"),
            Some(&fan),
            Some("journey-hold-1"),
            Some(hold_body),
        )
        .await;
    assert_eq!(
        (status, &again["id"]),
        (201, &hold["id"]),
        "a retried hold is the same hold"
    );
    let hold_id = hold["id"].as_str().expect("id").to_string();
    let (status, released) = c
        .call(
            "DELETE",
            &format!("/holds/{hold_id}"),
            Some(&fan),
            Some("journey-release-1"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{released}");

    // A token 4 s past its `exp` is still within verification's 5 s leeway: the authorizer
    // accepts it and (deployed) caches that answer for its TTL. 2 s later the cache still
    // vouches for it, and the routes that change money or seats refuse it themselves (401
    // token_expired; locally the authorizer runs on every request and refuses it first).
    let brief = stack.access_token(
        &stagepass_api::Principal {
            user: stagepass_domain::UserId::new(format!("brief-{run}")),
            roles: vec![Role::Fan],
            email: stagepass_domain::Email::parse(&format!("brief-{run}@fans.example")),
            session: None,
            expires_at: None,
            email_verified: false,
        },
        -4,
    );
    let (status, mine) = c
        .call("GET", "/me/bookings", Some(&brief), None, None)
        .await;
    assert_eq!(status, 200, "{mine}");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (status, refused) = c
        .call(
            "POST",
            &format!("/events/{event}/holds"),
            Some(&brief),
            None,
            Some(json!({"seats": ["A-1-3"]})),
        )
        .await;
    assert_eq!(status, 401, "an expired token holds nothing: {refused}");
    assert!(
        ["token_expired", "unauthorized"]
            .contains(&refused["error"]["code"].as_str().unwrap_or("")),
        "{refused}"
    );

    // A paid booking: checkout, the saga confirms it, tickets and email follow.
    let booking = c
        .hold_and_check_out(
            &fan,
            &event,
            "A-2-5",
            "pm_card_visa",
            Some("journey-checkout-1"),
        )
        .await;
    let confirmed = c.settled(&fan, &booking).await;
    assert_eq!(confirmed["status"], "confirmed", "{confirmed}");
    waiting_room(&mut c, &organiser, &fan, &run).await;
    let ticket = &confirmed["tickets"][0];
    let link = ticket["url"].as_str().expect("a ticket link").to_string();
    // A presigned S3 link in the cloud, a file locally.
    let pdf = match link.strip_prefix("file://") {
        Some(path) => std::fs::read(path).expect("the ticket file"),
        None => {
            let response = c.http.get(&link).send().await.expect("ticket link");
            assert_eq!(
                response.status().as_u16(),
                200,
                "the ticket link works: {link}"
            );
            response.bytes().await.expect("pdf").to_vec()
        }
    };
    assert!(pdf.starts_with(b"%PDF"), "{link} is a PDF");
    let (status, mine) = c.call("GET", "/me/bookings", Some(&fan), None, None).await;
    assert_eq!(status, 200, "{mine}");
    assert!(
        mine["bookings"]
            .as_array()
            .expect("list")
            .iter()
            .any(|b| b["id"] == json!(booking))
    );
    eventually(
        "the confirmation email (relay → bus → queue → notify)",
        async || stack.mail_contains(&fan_email).await,
    )
    .await;
    // Ticket links are minted when the booking is opened, and short-lived (deployed: a
    // 15-minute presigned URL; the email links to the booking instead).
    if let Some((_, expires)) = link.split_once("X-Amz-Expires=") {
        let seconds: u64 = expires
            .split('&')
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap();
        assert!(seconds <= 900, "{link}");
    }
    // A checkout that died before starting its saga: the booking sweeper starts it.
    let hold = c.hold(&fan, &event, "A-2-7").await;
    let swept = stack.checkout_dies_then_sweep(&hold, &fan_email).await;
    let b = c.settled(&fan, &swept).await;
    assert_eq!(b["status"], "confirmed", "{b}");

    // An event the stream relay gave up on is published by the sweeper, and mailed.
    let stranded = stranded_confirmation(&booking, &event);
    stack.strand_in_outbox(stranded.clone()).await;
    eventually(
        "the stranded event's email (sweeper → bus → queue → notify)",
        async || stack.mail_contains(&stranded.id).await,
    )
    .await;

    // The door admits the ticket once, from when the organiser assigns it to the event.
    let scan = json!({"qr": ticket["qr"], "gate": "North"});
    let (status, refused) = c
        .call("POST", "/checkins", Some(&door), None, Some(scan.clone()))
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("not_assigned_to_event")),
        "{refused}"
    );
    let door_claims = crate::token_part(&door, 1);
    let staff = format!("/events/{event}/staff");
    let (status, assigned) = c
        .call(
            "POST",
            &staff,
            Some(&organiser),
            None,
            Some(json!({"email": door_claims["email"]})),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["door_staff"][0]["user_id"], door_claims["sub"]);
    let (status, admitted) = c
        .call(
            "POST",
            "/checkins",
            Some(&door),
            Some("journey-scan-1"),
            Some(scan.clone()),
        )
        .await;
    assert_eq!(status, 200, "{admitted}");
    let (status, twice) = c
        .call("POST", "/checkins", Some(&door), None, Some(scan.clone()))
        .await;
    assert_eq!(status, 409, "{twice}");
    // Taken off the event, the door is refused before the ticket is looked at.
    let (status, removed) = c
        .call(
            "DELETE",
            &format!("{staff}/{}", door_claims["sub"].as_str().expect("sub")),
            Some(&organiser),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, &removed["door_staff"]),
        (200, &json!([])),
        "{removed}"
    );
    let (status, refused) = c
        .call("POST", "/checkins", Some(&door), None, Some(scan))
        .await;
    assert_eq!(status, 403, "{refused}");

    // A declined card: the saga compensates (refund, release, fail).
    let declined = c
        .hold_and_check_out(&fan, &event, "A-2-6", "pm_card_chargeDeclined", None)
        .await;
    let failed = c.settled(&fan, &declined).await;
    assert_eq!(
        (&failed["status"], &failed["reason"]),
        (&json!("failed"), &json!("card_declined")),
        "{failed}"
    );

    // A card number is refused and not repeated back: checkout takes provider tokens only.
    let hostile = json!({"hold_id": "anything", "payment_method": "4242 4242 4242 4242"});
    let (status, refused) = c
        .call("POST", "/bookings", Some(&fan), None, Some(hostile))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "card_number_refused", "{refused}");
    assert!(!refused.to_string().contains("4242"), "{refused}");

    // A guest buys; their confirmation email links to their bookings (open-guest-link). The
    // link is revoked (revoke-guest-link), and a new one is mailed in its place.
    let guest_email = format!("guest-{run}@fans.example");
    let guest_token = guest["access_token"].as_str().expect("token").to_string();
    let guest_booking = c
        .hold_and_check_out(&guest_token, &event, "A-2-9", "pm_card_visa", None)
        .await;
    let bought = c.settled(&guest_token, &guest_booking).await;
    assert_eq!(bought["status"], "confirmed", "{bought}");
    let first_link = nth_link(stack, &guest_email, "guest", 0).await;
    let (status, opened) = c
        .call(
            "POST",
            "/auth/guest-link",
            None,
            None,
            Some(json!({"token": first_link})),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["user"]["id"], guest["user"]["id"], "{opened}");
    assert_eq!(opened["user"]["email_verified"], true, "{opened}");
    let later = opened["access_token"].as_str().expect("token").to_string();
    let (status, mine) = c
        .call("GET", "/me/bookings", Some(&later), None, None)
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["bookings"][0]["id"], json!(guest_booking), "{mine}");
    let revoke = json!({"token": first_link});
    let (status, revoked) = c
        .call(
            "POST",
            "/auth/guest-link/revoke",
            None,
            None,
            Some(revoke.clone()),
        )
        .await;
    assert_eq!(
        (status, &revoked["email"]),
        (202, &json!(guest_email)),
        "{revoked}"
    );
    for path in ["/auth/guest-link", "/auth/guest-link/revoke"] {
        let (status, dead) = c.call("POST", path, None, None, Some(revoke.clone())).await;
        assert_eq!(status, 400, "{path}: {dead}");
        assert_eq!(dead["error"]["code"], "invalid_link", "{dead}");
    }
    let second_link = nth_link(stack, &guest_email, "guest", 1).await;
    let (status, reopened) = c
        .call(
            "POST",
            "/auth/guest-link",
            None,
            None,
            Some(json!({"token": second_link})),
        )
        .await;
    assert_eq!(status, 201, "{reopened}");

    // An unverified account may buy but not cancel for a refund. The fan asks for the link
    // again (resend-verification), opens it (verify-email), and the next refresh says so.
    let (status, unverified) = c
        .call(
            "POST",
            &format!("/bookings/{booking}/cancel"),
            Some(&fan),
            Some("journey-cancel-unverified"),
            None,
        )
        .await;
    assert_eq!(status, 403, "{unverified}");
    assert_eq!(
        unverified["error"]["code"], "email_not_verified",
        "{unverified}"
    );
    let (status, sent) = c
        .call("POST", "/auth/verify-email/resend", Some(&fan), None, None)
        .await;
    assert_eq!(status, 202, "{sent}");
    let welcome_link = nth_link(stack, &fan_email, "verify", 0).await;
    let resent_link = nth_link(stack, &fan_email, "verify", 1).await;
    let (status, bad) = c
        .call(
            "POST",
            "/auth/verify-email",
            None,
            None,
            Some(json!({"token": format!("{resent_link}x")})),
        )
        .await;
    assert_eq!(
        (status, &bad["error"]["code"]),
        (400, &json!("invalid_link")),
        "{bad}"
    );
    for link in [&resent_link, &welcome_link] {
        let (status, verified) = c
            .call(
                "POST",
                "/auth/verify-email",
                None,
                None,
                Some(json!({"token": link})),
            )
            .await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(verified["email_verified"], true, "{verified}");
    }
    let (status, again) = c
        .call(
            "POST",
            "/auth/refresh",
            None,
            None,
            Some(json!({"refresh_token": refreshed["refresh_token"]})),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["user"]["email_verified"], true, "{again}");
    let fan = again["access_token"].as_str().expect("token").to_string();
    let (status, already) = c
        .call("POST", "/auth/verify-email/resend", Some(&fan), None, None)
        .await;
    assert_eq!(
        (status, &already["error"]["code"]),
        (409, &json!("already_verified"))
    );

    // The fan cancels the paid booking; the organiser then cancels the event.
    let (status, cancelled) = c
        .call(
            "POST",
            &format!("/bookings/{booking}/cancel"),
            Some(&fan),
            Some("journey-cancel-1"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    // cancel-booking refunds what charge-payment charged: on the cloud-shaped stack they are
    // different functions, and the provider's ledger is the one in the store.
    assert_eq!(cancelled["refunded"], true, "{cancelled}");
    let (status, off) = c
        .call(
            "POST",
            &format!("/events/{event}/cancel"),
            Some(&organiser),
            Some("journey-cancel-event-1"),
            None,
        )
        .await;
    // Off sale at once; the bookings are cancelled behind it (the queue and its worker).
    assert_eq!(
        (status, &off["status"]),
        (202, &json!("cancelling")),
        "{off}"
    );
    let done = c.event_cancelled(&organiser, &event).await;
    let progress = &done["cancellation"];
    assert!(progress["finished_at"].is_string(), "{done}");
    assert!(progress["bookings"].as_u64() >= Some(2), "{done}");

    // The fan forgets their password (request-password-reset), and sets a new one with the
    // emailed link (reset-password): once, and every session ends.
    let (status, asked) = c
        .call(
            "POST",
            "/auth/password-reset",
            None,
            None,
            Some(json!({"email": fan_email})),
        )
        .await;
    assert_eq!(status, 202, "{asked}");
    let nobody = format!("nobody-{run}@fans.example");
    let (status, alike) = c
        .call(
            "POST",
            "/auth/password-reset",
            None,
            None,
            Some(json!({"email": nobody})),
        )
        .await;
    assert_eq!(
        (status, &alike["message"]),
        (202, &asked["message"]),
        "{alike}"
    );
    let reset = nth_link(stack, &fan_email, "reset", 0).await;
    assert!(
        !links_in_mail(stack, &nobody, "reset")
            .await
            .iter()
            .any(|_| true)
    );
    let weak = json!({"token": reset, "password": "short"});
    let (status, refused) = c
        .call(
            "POST",
            "/auth/password-reset/confirm",
            None,
            None,
            Some(weak),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (400, &json!("invalid_password"))
    );
    let new_password = "an even longer passphrase";
    let change = json!({"token": reset, "password": new_password});
    let (status, changed) = c
        .call(
            "POST",
            "/auth/password-reset/confirm",
            None,
            None,
            Some(change.clone()),
        )
        .await;
    assert_eq!(
        (status, &changed["status"]),
        (200, &json!("password_changed")),
        "{changed}"
    );
    let (status, twice) = c
        .call(
            "POST",
            "/auth/password-reset/confirm",
            None,
            None,
            Some(change),
        )
        .await;
    assert_eq!(
        (status, &twice["error"]["code"]),
        (400, &json!("invalid_link")),
        "{twice}"
    );
    let (status, ended) = c
        .call(
            "POST",
            "/auth/refresh",
            None,
            None,
            Some(json!({"refresh_token": again["refresh_token"]})),
        )
        .await;
    assert_eq!(status, 401, "a reset ends every session: {ended}");
    let old = json!({"email": fan_email, "password": password});
    let (status, _) = c.call("POST", "/auth/login", None, None, Some(old)).await;
    assert_eq!(status, 401);
    let new = json!({"email": fan_email, "password": new_password});
    let (status, back) = c.call("POST", "/auth/login", None, None, Some(new)).await;
    assert_eq!(
        (status, &back["user"]["email_verified"]),
        (200, &json!(true)),
        "{back}"
    );

    Walked {
        requests: c.requests,
        booking,
        declined,
    }
}

/// An on-sale behind a waiting room: the organiser switches it on, a hold without a place in
/// it is refused, the fan joins, is admitted, holds and checks out with the admission token,
/// and the organiser sees the queue's figures.
async fn waiting_room(c: &mut Client<'_>, organiser: &str, fan: &str, run: &str) {
    let city = format!("Queueville{}", &run[..6]);
    let body = crate::event_body(&city, "concert", crate::in_days(30), 2, 10, 50);
    let event = c.published_event(organiser, body).await;
    let now = chrono::Utc::now();
    let room = json!({
        "opens_at": now - chrono::Duration::hours(1),
        "closes_at": now + chrono::Duration::days(1),
        "admit_per_minute": 6000,
    });
    let (status, set) = c
        .call(
            "PUT",
            &format!("/events/{event}/waiting-room"),
            Some(organiser),
            None,
            Some(room),
        )
        .await;
    assert_eq!(
        (status, &set["admit_per_minute"]),
        (200, &json!(6000)),
        "{set}"
    );
    let seats = json!({"seats": ["A-1-1"]});
    let holds = format!("/events/{event}/holds");
    let (status, refused) = c
        .call("POST", &holds, Some(fan), None, Some(seats.clone()))
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("queue_token_required")),
        "{refused}"
    );
    let queue = format!("/events/{event}/queue");
    let (status, joined) = c.call("POST", &queue, Some(fan), None, None).await;
    assert_eq!(
        (status, &joined["status"]),
        (201, &json!("waiting")),
        "{joined}"
    );
    // Admission passes keys a few seconds old (joins still landing are not overtaken).
    let mut token = None;
    for _ in 0..30 {
        c.stack.pass(std::time::Duration::from_secs(1)).await;
        let (status, place) = c.call("GET", &queue, Some(fan), None, None).await;
        assert_eq!(status, 200, "{place}");
        if place["status"] == "admitted" {
            token = place["admission_token"].as_str().map(str::to_string);
            break;
        }
    }
    let token = token.expect("admitted within 30 s at 100 a second");
    let url = |path: &str| format!("{}{path}", c.stack.base_url());
    c.requests += 2;
    let hold = c
        .http
        .post(url(&holds))
        .bearer_auth(fan)
        .header("admission-token", &token)
        .json(&seats)
        .send()
        .await
        .expect("request sent");
    assert_eq!(hold.status().as_u16(), 201);
    let hold: Value = hold.json().await.expect("a hold");
    let pending = c
        .http
        .post(url("/bookings"))
        .bearer_auth(fan)
        .header("admission-token", &token)
        .json(&json!({"hold_id": hold["id"], "payment_method": "pm_card_visa"}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(pending.status().as_u16(), 202);
    let pending: Value = pending.json().await.expect("a booking");
    let confirmed = c.settled(fan, pending["id"].as_str().expect("id")).await;
    assert_eq!(confirmed["status"], "confirmed", "{confirmed}");
    let (status, sales) = c
        .call(
            "GET",
            &format!("/events/{event}/sales"),
            Some(organiser),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{sales}");
    assert_eq!(sales["waiting_room"]["admitted"], json!(1), "{sales}");
    assert_eq!(sales["waiting_room"]["joined"], json!(1), "{sales}");
}

/// An event's life, and what subscribers are told about it: published; a hold released, one
/// left to expire, one booked; the ticket checked in; the event cancelled. Exactly these
/// events, once each, each valid against its published schema; a replay of them all mails
/// nobody twice.
pub async fn integration_events(stack: &dyn Stack) {
    let mut c = Client {
        stack,
        http: stagepass_cloud::http_client().build().unwrap(),
        requests: 0,
    };
    stack.listen().await;
    let started = chrono::Utc::now() - chrono::Duration::seconds(5);
    let organiser = stack.staff_token(Role::Organiser).await;
    let fan = stack.staff_token(Role::Fan).await;
    let door = stack.staff_token(Role::Door).await;
    let fan_email = crate::token_part(&fan, 1)["email"]
        .as_str()
        .expect("email")
        .to_string();

    let body = crate::event_body("Eventsville", "concert", crate::in_days(30), 1, 5, 0);
    let event = c.published_event(&organiser, body).await;
    let (status, assigned) = c
        .call(
            "POST",
            &format!("/events/{event}/staff"),
            Some(&organiser),
            None,
            Some(json!({"email": crate::token_part(&door, 1)["email"]})),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");

    unusable_messages_are_dead_lettered(stack).await;
    // Before any booking, the figures are all zero; a fan may not see them.
    let sales = sales_once(&mut c, &organiser, &event, |_| true).await;
    assert_eq!(
        (sales["bookings"].as_i64(), sales["net"].as_i64()),
        (Some(0), Some(0)),
        "{sales}"
    );
    let (status, refused) = c
        .call(
            "GET",
            &format!("/events/{event}/sales"),
            Some(&fan),
            None,
            None,
        )
        .await;
    assert_eq!(status, 403, "{refused}");

    let released = c.hold(&fan, &event, "A-1-1").await;
    let (status, answer) = c
        .call(
            "DELETE",
            &format!("/holds/{released}"),
            Some(&fan),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");

    let expired = c.hold(&fan, &event, "A-1-2").await;
    stack.let_hold_expire(&expired).await;
    eventually(
        "HoldExpired, from the sweep or the TTL stream",
        async || {
            stack
                .events_about(&event)
                .await
                .iter()
                .any(|e| e["detail-type"] == "HoldExpired")
        },
    )
    .await;

    let booking = c
        .hold_and_check_out(&fan, &event, "A-1-3", "pm_card_visa", None)
        .await;
    let confirmed = c.settled(&fan, &booking).await;
    assert_eq!(confirmed["status"], "confirmed", "{confirmed}");
    let total = confirmed["total"].as_i64().expect("total");
    assert!(total > 0);
    let sales = sales_once(&mut c, &organiser, &event, |s| s["bookings"] == 1).await;
    assert_eq!(
        (
            &sales["tickets_sold"],
            &sales["gross"],
            &sales["net"],
            &sales["currency"]
        ),
        (
            &json!(1),
            &json!(total),
            &json!(total),
            &confirmed["currency"]
        ),
        "{sales}"
    );
    let scan = json!({"qr": confirmed["tickets"][0]["qr"], "gate": "East"});
    let (status, admitted) = c
        .call("POST", "/checkins", Some(&door), None, Some(scan))
        .await;
    assert_eq!(status, 200, "{admitted}");
    let (status, cancelling) = c
        .call(
            "POST",
            &format!("/events/{event}/cancel"),
            Some(&organiser),
            None,
            None,
        )
        .await;
    assert!(status == 200 || status == 202, "{status} {cancelling}");
    c.event_cancelled(&organiser, &event).await;

    let mut expected = vec![
        "BookingCancelled",
        "BookingConfirmed",
        "EventCancelled",
        "EventPublished",
        "HoldExpired",
        "HoldReleased",
        "SeatsHeld",
        "SeatsHeld",
        "SeatsHeld",
        "TicketCheckedIn",
        "TicketIssued",
    ];
    expected.sort();
    eventually("every event of the event's life on the bus", async || {
        stack.events_about(&event).await.len() >= expected.len()
    })
    .await;
    // Anything late (a second copy) would arrive by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let events = stack.events_about(&event).await;
    let mut kinds: Vec<&str> = events
        .iter()
        .map(|e| e["detail-type"].as_str().expect("detail-type"))
        .collect();
    kinds.sort();
    assert_eq!(kinds, expected, "{events:#?}");
    let ids: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["detail"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), events.len(), "one id per fact");
    let about = |kind: &str, field: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["detail-type"] == kind)
            .map(|e| e["detail"][field].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(about("HoldReleased", "hold_id"), [released]);
    assert_eq!(about("HoldExpired", "hold_id"), [expired]);
    assert_eq!(about("BookingConfirmed", "booking_id"), [booking]);
    assert_eq!(about("BookingCancelled", "reason"), ["event_cancelled"]);
    assert_eq!(about("TicketCheckedIn", "gate"), ["East"]);
    assert!(events.iter().all(|e| e["source"] == "stagepass"));
    crate::schemas::assert_valid(&events);

    // A replay of everything sends every consumer every event again: nobody is mailed twice.
    eventually("the cancellation email", async || {
        stack.mails_to(&fan_email).await.len() >= 2
    })
    .await;
    let mails = stack.mails_to(&fan_email).await.len();
    // The event's cancellation refunded the booking: nothing sold, nothing kept.
    let settled = |s: &Value| {
        s["bookings"] == 1 && s["cancelled_bookings"] == 1 && s["net"] == 0 && s["net_tickets"] == 0
    };
    let before = sales_once(&mut c, &organiser, &event, settled).await;
    stack
        .replay(started, chrono::Utc::now() + chrono::Duration::seconds(5))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        stack.mails_to(&fan_email).await.len(),
        mails,
        "a replay mailed again"
    );
    let after = sales_once(&mut c, &organiser, &event, |_| true).await;
    assert_eq!(after, before, "a replay counted again");
}
