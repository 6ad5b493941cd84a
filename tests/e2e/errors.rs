//! Hostile and malformed input: every case gets its 4xx and code, and nothing is half-written.

use serde_json::{Value, json};
use stagepass_api::Role;
use stagepass_tests::{TestApp, event_body, in_days, token};

fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    *body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = value;
    body
}

fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().unwrap().remove(field);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_event_input_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let good = event_body("Oxford", "theatre", in_days(10), 2, 5, 10);
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "missing title",
            without(good.clone(), "title"),
            400,
            "invalid_field",
        ),
        (
            "title wrong type",
            with(good.clone(), "/title", json!(42)),
            400,
            "invalid_field",
        ),
        (
            "blank title",
            with(good.clone(), "/title", json!("  ")),
            400,
            "invalid_field",
        ),
        (
            "unknown category",
            with(good.clone(), "/category", json!("opera")),
            400,
            "invalid_field",
        ),
        (
            "unknown field",
            with(
                good.clone(),
                "/venue",
                json!({"name": "x", "city": "y", "gps": 1}),
            ),
            400,
            "invalid_field",
        ),
        (
            "start in past",
            with(good.clone(), "/starts_at", json!(past)),
            400,
            "start_time_in_past",
        ),
        (
            "start not a time",
            with(good.clone(), "/starts_at", json!("next friday")),
            400,
            "invalid_field",
        ),
        (
            "negative price",
            with(good.clone(), "/price_tiers/0/price", json!(-100)),
            400,
            "negative_price",
        ),
        (
            "fractional price",
            with(good.clone(), "/price_tiers/0/price", json!(45.5)),
            400,
            "invalid_field",
        ),
        (
            "bad currency",
            with(good.clone(), "/currency", json!("pounds")),
            400,
            "invalid_field",
        ),
        (
            "unknown tier",
            with(good.clone(), "/layout/sections/0/tier", json!("gold")),
            400,
            "invalid_layout",
        ),
        (
            "dash in section",
            with(good.clone(), "/layout/sections/0/id", json!("A-1")),
            400,
            "invalid_layout",
        ),
        (
            "zero-seat row",
            with(good.clone(), "/layout/sections/0/rows/0/seats", json!(0)),
            400,
            "invalid_layout",
        ),
        (
            "negative seats",
            with(good.clone(), "/layout/sections/0/rows/0/seats", json!(-3)),
            400,
            "invalid_field",
        ),
        (
            "huge capacity",
            with(
                good.clone(),
                "/layout/ga_areas/0/capacity",
                json!(10_000_000),
            ),
            400,
            "invalid_layout",
        ),
        ("body is an array", json!([1, 2]), 400, "invalid_field"),
        ("body is null", Value::Null, 400, "invalid_field"),
    ];
    for (name, body, status, code) in cases {
        let (got, err) = app.send("POST", "/events", Some(&org), Some(&body)).await;
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{name}: {err}"
        );
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
    for (name, raw) in [
        ("truncated", "{\"title\": "),
        ("not json", "hello"),
        ("trailing", "{}}"),
        ("empty", ""),
    ] {
        let (got, err) = app.send_raw("POST", "/events", Some(&org), raw).await;
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (400, Some("malformed_json")),
            "{name}: {err}"
        );
    }
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(300 * 1024));
    let (got, err) = app.send_raw("POST", "/events", Some(&org), huge).await;
    assert_eq!(
        (got, err["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let enormous = "x".repeat(2 * 1024 * 1024);
    let (got, _) = app.send_raw("POST", "/events", Some(&org), enormous).await;
    assert_eq!(got, 413);
    // Nothing above was stored: the organiser's search and the catalog are empty.
    let (_, listed) = app.send("GET", "/events", None, None).await;
    assert_eq!(listed["events"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_validates_and_drafts_stay_drafts() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let empty = with(
        event_body("Oxford", "theatre", in_days(10), 1, 1, 0),
        "/layout",
        json!({"sections": [], "ga_areas": []}),
    );
    let (_, draft) = app.send("POST", "/events", Some(&org), Some(&empty)).await;
    let id = draft["id"].as_str().unwrap();
    let (status, err) = app
        .send("POST", &format!("/events/{id}/publish"), Some(&org), None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("event_incomplete"))
    );
    let (status, err) = app
        .send(
            "PATCH",
            &format!("/events/{id}"),
            Some(&org),
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("invalid_field"))
    );
    let (status, err) = app
        .send(
            "PATCH",
            &format!("/events/{id}"),
            Some(&org),
            Some(&json!({"price_tiers": [{"id": "std", "name": "S", "price": -1}]})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("negative_price"))
    );
    let (_, stored) = app
        .send("GET", &format!("/events/{id}"), Some(&org), None)
        .await;
    assert_eq!(stored["status"], "draft");
    assert_eq!(stored["version"], 1, "refused edits wrote nothing");
    assert_eq!(stored["price_tiers"][0]["price"], 4500);
    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/events/{unknown}/publish"),
        "/events/not-a-uuid/publish".to_string(),
        "/events/..%2F..%2Fetc/publish".to_string(),
    ] {
        let (status, err) = app.send("POST", &path, Some(&org), None).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (404, Some("event_not_found")),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_hold_requests_are_refused_and_hold_nothing() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let fan = token("fan", Role::Fan);
    let id = app
        .published_event(&org, &event_body("Bath", "concert", in_days(4), 2, 5, 10))
        .await;
    let (_, draft) = app
        .send(
            "POST",
            "/events",
            Some(&org),
            Some(&event_body("Bath", "concert", in_days(4), 1, 5, 0)),
        )
        .await;
    let draft_id = draft["id"].as_str().unwrap().to_string();
    let hold = |event: &str| format!("/events/{event}/holds");
    let many: Vec<String> = (1..=5)
        .flat_map(|n| [format!("A-1-{n}"), format!("A-2-{n}")])
        .chain(["A-1-1".to_string()])
        .collect();
    let eleven: Vec<String> = (1..=5)
        .flat_map(|n| [format!("A-1-{n}"), format!("A-2-{n}")])
        .collect();
    let cases: Vec<(&str, String, Value, u16, &str)> = vec![
        (
            "empty",
            hold(&id),
            json!({"seats": []}),
            400,
            "empty_seat_list",
        ),
        ("nothing", hold(&id), json!({}), 400, "empty_seat_list"),
        (
            "duplicates",
            hold(&id),
            json!({"seats": ["A-1-1", "A-1-1"]}),
            400,
            "duplicate_seats",
        ),
        (
            "unknown seats",
            hold(&id),
            json!({"seats": ["A-1-1", "A-9-1", "Z-1-1", "A-1-6"]}),
            400,
            "unknown_seats",
        ),
        (
            "unknown area",
            hold(&id),
            json!({"ga": [{"area": "balcony", "quantity": 1}]}),
            400,
            "unknown_seats",
        ),
        (
            "zero places",
            hold(&id),
            json!({"ga": [{"area": "floor", "quantity": 0}]}),
            400,
            "invalid_field",
        ),
        (
            "negative places",
            hold(&id),
            json!({"ga": [{"area": "floor", "quantity": -2}]}),
            400,
            "invalid_field",
        ),
        (
            "too many",
            hold(&id),
            json!({"seats": many[..10].to_vec(), "ga": [{"area": "floor", "quantity": 1}]}),
            400,
            "too_many_seats",
        ),
        (
            "too many seats",
            hold(&id),
            json!({"seats": eleven, "ga": [{"area": "floor", "quantity": 1}]}),
            400,
            "too_many_seats",
        ),
        (
            "more than capacity",
            hold(&id),
            json!({"ga": [{"area": "floor", "quantity": 11}]}),
            400,
            "too_many_seats",
        ),
        (
            "seats not a list",
            hold(&id),
            json!({"seats": "A-1-1"}),
            400,
            "invalid_field",
        ),
        (
            "injection",
            hold(&id),
            json!({"seats": ["A-1-1' OR '1'='1", "A-1-1#"]}),
            400,
            "unknown_seats",
        ),
        (
            // As when reading it: 409 event_not_on_sale told a fan the draft existed.
            "unpublished",
            hold(&draft_id),
            json!({"seats": ["A-1-1"]}),
            404,
            "event_not_found",
        ),
        (
            "unknown event",
            hold(&uuid::Uuid::new_v4().to_string()),
            json!({"seats": ["A-1-1"]}),
            404,
            "event_not_found",
        ),
    ];
    for (name, path, body, status, code) in cases {
        let (got, err) = app.send("POST", &path, Some(&fan), Some(&body)).await;
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{name}: {err}"
        );
    }
    let (_, err) = app
        .send(
            "POST",
            &hold(&id),
            Some(&fan),
            Some(&json!({"seats": ["A-1-1", "A-9-1", "Z-1-1"]})),
        )
        .await;
    assert_eq!(
        err["error"]["seats"],
        json!(["A-9-1", "Z-1-1"]),
        "every unknown seat is named"
    );
    let (seats, areas) = app.seat_states(&id).await;
    assert!(
        seats.values().all(|s| s == "available"),
        "nothing was held: {seats:?}"
    );
    assert_eq!(areas["floor"], 10);
    // Places are limited by what is left: ask for more than remain.
    let (status, _) = app
        .send(
            "POST",
            &hold(&id),
            Some(&fan),
            Some(&json!({"ga": [{"area": "floor", "quantity": 8}]})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, err) = app
        .send(
            "POST",
            &hold(&id),
            Some(&token("fan2", Role::Fan)),
            Some(&json!({"ga": [{"area": "floor", "quantity": 3}]})),
        )
        .await;
    assert_eq!(
        (
            status,
            err["error"]["code"].as_str(),
            err["error"]["available"].as_u64()
        ),
        (409, Some("not_enough_places"), Some(2))
    );
    assert_eq!(app.seat_states(&id).await.1["floor"], 2);
    // A bad Idempotency-Key is refused before anything happens.
    let res = app
        .http
        .post(app.url(&hold(&id)))
        .bearer_auth(&fan)
        .header("Idempotency-Key", "")
        .json(&json!({"seats": ["A-1-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_methods_and_queries_are_clear() {
    let app = TestApp::spawn().await;
    let (status, err) = app.send("GET", "/tickets", None, None).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("route_not_found"))
    );
    let (status, err) = app.send("PUT", "/events", None, None).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    for query in [
        "limit=0",
        "limit=abc",
        "category=opera",
        "from=tomorrow",
        "cursor=%%%",
        "cursor=aGVsbG8",
    ] {
        let (status, err) = app
            .send("GET", &format!("/events?{query}"), None, None)
            .await;
        assert_eq!(status, 400, "{query}: {err}");
        assert!(err["error"]["code"].is_string());
    }
}
