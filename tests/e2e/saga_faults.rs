//! Fault injection into the booking saga (the real ASL, run by the local interpreter): every
//! step fails transiently, fails for good, or the process dies just before or just after it.
//! Every run must end confirmed with tickets, or failed with nothing kept and the seats free;
//! never pending, never charged twice. The simulated provider's ledger is the witness.

use serde_json::Value;
use stagepass_api::Role;
use stagepass_domain::ManualClock;
use stagepass_domain::bookings::payments::cards;
use stagepass_local::LocalOptions;
use stagepass_local::asl::Outcome;
use stagepass_local::saga::Fault;
use stagepass_tests::{TestApp, buyer_token, event_body, in_days};
use std::path::Path;
use std::sync::Arc;

async fn manual_saga_app(dir: &Path) -> TestApp {
    TestApp::start_system(
        dir,
        Default::default(),
        Default::default(),
        Arc::new(ManualClock::new(chrono::Utc::now())),
        stagepass_tests::keys(),
        LocalOptions {
            auto_run_saga: false,
            delay_scale: 0.0,
            ..Default::default()
        },
    )
    .await
}

/// Checks out one seat with `card` and returns (buyer token, booking id).
async fn pending_booking(app: &TestApp, event: &str, seat: &str, card: &str) -> (String, String) {
    let fan = buyer_token(&format!("fan-{seat}"));
    let hold = app.hold(&fan, event, &[seat]).await;
    let (status, b) = app.checkout(&fan, &hold, card, None).await;
    assert_eq!(status, 202, "{b}");
    (fan, b["id"].as_str().unwrap().to_string())
}

/// Runs the saga once with `fault` on `step` (on top of any fault already injected); after a
/// crash, runs it again as a restarted server would, with the other faults still in place.
/// Returns the settled booking.
async fn run_with_fault(
    app: &TestApp,
    fan: &str,
    id: &str,
    step: &'static str,
    fault: Fault,
) -> Value {
    app.saga.inject(step, fault);
    let outcome = app.saga.execute(id).await.unwrap();
    if outcome == Outcome::Crashed {
        assert_eq!(
            app.saga.resume().await.unwrap(),
            1,
            "the crashed run is resumed"
        );
    }
    app.settled_booking(fan, id).await
}

/// The invariants every run must leave true.
async fn assert_settled(app: &TestApp, event: &str, seat: &str, b: &Value, case: &str) {
    let id = b["id"].as_str().unwrap();
    let (seats, _) = app.seat_states(event).await;
    match b["status"].as_str().unwrap() {
        "confirmed" => {
            assert_eq!(b["tickets"].as_array().unwrap().len(), 1, "{case}");
            assert_eq!(
                app.payments.net(id).await,
                4500,
                "{case}: charged exactly once"
            );
            assert_eq!(seats[seat], "sold", "{case}");
            assert_eq!(
                app.emails_to(
                    &format!("fan-{seat}@fans.example").to_lowercase(),
                    "Your tickets"
                ),
                1,
                "{case}"
            );
        }
        "failed" => {
            assert_eq!(app.payments.net(id).await, 0, "{case}: nothing kept");
            assert_eq!(seats[seat], "available", "{case}: seat released");
            assert_eq!(
                app.emails_to(
                    &format!("fan-{seat}@fans.example").to_lowercase(),
                    "Your booking could not"
                ),
                1,
                "{case}"
            );
        }
        other => panic!("{case}: booking ended {other}: {b}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_forward_step_fault_ends_confirmed_or_refunded_and_released() {
    let dir = tempfile::tempdir().unwrap();
    let app = manual_saga_app(dir.path()).await;
    let org = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(&org, &event_body("York", "concert", in_days(10), 4, 6, 0))
        .await;
    let steps = [
        "charge-payment",
        "sell-seats",
        "issue-tickets",
        "confirm-booking",
    ];
    let faults = [
        (Fault::Transient(2), "confirmed"),
        (Fault::Transient(10), "failed"),
        (Fault::Permanent, "failed"),
        (Fault::CrashBefore, "confirmed"),
        (Fault::CrashAfter, "confirmed"),
        (Fault::Lambda("Sandbox.Timedout"), "confirmed"),
    ];
    let mut n = 0;
    let mut expected_kept = 0;
    for step in steps {
        for (fault, want) in faults {
            n += 1;
            let seat = format!("A-{}-{}", 1 + (n - 1) / 6, 1 + (n - 1) % 6);
            let (fan, id) = pending_booking(&app, &event, &seat, cards::SUCCESS).await;
            app.saga.clear_faults();
            let b = run_with_fault(&app, &fan, &id, step, fault).await;
            let case = format!("{step:?} {fault:?}");
            assert_eq!(b["status"], want, "{case}: {b}");
            assert_settled(&app, &event, &seat, &b, &case).await;
            if want == "confirmed" {
                expected_kept += 4500;
            }
        }
    }
    // Across all 20 runs: one charge at most per booking, and the money kept is exactly
    // the confirmed bookings' totals.
    let t = app.payments.totals().await;
    assert!(t.charges <= n, "{t:?}");
    let mut net_total = 0;
    for e in app.bus.published() {
        if e.kind == "BookingConfirmed" {
            net_total += app
                .payments
                .net(e.detail["booking_id"].as_str().unwrap())
                .await;
        }
    }
    assert_eq!(net_total, expected_kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compensation_survives_its_own_faults() {
    let dir = tempfile::tempdir().unwrap();
    let app = manual_saga_app(dir.path()).await;
    let org = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(&org, &event_body("Bath", "concert", in_days(10), 3, 6, 0))
        .await;
    let steps = ["refund-payment", "release-seats", "fail-booking"];
    // Transient(8) outlasts the step's 5 retries: the saga waits and compensates again.
    let faults = [
        Fault::Transient(2),
        Fault::Transient(8),
        Fault::CrashBefore,
        Fault::CrashAfter,
    ];
    let mut n = 0;
    for step in steps {
        for fault in faults {
            n += 1;
            let seat = format!("A-{}-{}", 1 + (n - 1) / 6, 1 + (n - 1) % 6);
            // Charged first, then the seats cannot be sold (the sell step fails for good):
            // compensation must refund the charge and free the seat despite the fault.
            let (fan, id) = pending_booking(&app, &event, &seat, cards::SUCCESS).await;
            app.saga.clear_faults();
            app.saga.inject("sell-seats", Fault::Permanent);
            let b = run_with_fault(&app, &fan, &id, step, fault).await;
            let case = format!("{step:?} {fault:?}");
            assert_eq!(b["status"], "failed", "{case}: {b}");
            assert_eq!(b["refunded"], true, "{case}");
            assert!(
                app.payments.entry(&id).await.is_some(),
                "{case}: it was charged"
            );
            assert_settled(&app, &event, &seat, &b, &case).await;
        }
    }
    let t = app.payments.totals().await;
    assert_eq!((t.charges, t.refunds), (n, n), "every charge refunded once");
}

/// The server dies right after the charge; a new server over the same data folder resumes the
/// saga and confirms the booking without charging again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_server_finishes_a_saga_cut_short_without_charging_twice() {
    let dir = tempfile::tempdir().unwrap();
    let app = manual_saga_app(dir.path()).await;
    let org = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(&org, &event_body("Hull", "concert", in_days(10), 1, 4, 0))
        .await;
    let (fan, id) = pending_booking(&app, &event, "A-1-1", cards::TIMEOUT).await;
    app.saga.inject("charge-payment", Fault::CrashAfter);
    assert_eq!(app.saga.execute(&id).await.unwrap(), Outcome::Crashed);
    assert_eq!(
        app.payments.net(&id).await,
        4500,
        "the card was charged before the crash"
    );
    app.stop().await;

    // The provider's ledger is in the store: the restarted server sees the charge.
    let app = manual_saga_app(dir.path()).await;
    assert_eq!(app.saga.resume().await.unwrap(), 1);
    let b = app.settled_booking(&fan, &id).await;
    assert_eq!(b["status"], "confirmed", "{b}");
    assert_settled(&app, &event, "A-1-1", &b, "restart").await;
    assert_eq!(app.payments.totals().await.charges, 1);
    // Starting the same execution again does nothing.
    assert_eq!(app.saga.resume().await.unwrap(), 0);
}

/// The organiser cancels the event while a checkout's saga has not run yet: the saga refuses to
/// charge into a cancelled event, and the booking fails with nothing kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_saga_for_an_event_cancelled_meanwhile_fails_without_keeping_money() {
    let dir = tempfile::tempdir().unwrap();
    let app = manual_saga_app(dir.path()).await;
    let org = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(&org, &event_body("Ely", "concert", in_days(10), 1, 4, 0))
        .await;
    let (fan, id) = pending_booking(&app, &event, "A-1-2", cards::SUCCESS).await;
    let progress = app.cancel_event(&org, &event).await;
    assert_eq!(
        (&progress["cancelled"], &progress["stopped"]),
        (&serde_json::json!(0), &serde_json::json!(1)),
        "a pending booking is told to stop and left to its saga"
    );
    app.saga.execute(&id).await.unwrap();
    let b = app.settled_booking(&fan, &id).await;
    assert_eq!(b["status"], "failed", "{b}");
    assert_eq!(b["reason"], "event_cancelled");
    assert_eq!(app.payments.net(&id).await, 0);
    assert_eq!(
        app.payments.totals().await.charges,
        0,
        "nothing was charged"
    );
}

/// A restart with sagas cut short while the payment provider is down: the server answers at
/// once and the sagas resume in the background, together. Before, `make run` replayed them
/// one after another before binding its port (28 s of refused connections with 4 of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_server_answers_at_once_and_resumes_sagas_in_the_background() {
    use stagepass_domain::{BookingId, BookingStatus, BookingStore};
    let dir = tempfile::tempdir().unwrap();
    let app = manual_saga_app(dir.path()).await;
    let org = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(&org, &event_body("Leek", "concert", in_days(10), 1, 4, 0))
        .await;
    let mut ids = Vec::new();
    for seat in ["A-1-1", "A-1-2", "A-1-3", "A-1-4"] {
        // Started, never run: as if the process died at once.
        ids.push(
            pending_booking(&app, &event, seat, cards::PROVIDER_DOWN)
                .await
                .1,
        );
    }
    app.stop().await;

    // Restarted as `make run` does it, with real retry delays.
    let system = stagepass_local::build_system(
        dir.path(),
        Arc::new(ManualClock::new(chrono::Utc::now())),
        Default::default(),
        Default::default(),
        stagepass_tests::keys(),
        LocalOptions {
            delay_scale: 1.0,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let background = system.spawn_background(std::time::Duration::from_secs(3600));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(stagepass_local::serve(
        listener,
        system.api.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let answer = stagepass_cloud::http_client()
        .build()
        .unwrap()
        .get(format!("{base}/events/{event}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let status = |id: String| {
        let store = system.store.clone();
        async move {
            let id = BookingId::parse(&id).unwrap();
            store.get(&id).await.unwrap().unwrap().status
        }
    };
    let mut pending = 0;
    for id in &ids {
        pending += usize::from(status(id.clone()).await == BookingStatus::Pending);
    }
    assert!(
        pending > 0,
        "the server answered only after every saga had run"
    );
    // Meanwhile the sagas go on, retry the provider, and compensate.
    for id in &ids {
        let mut settled = status(id.clone()).await;
        for _ in 0..600 {
            if settled != BookingStatus::Pending {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            settled = status(id.clone()).await;
        }
        assert_eq!(settled, BookingStatus::Failed, "{id}");
    }
    let _ = stop.send(());
    server.await.unwrap();
    for task in background {
        task.abort();
    }
}
