use chrono::Duration;
use serde_json::json;
use stagepass_api::Role;
use stagepass_domain::HoldSettings;
use stagepass_tests::{TestApp, event_body, in_days, token};

/// An organiser creates, edits and publishes; a fan searches, opens, holds; a rival is refused
/// with the seats named; a release and an expiry both free seats at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn organiser_and_fans_walk_through_events_and_holds() {
    let app = TestApp::spawn().await;
    let org = token("org-1", Role::Organiser);
    let fan = token("fan-1", Role::Fan);
    let rival = token("fan-2", Role::Fan);

    let (status, draft) = app
        .send(
            "POST",
            "/events",
            Some(&org),
            Some(&event_body("Manchester", "concert", in_days(30), 3, 10, 50)),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap().to_string();

    // Drafts are invisible to the public and to search.
    assert_eq!(
        app.send("GET", &format!("/events/{id}"), None, None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.send("GET", &format!("/events/{id}"), Some(&org), None)
            .await
            .0,
        200
    );
    let (_, found) = app.send("GET", "/events?city=manchester", None, None).await;
    assert_eq!(found["events"].as_array().unwrap().len(), 0);

    // Edit the draft, then publish it.
    let (status, edited) = app
        .send("PATCH", &format!("/events/{id}"), Some(&org), Some(&json!({"title": "Manchester Live", "price_tiers": [{"id": "std", "name": "Standard", "price": 3900}]})))
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["title"], "Manchester Live");
    assert_eq!(edited["version"], 2);
    let (status, published) = app
        .send("POST", &format!("/events/{id}/publish"), Some(&org), None)
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"], "published");
    // Published events are frozen.
    let (status, err) = app
        .send(
            "PATCH",
            &format!("/events/{id}"),
            Some(&org),
            Some(&json!({"title": "x"})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("event_not_draft"))
    );

    // Anyone can find and open it.
    let (status, found) = app
        .send(
            "GET",
            "/events?city=MANCHESTER&category=concert",
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(found["events"][0]["id"], id.as_str());
    assert_eq!(found["events"][0]["price_from"], 3900);
    let (seats, areas) = app.seat_states(&id).await;
    assert_eq!(seats.len(), 30);
    assert!(seats.values().all(|s| s == "available"));
    assert_eq!(areas["floor"], 50);

    // A fan holds two seats and three standing places in one request.
    let (status, hold) = app
        .send(
            "POST",
            &format!("/events/{id}/holds"),
            Some(&fan),
            Some(&json!({"seats": ["A-1-1", "A-1-2"], "ga": [{"area": "floor", "quantity": 3}]})),
        )
        .await;
    assert_eq!(status, 201, "{hold}");
    assert_eq!(hold["status"], "active");
    assert_eq!(hold["total"]["amount"], 5 * 3900);
    assert_eq!(hold["total"]["currency"], "GBP");
    assert_eq!(hold["places"].as_array().unwrap().len(), 3);
    let hold_id = hold["id"].as_str().unwrap().to_string();
    let expires: chrono::DateTime<chrono::Utc> =
        hold["expires_at"].as_str().unwrap().parse().unwrap();
    let created: chrono::DateTime<chrono::Utc> =
        hold["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires - created,
        Duration::minutes(10),
        "default hold lasts 10 minutes"
    );
    let (seats, areas) = app.seat_states(&id).await;
    assert_eq!(seats["A-1-1"], "held");
    assert_eq!(seats["A-1-2"], "held");
    assert_eq!(areas["floor"], 47);

    // A rival asking for any of them is told exactly which are taken, and gets none.
    let (status, err) = app
        .send(
            "POST",
            &format!("/events/{id}/holds"),
            Some(&rival),
            Some(&json!({"seats": ["A-1-3", "A-1-2", "A-1-1"]})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "seats_unavailable");
    assert_eq!(err["error"]["seats"], json!(["A-1-1", "A-1-2"]));
    assert_eq!(
        app.seat_states(&id).await.0["A-1-3"],
        "available",
        "all or nothing"
    );

    // Only the holder can release; then the seats are free at once.
    let (status, _) = app
        .send("DELETE", &format!("/holds/{hold_id}"), Some(&rival), None)
        .await;
    assert_eq!(status, 404);
    let (status, released) = app
        .send("DELETE", &format!("/holds/{hold_id}"), Some(&fan), None)
        .await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    let (seats, areas) = app.seat_states(&id).await;
    assert!(seats.values().all(|s| s == "available"));
    assert_eq!(areas["floor"], 50);
    let (status, err) = app
        .send("DELETE", &format!("/holds/{hold_id}"), Some(&fan), None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("hold_not_active"))
    );

    // The rival holds; when the hold expires the seats are free immediately (no TTL sweep).
    let (status, _) = app
        .send(
            "POST",
            &format!("/events/{id}/holds"),
            Some(&rival),
            Some(&json!({"seats": ["A-2-5"]})),
        )
        .await;
    assert_eq!(status, 201);
    app.clock
        .advance(Duration::minutes(10) - Duration::milliseconds(1));
    assert_eq!(app.seat_states(&id).await.0["A-2-5"], "held");
    let (status, _) = app
        .send(
            "POST",
            &format!("/events/{id}/holds"),
            Some(&fan),
            Some(&json!({"seats": ["A-2-5"]})),
        )
        .await;
    assert_eq!(status, 409, "still held one millisecond before expiry");
    app.clock.advance(Duration::milliseconds(1));
    assert_eq!(app.seat_states(&id).await.0["A-2-5"], "available");
    let (status, hold) = app
        .send(
            "POST",
            &format!("/events/{id}/holds"),
            Some(&fan),
            Some(&json!({"seats": ["A-2-5"]})),
        )
        .await;
    assert_eq!(status, 201, "{hold}");
}

/// Holds are never extended: holding your own seats again is refused like anyone else's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_cannot_be_extended_by_holding_again() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let fan = token("fan", Role::Fan);
    let id = app
        .published_event(&org, &event_body("Bristol", "theatre", in_days(9), 1, 5, 0))
        .await;
    let path = format!("/events/{id}/holds");
    let (status, first) = app
        .send(
            "POST",
            &path,
            Some(&fan),
            Some(&json!({"seats": ["A-1-1"]})),
        )
        .await;
    assert_eq!(status, 201);
    app.clock.advance(Duration::minutes(9));
    let (status, err) = app
        .send(
            "POST",
            &path,
            Some(&fan),
            Some(&json!({"seats": ["A-1-1"]})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("seats_unavailable"))
    );
    app.clock.advance(Duration::minutes(1));
    assert_eq!(
        app.seat_states(&id).await.0["A-1-1"],
        "available",
        "expiry stayed where the first hold set it: {first}"
    );
}

/// The same Idempotency-Key replays the first hold; reused with another body it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hold_retries_with_an_idempotency_key_hold_once() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let fan = token("fan", Role::Fan);
    let id = app
        .published_event(
            &org,
            &event_body("Cardiff", "sports", in_days(5), 2, 10, 30),
        )
        .await;
    let send = |body: serde_json::Value, key: &'static str| {
        let req = app
            .http
            .post(app.url(&format!("/events/{id}/holds")))
            .bearer_auth(&fan)
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    // Twenty concurrent retries of one request: one hold, every answer the same hold.
    let body = json!({"seats": ["A-1-1", "A-1-2"], "ga": [{"area": "floor", "quantity": 2}]});
    let answers = futures_join(20, || send(body.clone(), "retry-1")).await;
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|(_, h)| h["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    // Retries replay the first answer, status included (Stripe's Idempotency-Key rule).
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 201);
    let places: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|(_, h)| h["places"].to_string())
        .collect();
    assert_eq!(places.len(), 1, "replays return the places first picked");
    assert_eq!(app.seat_states(&id).await.1["floor"], 28);

    let (status, err) = send(json!({"seats": ["A-2-1"]}), "retry-1").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(app.seat_states(&id).await.0["A-2-1"], "available");
}

async fn futures_join<F, Fut>(n: usize, make: F) -> Vec<(u16, serde_json::Value)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (u16, serde_json::Value)> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(make())).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Search: filters, date window, and cursor pagination that visits every event exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_pages_through_every_match_once() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let mut leeds = Vec::new();
    for day in 1..=7 {
        leeds.push(
            app.published_event(&org, &event_body("Leeds", "comedy", in_days(day), 1, 2, 0))
                .await,
        );
    }
    app.published_event(&org, &event_body("Leeds", "concert", in_days(3), 1, 2, 0))
        .await;
    app.published_event(&org, &event_body("York", "comedy", in_days(3), 1, 2, 0))
        .await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/events?city=leeds&category=comedy&limit=3".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.send("GET", &path, None, None).await;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 3);
        seen.extend(events.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, leeds, "every match once, in start order");
    let from =
        (in_days(2) + Duration::hours(12)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (in_days(4) + Duration::hours(12)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, page) = app
        .send(
            "GET",
            &format!("/events?city=leeds&category=comedy&from={from}&to={to}"),
            None,
            None,
        )
        .await;
    let ids: Vec<_> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, leeds[2..4].to_vec());
}

/// Stop the server and start it again on the same folder: events and holds are still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_a_restart() {
    let app = TestApp::spawn().await;
    let org = token("org", Role::Organiser);
    let fan = token("fan", Role::Fan);
    let id = app
        .published_event(
            &org,
            &event_body("Glasgow", "festival", in_days(20), 1, 4, 0),
        )
        .await;
    let (status, hold) = app
        .send(
            "POST",
            &format!("/events/{id}/holds"),
            Some(&fan),
            Some(&json!({"seats": ["A-1-2"]})),
        )
        .await;
    assert_eq!(status, 201);
    let data_dir = app.data_dir.clone();
    let (dir, clock) = app.stop().await;
    let app = TestApp::start(&data_dir, HoldSettings::default(), clock).await;
    let (seats, _) = app.seat_states(&id).await;
    assert_eq!(seats["A-1-2"], "held");
    let (_, found) = app.send("GET", "/events?city=glasgow", None, None).await;
    assert_eq!(found["events"][0]["id"], id.as_str());
    let (status, _) = app
        .send(
            "DELETE",
            &format!("/holds/{}", hold["id"].as_str().unwrap()),
            Some(&fan),
            None,
        )
        .await;
    assert_eq!(status, 200);
    drop(dir);
}

/// Organisers manage only their own events; fans none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisers_manage_only_their_own_events() {
    let app = TestApp::spawn().await;
    let alice = token("alice", Role::Organiser);
    let bob = token("bob", Role::Organiser);
    let fan = token("fan", Role::Fan);
    let body = event_body("Hull", "other", in_days(8), 1, 3, 0);
    let (status, err) = app.send("POST", "/events", Some(&fan), Some(&body)).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (_, draft) = app.send("POST", "/events", Some(&alice), Some(&body)).await;
    let id = draft["id"].as_str().unwrap();
    let (status, _) = app
        .send(
            "PATCH",
            &format!("/events/{id}"),
            Some(&bob),
            Some(&json!({"title": "mine now"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send("POST", &format!("/events/{id}/publish"), Some(&bob), None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.send("GET", &format!("/events/{id}"), Some(&bob), None)
            .await
            .0,
        404
    );
    let admin = token("root", Role::Admin);
    assert_eq!(
        app.send("GET", &format!("/events/{id}"), Some(&admin), None)
            .await
            .0,
        200
    );
}

/// The journey the cloud-shaped stack runs (`tests/cloud`), here on the embedded stack: the
/// same requests through every function, the same answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_function_journey_on_the_embedded_stack() {
    let app = TestApp::spawn().await;
    let walked = stagepass_tests::journey::every_function(&app).await;
    assert!(walked.requests > 25);
    app.stop().await;
}

/// An event's life emits exactly its integration events, once each, valid against their
/// schemas, in the local archive (`GET /dev/events`); replaying them mails nobody twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_events_life_emits_each_integration_event_once() {
    let app = TestApp::spawn().await;
    stagepass_tests::journey::integration_events(&app).await;
}
