//! Checkout and the booking saga over HTTP on the local server, which runs the saga from
//! `infra/booking-saga.asl.json`: tickets, emails, money and seats are checked at the end of
//! every journey.

use chrono::Duration;
use serde_json::{Value, json};
use stagepass_api::Role;
use stagepass_domain::bookings::payments::cards;
use stagepass_tests::booking::qr_payload;
use stagepass_tests::{TestApp, buyer_token, event_body, in_days, token};
use std::sync::Arc;

async fn event(app: &TestApp) -> (String, String) {
    let org = app.account_token(Role::Organiser).await;
    let id = app
        .published_event(&org, &event_body("Leeds", "concert", in_days(20), 2, 6, 0))
        .await;
    (org, id)
}

fn booking_id(b: &Value) -> String {
    b["id"].as_str().unwrap().to_string()
}

/// Money the provider kept for a booking (the booking id is its idempotency key).
async fn kept(app: &TestApp, booking: &str) -> i64 {
    app.payments.net(booking).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fan_checks_out_and_gets_pdf_tickets_with_a_verifiable_qr_by_email() {
    let app = TestApp::spawn().await;
    let (_, event) = event(&app).await;
    let fan = buyer_token("fan-happy");
    let hold = app.hold(&fan, &event, &["A-1-1", "A-1-2"]).await;

    let (status, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    assert_eq!(status, 202, "{pending}");
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["payment"], "card (visa)");
    let id = booking_id(&pending);

    let booking = app.settled_booking(&fan, &id).await;
    assert_eq!(booking["status"], "confirmed", "{booking}");
    assert_eq!(booking["total"], 2 * 4500);
    let tickets = booking["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    assert_eq!(kept(&app, &id).await, 2 * 4500);
    assert_eq!(app.payments.totals().await.charges, 1);

    // Each ticket is a real PDF whose QR code carries a ticket signed with our keys.
    let files = app.ports.files.clone().unwrap();
    for (t, seat) in tickets.iter().zip(["A-1-1", "A-1-2"]) {
        assert_eq!(t["seat"], seat);
        let url = t["url"].as_str().unwrap();
        assert!(url.starts_with("file://"), "{url}");
        let key = format!("tickets/{id}/{}.pdf", t["id"].as_str().unwrap());
        let pdf = files.get(&key).await.unwrap().expect("ticket PDF stored");
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let payload = qr_payload(&pdf);
        assert_eq!(
            t["qr"],
            payload.as_str(),
            "the booking carries the printed QR"
        );
        let claims = stagepass_tests::ticket_verifier()
            .verify_ticket(&payload)
            .expect("the QR verifies offline with the public keys");
        assert_eq!(claims.ticket, t["id"].as_str().unwrap());
        assert_eq!(claims.seat, seat);
        assert_eq!(claims.event, event);
    }

    // The seats are sold; one email with both PDFs went to the fan.
    let (seats, _) = app.seat_states(&event).await;
    assert_eq!(seats["A-1-1"], "sold");
    assert_eq!(seats["A-1-2"], "sold");
    assert_eq!(app.emails_to("fan-happy@fans.example", "Your tickets"), 1);
    let mail = &app.emails()[0];
    assert_eq!(mail.matches("Content-Type: application/pdf").count(), 2);
    // The email links to the booking (which mints fresh ticket links when opened), never to
    // a ticket file: a presigned link would outlive the credentials that signed it.
    let text = stagepass_tests::mail_text(mail);
    assert!(text.contains(&format!("/bookings/{id}\n")), "{text}");
    assert!(
        !text.contains("file://") && !text.contains("X-Amz"),
        "{text}"
    );
    let kinds = app.published_about(&id);
    assert_eq!(
        kinds,
        ["BookingConfirmed", "TicketIssued", "TicketIssued"],
        "{kinds:?}"
    );

    // The fan sees it in their list; nobody else sees it at all.
    let (status, mine) = app.send("GET", "/me/bookings", Some(&fan), None).await;
    assert_eq!(status, 200);
    assert_eq!(mine["bookings"][0]["id"], id.as_str());
    let other = buyer_token("fan-other");
    let (status, _) = app
        .send("GET", &format!("/bookings/{id}"), Some(&other), None)
        .await;
    assert_eq!(status, 404);
    let (_, theirs) = app.send("GET", "/me/bookings", Some(&other), None).await;
    assert_eq!(theirs["bookings"], json!([]));

    // Checking the same hold out again is the same booking, not a second charge.
    let (status, again) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(booking_id(&again), id);
    assert_eq!(app.payments.totals().await.charges, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_test_card_ends_confirmed_or_failed_with_money_and_seats_settled() {
    let app = TestApp::spawn().await;
    let (_, event) = event(&app).await;
    let cases = [
        (cards::DECLINED, "failed", Some("card_declined")),
        (
            cards::INSUFFICIENT_FUNDS,
            "failed",
            Some("insufficient_funds"),
        ),
        (cards::PROVIDER_DOWN, "failed", Some("payment_unavailable")),
        (cards::TRANSIENT_ERROR, "confirmed", None),
        (cards::TIMEOUT, "confirmed", None),
    ];
    for (n, (card, outcome, reason)) in cases.into_iter().enumerate() {
        let fan = buyer_token(&format!("fan-card-{n}"));
        let seat = format!("A-2-{}", n + 1);
        let hold = app.hold(&fan, &event, &[&seat]).await;
        let (status, pending) = app.checkout(&fan, &hold, card, None).await;
        assert_eq!(status, 202, "{pending}");
        let id = booking_id(&pending);
        let b = app.settled_booking(&fan, &id).await;
        assert_eq!(b["status"], outcome, "{card}: {b}");
        let (seats, _) = app.seat_states(&event).await;
        let email = format!("fan-card-{n}@fans.example");
        if let Some(reason) = reason {
            assert_eq!(b["reason"], reason, "{card}");
            assert_eq!(kept(&app, &id).await, 0, "{card}: nothing kept");
            assert_eq!(seats[&seat], "available", "{card}: seat released");
            assert_eq!(b["tickets"], json!([]));
            assert_eq!(
                app.emails_to(&email, "Your booking could not be completed"),
                1
            );
            assert_eq!(app.published_about(&id), ["BookingFailed"]);
        } else {
            assert_eq!(kept(&app, &id).await, 4500, "{card}: charged once");
            assert_eq!(seats[&seat], "sold");
            assert_eq!(app.emails_to(&email, "Your tickets"), 1);
        }
        let charge = app.payments.entry(&id).await;
        assert!(
            charge.is_none() || charge.as_ref().unwrap().amount == 4500,
            "{card}: one charge of the total"
        );
    }
    let t = app.payments.totals().await;
    // Two confirmed, no failed booking was charged (declines take nothing).
    assert_eq!((t.charges, t.refunds), (2, 0));
}

/// Checkout keeps the seats past the hold's expiry while the saga runs; a saga that only gets
/// to them after that deadline (the provider was down for a quarter of an hour) sells them if
/// nobody took them, and if someone did, the buyer is refunded automatically and the other fan
/// keeps the seats.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_late_payment_gets_the_seats_if_still_free_and_is_refunded_if_not() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(stagepass_domain::ManualClock::new(chrono::Utc::now()));
    let options = stagepass_local::LocalOptions {
        auto_run_saga: false,
        delay_scale: 0.0,
        ..Default::default()
    };
    let app = TestApp::start_system(
        dir.path(),
        Default::default(),
        Default::default(),
        clock.clone(),
        stagepass_tests::keys(),
        options,
    )
    .await;
    let (_, event) = event(&app).await;
    let late = buyer_token("fan-late");
    let unlucky = buyer_token("fan-unlucky");
    let rival = buyer_token("fan-rival");

    let free_hold = app.hold(&late, &event, &["A-1-1"]).await;
    let taken_hold = app.hold(&unlucky, &event, &["A-1-2"]).await;
    let (_, free) = app.checkout(&late, &free_hold, cards::SUCCESS, None).await;
    let (_, taken) = app
        .checkout(&unlucky, &taken_hold, cards::SUCCESS, None)
        .await;

    // Both holds expire before the saga runs, but checkout kept the seats.
    clock.advance(Duration::minutes(11));
    let (status, refused) = app
        .send(
            "POST",
            &format!("/events/{event}/holds"),
            Some(&rival),
            Some(&serde_json::json!({ "seats": ["A-1-2"] })),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    // Past the saga's deadline a rival takes one of the seats.
    clock.advance(stagepass_domain::bookings::checkout::SEATS_KEPT_FOR_SAGA);
    let rival_hold = app.hold(&rival, &event, &["A-1-2"]).await;

    for b in [&free, &taken] {
        app.saga.execute(b["id"].as_str().unwrap()).await.unwrap();
    }
    let free = app.settled_booking(&late, &booking_id(&free)).await;
    let taken = app.settled_booking(&unlucky, &booking_id(&taken)).await;
    assert_eq!(free["status"], "confirmed", "{free}");
    assert_eq!(kept(&app, &booking_id(&free)).await, 4500);
    assert_eq!(taken["status"], "failed", "{taken}");
    assert_eq!(taken["reason"], "seats_taken");
    assert_eq!(taken["refunded"], true);
    assert_eq!(kept(&app, &booking_id(&taken)).await, 0);
    assert!(
        app.payments.entry(&booking_id(&taken)).await.is_some(),
        "it was charged, then refunded"
    );

    let (seats, _) = app.seat_states(&event).await;
    assert_eq!(seats["A-1-1"], "sold");
    assert_eq!(seats["A-1-2"], "held", "the rival's hold is untouched");
    let (status, rival_view) = app
        .send(
            "DELETE",
            &format!("/holds/{rival_hold}"),
            Some(&rival),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rival_view}");

    // A hold that expired before checkout cannot be checked out at all.
    let stale = app.hold(&late, &event, &["A-1-3"]).await;
    clock.advance(Duration::minutes(11));
    let (status, refused) = app.checkout(&late, &stale, cards::SUCCESS, None).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "hold_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fan_cancels_a_booking_and_is_refunded_and_the_seats_go_back_on_sale() {
    let app = TestApp::spawn().await;
    let (org, event) = event(&app).await;
    let fan = buyer_token("fan-cancel");
    let hold = app.hold(&fan, &event, &["A-1-4"]).await;
    let (_, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    let id = booking_id(&pending);
    let confirmed = app.settled_booking(&fan, &id).await;
    assert_eq!(confirmed["status"], "confirmed");

    // Only the buyer may cancel it; a pending or failed booking cannot be cancelled.
    let (status, _) = app
        .send(
            "POST",
            &format!("/bookings/{id}/cancel"),
            Some(&buyer_token("x")),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, cancelled) = app
        .send("POST", &format!("/bookings/{id}/cancel"), Some(&fan), None)
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["reason"], "cancelled_by_buyer");
    assert_eq!(cancelled["refunded"], true);
    assert_eq!(cancelled["tickets"][0]["status"], "void");
    assert_eq!(kept(&app, &id).await, 0);
    let (seats, _) = app.seat_states(&event).await;
    assert_eq!(seats["A-1-4"], "available");
    app.drain_outbox().await;
    assert_eq!(
        app.emails_to("fan-cancel@fans.example", "Booking cancelled"),
        1
    );
    assert!(
        app.published_about(&id)
            .contains(&"BookingCancelled".to_string())
    );

    // Cancelling again changes nothing and refunds nothing more.
    let (status, again) = app
        .send("POST", &format!("/bookings/{id}/cancel"), Some(&fan), None)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(app.payments.totals().await.refunds, 1);
    app.drain_outbox().await;
    assert_eq!(
        app.emails_to("fan-cancel@fans.example", "Booking cancelled"),
        1
    );

    // The voided ticket no longer gets in.
    let pdf = app
        .ports
        .files
        .as_ref()
        .unwrap()
        .get(&format!("tickets/{id}/{id}-1.pdf"))
        .await
        .unwrap()
        .unwrap();
    let door = app.door_for(&org, &event).await;
    let (status, refused) = app
        .send(
            "POST",
            "/checkins",
            Some(&door),
            Some(&json!({"qr": qr_payload(&pdf), "gate": "North"})),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "ticket_void");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_organiser_cancels_the_event_and_every_booking_is_refunded_and_emailed() {
    let app = TestApp::spawn().await;
    let (org, event) = event(&app).await;
    let mut ids = Vec::new();
    for (n, seat) in ["A-1-1", "A-1-2", "A-2-1"].iter().enumerate() {
        let fan = buyer_token(&format!("fan-ev-{n}"));
        let hold = app.hold(&fan, &event, &[seat]).await;
        let (_, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
        let b = app.settled_booking(&fan, &booking_id(&pending)).await;
        assert_eq!(b["status"], "confirmed");
        ids.push((fan, booking_id(&b)));
    }

    let rival_org = app.account_token(Role::Organiser).await;
    let (status, _) = app
        .send(
            "POST",
            &format!("/events/{event}/cancel"),
            Some(&rival_org),
            None,
        )
        .await;
    assert_eq!(
        status, 404,
        "another organiser's event is not theirs to cancel"
    );
    let (status, _) = app
        .send(
            "POST",
            &format!("/events/{event}/cancel"),
            Some(&ids[0].0),
            None,
        )
        .await;
    assert_eq!(status, 403, "fans cannot cancel events");

    let (status, answer) = app
        .send("POST", &format!("/events/{event}/cancel"), Some(&org), None)
        .await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("cancelling")),
        "{answer}"
    );
    let progress = app.cancel_event(&org, &event).await;
    assert_eq!(
        (&progress["bookings"], &progress["cancelled"]),
        (&json!(3), &json!(3))
    );
    app.drain_outbox().await;
    for (n, (fan, id)) in ids.iter().enumerate() {
        let (_, b) = app
            .send("GET", &format!("/bookings/{id}"), Some(fan), None)
            .await;
        assert_eq!(b["status"], "cancelled");
        assert_eq!(b["reason"], "event_cancelled");
        assert_eq!(kept(&app, id).await, 0);
        assert_eq!(
            app.emails_to(&format!("fan-ev-{n}@fans.example"), "Booking cancelled"),
            1
        );
    }
    assert!(
        app.published_about(&event)
            .contains(&"EventCancelled".to_string())
    );
    // Off sale and out of search; a retry of the cancel refunds nothing more.
    assert_eq!(
        app.send("GET", &format!("/events/{event}"), None, None)
            .await
            .0,
        404
    );
    let (status, again) = app
        .send("POST", &format!("/events/{event}/cancel"), Some(&org), None)
        .await;
    assert_eq!(
        (status, &again["status"]),
        (200, &json!("cancelled")),
        "{again}"
    );
    assert_eq!(again["cancellation"], progress, "nothing more to do");
    assert_eq!(app.payments.totals().await.refunds, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ticket_gets_in_once_and_forged_or_unknown_tickets_are_refused() {
    let app = TestApp::spawn().await;
    let (org, event) = event(&app).await;
    let fan = buyer_token("fan-door");
    let hold = app.hold(&fan, &event, &["A-1-5"]).await;
    let (_, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    let id = booking_id(&pending);
    app.settled_booking(&fan, &id).await;
    let pdf = app
        .ports
        .files
        .as_ref()
        .unwrap()
        .get(&format!("tickets/{id}/{id}-1.pdf"))
        .await
        .unwrap()
        .unwrap();
    let qr = qr_payload(&pdf);
    let door = app.door_for(&org, &event).await;
    let scan = |qr: String, gate: &str| json!({"qr": qr, "gate": gate});

    let (status, _) = app
        .send(
            "POST",
            "/checkins",
            Some(&fan),
            Some(&scan(qr.clone(), "North")),
        )
        .await;
    assert_eq!(status, 403, "fans cannot check tickets in");

    let (status, first) = app
        .send(
            "POST",
            "/checkins",
            Some(&door),
            Some(&scan(qr.clone(), "North")),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], "admitted");
    assert_eq!(first["seat"], "A-1-5");

    let (status, second) = app
        .send(
            "POST",
            "/checkins",
            Some(&door),
            Some(&scan(qr.clone(), "South")),
        )
        .await;
    assert_eq!(status, 409, "{second}");
    assert_eq!(second["error"]["code"], "ticket_already_used");
    let message = second["error"]["message"].as_str().unwrap();
    assert!(message.contains("gate North"), "{message}");
    assert!(
        message.contains(&first["checked_in_at"].as_str().unwrap()[..16]),
        "{message}"
    );

    // A ticket signed by someone else's key or by our access-token key, an access token, a
    // tampered QR, garbage.
    let claims = stagepass_domain::TicketClaims {
        ticket: format!("{id}-1"),
        event: event.clone(),
        seat: "A-1-5".into(),
    };
    let forger = stagepass_api::Signer::from_key_set(&stagepass_api::KeySet::generate()).unwrap();
    let forged = forger.sign_ticket(&claims);
    let with_access_key = stagepass_tests::tokens().sign_ticket(&claims);
    let access = token("fan-door", Role::Fan);
    let mut tampered = qr.clone();
    tampered.insert(tampered.len() - 3, 'x');
    for bad in [
        forged,
        with_access_key,
        access,
        tampered,
        "not a ticket".into(),
        "x".repeat(5000),
    ] {
        let (status, refused) = app
            .send("POST", "/checkins", Some(&door), Some(&scan(bad, "North")))
            .await;
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["error"]["code"], "ticket_not_recognised");
    }
    let (status, _) = app
        .send("POST", "/checkins", Some(&door), Some(&json!({"qr": qr})))
        .await;
    assert_eq!(status, 400, "the gate is required");
    app.drain_outbox().await;
    assert!(
        app.published_about(&id)
            .contains(&"TicketCheckedIn".to_string())
    );
}

/// Door staff admit only tickets of the events their organiser assigned them to (admins
/// any), and a refused scan leaves the ticket as it was. Before, any door account could check
/// in — and so use up — any event's tickets.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn door_staff_admit_only_tickets_of_the_events_they_are_assigned_to() {
    let app = TestApp::spawn().await;
    let (other_org, other_event) = event(&app).await;
    let (org, event) = event(&app).await;
    let fan = buyer_token("fan-scope");
    let hold = app.hold(&fan, &event, &["A-1-1", "A-1-2"]).await;
    let (_, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    let id = booking_id(&pending);
    let booking = app.settled_booking(&fan, &id).await;
    let qr = |i: usize| booking["tickets"][i]["qr"].as_str().unwrap().to_string();
    let app = &app;
    let scan = |door: String, qr: String| async move {
        app.send(
            "POST",
            "/checkins",
            Some(&door),
            Some(&json!({"qr": qr, "gate": "North"})),
        )
        .await
    };

    let elsewhere = app.door_for(&other_org, &other_event).await;
    let unassigned = app.account_token(Role::Door).await;
    for door in [&elsewhere, &unassigned] {
        let (status, refused) = scan(door.clone(), qr(0)).await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (403, Some("not_assigned_to_event")),
            "{refused}"
        );
    }
    let door = app.door_for(&org, &event).await;
    let (status, admitted) = scan(door.clone(), qr(0)).await;
    assert_eq!((status, &admitted["status"]), (200, &json!("admitted")));

    // Assigning again changes nothing; the list shows who is on the door.
    let claims = stagepass_tests::token_part(&door, 1);
    let staff = format!("/events/{event}/staff");
    let (status, list) = app
        .send(
            "POST",
            &staff,
            Some(&org),
            Some(&json!({"email": claims["email"]})),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list,
        json!({"event_id": event, "door_staff": [{"user_id": claims["sub"], "email": claims["email"]}]})
    );
    // Another organiser's event does not exist for them, whoever they name.
    let (status, err) = app
        .send(
            "POST",
            &staff,
            Some(&other_org),
            Some(&json!({"email": claims["email"]})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("event_not_found"))
    );
    let removal = format!("{staff}/{}", claims["sub"].as_str().unwrap());
    let (status, _) = app.send("DELETE", &removal, Some(&other_org), None).await;
    assert_eq!(status, 404);

    // Taken off the event, the door is refused again; an admin needs no assignment.
    let (status, list) = app.send("DELETE", &removal, Some(&org), None).await;
    assert_eq!((status, &list["door_staff"]), (200, &json!([])), "{list}");
    let (status, again) = app.send("DELETE", &removal, Some(&org), None).await;
    assert_eq!(
        (status, &again),
        (200, &list),
        "removing twice changes nothing"
    );
    let (status, refused) = scan(door, qr(1)).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("not_assigned_to_event"))
    );
    let admin = app.account_token(Role::Admin).await;
    let (status, admitted) = scan(admin, qr(1)).await;
    assert_eq!((status, &admitted["status"]), (200, &json!("admitted")));
}

/// Bad input to the door-staff routes is a 4xx with a code, and the route never says whether
/// an email has an account unless it is a door account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigning_door_staff_refuses_bad_input_with_a_code() {
    let app = TestApp::spawn().await;
    let (org, event) = event(&app).await;
    let staff = format!("/events/{event}/staff");
    let fan_email = format!("fan-{}@fans.example", uuid::Uuid::new_v4().simple());
    let (_, fan) = app
        .sign_up(&fan_email, stagepass_tests::TEST_PASSWORD)
        .await;
    let fan = fan["access_token"].as_str().unwrap().to_string();
    let door = app.account_token(Role::Door).await;
    let door_email = stagepass_tests::token_part(&door, 1)["email"].clone();
    let cases: Vec<(&str, Option<&str>, &str, u16, &str)> = vec![
        (
            "no token",
            None,
            r#"{"email": "a@b.example"}"#,
            401,
            "unauthorized",
        ),
        (
            "a fan",
            Some(&fan),
            r#"{"email": "a@b.example"}"#,
            403,
            "forbidden",
        ),
        (
            "a door account",
            Some(&door),
            r#"{"email": "a@b.example"}"#,
            403,
            "forbidden",
        ),
        ("not json", Some(&org), "{", 400, "malformed_json"),
        ("no email", Some(&org), "{}", 400, "invalid_field"),
        (
            "not an email",
            Some(&org),
            r#"{"email": "door staff"}"#,
            400,
            "invalid_field",
        ),
        (
            "a number",
            Some(&org),
            r#"{"email": 5}"#,
            400,
            "invalid_field",
        ),
        (
            "an unknown field",
            Some(&org),
            r#"{"email": "a@b.example", "role": "admin"}"#,
            400,
            "invalid_field",
        ),
        (
            "no account",
            Some(&org),
            r#"{"email": "nobody@b.example"}"#,
            404,
            "door_account_not_found",
        ),
    ];
    for (name, who, body, status, code) in cases {
        let (got, err) = app.send_raw("POST", &staff, who, body.to_string()).await;
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{name}: {err}"
        );
    }
    // A fan's account answers as no account does.
    let (status, err) = app
        .send(
            "POST",
            &staff,
            Some(&org),
            Some(&json!({"email": fan_email})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("door_account_not_found"))
    );
    for path in [
        "/events/not-an-id/staff",
        "/events/00000000-0000-4000-8000-000000000000/staff",
    ] {
        let (status, err) = app
            .send(
                "POST",
                path,
                Some(&org),
                Some(&json!({"email": door_email})),
            )
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (404, Some("event_not_found")),
            "{path}"
        );
    }
    let (status, err) = app
        .send("DELETE", "/events/not-an-id/staff/x", Some(&org), None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("event_not_found"))
    );
    // A cancelled event's tickets no longer scan: no one is assigned to it.
    app.cancel_event(&org, &event).await;
    let (status, err) = app
        .send(
            "POST",
            &staff,
            Some(&org),
            Some(&json!({"email": door_email})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("event_cancelled"))
    );
}

/// Twenty clients send the same checkout with one key at once: one booking, one charge, and
/// twenty identical answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_checkout_twenty_times_at_once_books_and_charges_once() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let (_, event) = event(&app).await;
    let fan = buyer_token("fan-retry");
    let hold = app.hold(&fan, &event, &["A-2-2", "A-2-3"]).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, fan, hold) = (app.clone(), fan.clone(), hold.clone());
        tasks.push(tokio::spawn(async move {
            app.checkout(&fan, &hold, cards::SUCCESS, Some("checkout-key-1"))
                .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 202);
    let id = booking_id(&answers[0].1);
    let b = app.settled_booking(&fan, &id).await;
    assert_eq!(b["status"], "confirmed");
    assert_eq!(app.payments.totals().await.charges, 1);
    let (_, mine) = app.send("GET", "/me/bookings", Some(&fan), None).await;
    assert_eq!(mine["bookings"].as_array().unwrap().len(), 1);

    // The same key with another body is refused; a key still in flight is 409.
    let other = app.hold(&fan, &event, &["A-2-4"]).await;
    let (status, refused) = app
        .checkout(&fan, &other, cards::SUCCESS, Some("checkout-key-1"))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");

    let now = stagepass_domain::Clock::now(app.clock.as_ref());
    let claim = app
        .ports
        .idempotency
        .as_ref()
        .unwrap()
        .claim(
            "fan-retry#busy-key",
            "another request",
            now,
            now + Duration::seconds(60),
            now + Duration::hours(24),
        )
        .await
        .unwrap();
    assert!(matches!(claim, stagepass_domain::Claim::Started(_)));
    let (status, busy) = app
        .checkout(&fan, &other, cards::SUCCESS, Some("busy-key"))
        .await;
    assert_eq!(status, 422, "a different request under a busy key: {busy}");
    let body_like = json!({ "hold_id": other, "payment_method": cards::SUCCESS });
    let print = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update("POST");
        h.update(b"\0");
        h.update("/bookings");
        h.update(b"\0");
        h.update(body_like.to_string());
        format!("{:x}", h.finalize())
    };
    app.ports
        .idempotency
        .as_ref()
        .unwrap()
        .claim(
            "fan-retry#busy-key-2",
            &print,
            now,
            now + Duration::seconds(60),
            now + Duration::hours(24),
        )
        .await
        .unwrap();
    let (status, busy) = app
        .checkout(&fan, &other, cards::SUCCESS, Some("busy-key-2"))
        .await;
    assert_eq!(status, 409, "{busy}");
    assert_eq!(busy["error"]["code"], "idempotency_key_in_flight");

    // Keys expire after 24 hours: the old key then runs as new (the hold's booking is the same).
    app.clock.advance(Duration::hours(25));
    let (status, _) = app
        .checkout(&fan, &hold, cards::SUCCESS, Some("checkout-key-1"))
        .await;
    assert_eq!(
        status, 200,
        "the hold was already checked out: same booking"
    );
    assert_eq!(app.payments.totals().await.charges, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_event_delivery_sends_no_second_email() {
    let app = TestApp::spawn().await;
    let (_, event) = event(&app).await;
    let fan = buyer_token("fan-dup");
    let hold = app.hold(&fan, &event, &["A-1-6"]).await;
    let (_, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    let id = booking_id(&pending);
    app.settled_booking(&fan, &id).await;
    assert_eq!(app.emails_to("fan-dup@fans.example", "Your tickets"), 1);
    let confirmed: Vec<_> = app
        .bus
        .published()
        .into_iter()
        .filter(|e| e.kind == "BookingConfirmed")
        .collect();
    use stagepass_domain::EventBus;
    for _ in 0..3 {
        app.bus.publish(&confirmed).await.unwrap();
    }
    assert_eq!(app.emails_to("fan-dup@fans.example", "Your tickets"), 1);
}

/// Hostile and malformed checkouts, bookings and scans: always a 4xx with a code, nothing
/// booked or charged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_booking_requests_get_clear_errors_and_book_nothing() {
    let app = TestApp::spawn().await;
    let (_, event) = event(&app).await;
    let fan = buyer_token("fan-bad");
    let hold = app.hold(&fan, &event, &["A-1-1"]).await;
    let other = buyer_token("fan-thief");
    let cases: Vec<(&str, Option<String>, Value, u16, &str)> = vec![
        (
            "not json",
            Some(fan.clone()),
            json!("{"),
            400,
            "invalid_field",
        ),
        (
            "no hold",
            Some(fan.clone()),
            json!({"payment_method": cards::SUCCESS}),
            400,
            "invalid_field",
        ),
        (
            "extra field",
            Some(fan.clone()),
            json!({"hold_id": hold, "payment_method": cards::SUCCESS, "price": 1}),
            400,
            "invalid_field",
        ),
        (
            "not a token",
            Some(fan.clone()),
            json!({"hold_id": hold, "payment_method": "visa"}),
            400,
            "invalid_payment_method",
        ),
        (
            "a token with junk",
            Some(fan.clone()),
            json!({"hold_id": hold, "payment_method": "pm_card_visa<script>"}),
            400,
            "invalid_payment_method",
        ),
        (
            "a card number",
            Some(fan.clone()),
            json!({"hold_id": hold, "payment_method": "4242 4242 4242 4242"}),
            400,
            "card_number_refused",
        ),
        (
            "the old card object",
            Some(fan.clone()),
            json!({"hold_id": hold, "payment_method": {"card": "4242424242424242"}}),
            400,
            "invalid_field",
        ),
        (
            "bad hold id",
            Some(fan.clone()),
            json!({"hold_id": "../../x", "payment_method": cards::SUCCESS}),
            404,
            "hold_not_found",
        ),
        (
            "someone else's hold",
            Some(other.clone()),
            json!({"hold_id": hold, "payment_method": cards::SUCCESS}),
            404,
            "hold_not_found",
        ),
        (
            "no email in token",
            Some(token("fan-bad", Role::Fan)),
            json!({"hold_id": hold, "payment_method": cards::SUCCESS}),
            403,
            "forbidden",
        ),
        (
            "door staff",
            Some(token("door-1", Role::Door)),
            json!({"hold_id": hold, "payment_method": cards::SUCCESS}),
            403,
            "forbidden",
        ),
        (
            "no token",
            None,
            json!({"hold_id": hold, "payment_method": cards::SUCCESS}),
            401,
            "unauthorized",
        ),
    ];
    for (name, who, body, status, code) in cases {
        let (got, err) = match body.as_str() {
            Some(raw) => {
                app.send_raw("POST", "/bookings", who.as_deref(), raw.to_string())
                    .await
            }
            None => {
                app.send("POST", "/bookings", who.as_deref(), Some(&body))
                    .await
            }
        };
        let code = if name == "not json" {
            "malformed_json"
        } else {
            code
        };
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{name}: {err}"
        );
    }
    for path in [
        "/bookings/not-a-uuid",
        "/bookings/00000000-0000-4000-8000-000000000000",
    ] {
        let (status, err) = app.send("GET", path, Some(&fan), None).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (404, Some("booking_not_found"))
        );
    }
    let (status, err) = app
        .send("GET", "/me/bookings?limit=0", Some(&fan), None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("invalid_field"))
    );
    let door = token("door-2", Role::Door);
    for (body, code) in [
        (json!({"qr": "x", "gate": ""}), "invalid_field"),
        (json!({"qr": "x", "gate": "g\u{0}"}), "invalid_field"),
        (json!({"qr": 5, "gate": "A"}), "invalid_field"),
    ] {
        let (status, err) = app
            .send("POST", "/checkins", Some(&door), Some(&body))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let (_, mine) = app.send("GET", "/me/bookings", Some(&fan), None).await;
    assert_eq!(mine["bookings"], json!([]));
    assert_eq!(app.payments.totals().await.charge_calls, 0);
    // The hold is untouched and can still be checked out.
    let (status, _) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    assert_eq!(status, 202);
}

/// Log lines, kept for a test to read.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Whether `text` holds `pan`, also with spaces or dashes between its digits.
fn holds_card_number(text: &str, pan: &str) -> bool {
    text.contains(pan) || text.replace([' ', '-'], "").contains(pan)
}

/// Card numbers sent every way a client might (as the payment method, the old card object, a
/// number where a string goes, a field name) are refused, and none is repeated in a response,
/// written to a log line, or kept in the store, a ticket or an email; the booking made with a
/// token holds only the token. Before, checkout stored the number in the pending booking and
/// serde's error messages repeated it.
#[test]
fn no_card_number_reaches_a_response_a_log_line_the_store_or_an_email() {
    const PAN: &str = "4242424242424242";
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    // One thread, so every request's log lines reach this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    // A second live dispatch, so tracing computes each log line's interest from every
    // registered subscriber. With only this one, a line first reached by another test's thread
    // (no subscriber there) is cached as never logged, for every thread: the refusals then
    // went unrecorded when the suite ran in parallel (tokio-rs/tracing#3611).
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = TestApp::spawn().await;
        let (_, event) = event(&app).await;
        let fan = buyer_token("fan-pan");
        let hold = app.hold(&fan, &event, &["A-1-1"]).await;
        let hostile = [
            (
                json!({"hold_id": hold, "payment_method": PAN}),
                "card_number_refused",
            ),
            (
                json!({"hold_id": hold, "payment_method": "4242 4242 4242 4242"}),
                "card_number_refused",
            ),
            (
                json!({"hold_id": hold, "payment_method": "4242-4242-4242-4242"}),
                "card_number_refused",
            ),
            (
                json!({"hold_id": hold, "payment_method": {"card": PAN}}),
                "invalid_field",
            ),
            (
                json!({"hold_id": 4242424242424242u64, "payment_method": "pm_card_visa"}),
                "invalid_field",
            ),
            (
                json!({"hold_id": hold, "payment_method": "pm_card_visa", PAN: 1}),
                "invalid_field",
            ),
        ];
        for (body, code) in hostile {
            let response = app
                .http
                .post(app.url("/bookings"))
                .bearer_auth(&fan)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(status, 400, "{body}: {text}");
            assert!(text.contains(code), "{body}: {text}");
            assert!(
                !holds_card_number(&text, PAN),
                "the answer repeats it: {text}"
            );
        }
        let (status, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
        assert_eq!(status, 202, "{pending}");
        let done = app.settled_booking(&fan, &booking_id(&pending)).await;
        assert_eq!(done["status"], "confirmed", "{done}");
        app.drain_outbox().await;
        let (mut files, mut read, mut label_kept) = (vec![app.data_dir.clone()], 0, false);
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !holds_card_number(&text, PAN),
                    "{} holds it",
                    path.display()
                );
                label_kept |= text.contains("card (visa)");
                read += 1;
            }
        }
        assert!(read >= 3, "the store, a ticket and an email were read");
        assert!(
            label_kept,
            "the store was read: it holds the booking's payment label"
        );
    });
    drop(runtime);
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("card_number_refused"),
        "the refusals were logged"
    );
    assert!(!holds_card_number(&logs, PAN), "a log line holds it");
}

/// Printed tickets outlive key rotations: the ticket keys are their own set, kept until the
/// events they signed for are over, and the booking shows the QR as issued. Before, tickets
/// were signed with the access-token keys, a rotation kept only the previous key, and the
/// booking view re-signed the QR with today's key: after two rotations the printed QR was
/// `ticket_not_recognised` at the door while the app showed a different, working one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn printed_tickets_scan_after_two_rotations_of_every_key() {
    use stagepass_api::KeyUse;
    use stagepass_local::keys::{LOCAL_KEY_CACHE, local_keys, rotate};
    let dir = tempfile::tempdir().unwrap();
    let keys = local_keys(dir.path()).await.unwrap();
    let app = TestApp::start_with(
        dir.path(),
        Default::default(),
        Default::default(),
        Arc::new(stagepass_domain::ManualClock::new(chrono::Utc::now())),
        keys,
    )
    .await;
    let (org, event) = event(&app).await;
    let fan = app.account_token(Role::Fan).await;
    let hold = app.hold(&fan, &event, &["A-1-1"]).await;
    let (status, pending) = app.checkout(&fan, &hold, cards::SUCCESS, None).await;
    assert_eq!(status, 202, "{pending}");
    let id = booking_id(&pending);
    let booking = app.settled_booking(&fan, &id).await;
    let printed = booking["tickets"][0]["qr"].as_str().unwrap().to_string();
    let pdf = app
        .ports
        .files
        .clone()
        .unwrap()
        .get(&format!("tickets/{id}/{id}-1.pdf"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(qr_payload(&pdf), printed);

    for _ in 0..2 {
        rotate(dir.path(), KeyUse::Tickets, std::time::Duration::ZERO).unwrap();
        rotate(dir.path(), KeyUse::Access, std::time::Duration::ZERO).unwrap();
    }
    tokio::time::sleep(LOCAL_KEY_CACHE + std::time::Duration::from_millis(500)).await;

    let (status, again) = app
        .send("GET", &format!("/bookings/{id}"), Some(&fan), None)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["tickets"][0]["qr"],
        printed.as_str(),
        "shown as printed"
    );
    let door = app.door_for(&org, &event).await;
    let (status, admitted) = app
        .send(
            "POST",
            "/checkins",
            Some(&door),
            Some(&json!({ "qr": printed, "gate": "North" })),
        )
        .await;
    assert_eq!(status, 200, "{admitted}");
    assert_eq!(admitted["status"], "admitted");
}
