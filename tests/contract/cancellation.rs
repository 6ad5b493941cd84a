//! Cancelling a big event: the organiser's request answers at once, and the worker gets
//! through 5,000 bookings a page at a time, each page once however often its request is
//! delivered, with the progress on the event.

use crate::Adapters;
use stagepass_domain::bookings::models::BookingDraft;
use stagepass_domain::bookings::payments::{SimulatedPayments, cards};
use stagepass_domain::bookings::{PaymentProvider, PaymentState, Settlement};
use stagepass_domain::catalog::cancel_event::PAGE;
use stagepass_domain::catalog::{CancelEvent, CancelEventBookings, PageDone};
use stagepass_domain::{
    Actor, Booking, BookingStatus, Clock, EventStatus, HoldRequest, ManualClock, PaymentMethod,
    PaymentOrder, UserId,
};
use stagepass_tests::saga::QueuedCancellations;
use std::sync::Arc;

const BOOKINGS: usize = 5_000;
/// One in five is still in its saga when the event is cancelled.
const PENDING_EVERY: usize = 5;

/// 5,000 bookings (4,000 confirmed and charged, 1,000 pending), one seat each, are
/// cancelled: every charge refunded once, every seat free, every pending saga told to stop,
/// and the counts on the event exact although the first pages' requests were each delivered
/// twice at once. Before, the whole event was settled inside the organiser's request.
pub async fn an_event_with_5000_bookings_is_cancelled_a_page_at_a_time(a: Adapters) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let service = stagepass_tests::service(
        a.catalog.clone(),
        a.inventory.clone(),
        a.limiter.clone(),
        clock.clone(),
    );
    let organiser = Actor {
        user: UserId::new("org"),
        admin: false,
    };
    let body =
        stagepass_tests::event_body("Arena", "sports", stagepass_tests::in_days(30), 50, 100, 0);
    let event = service
        .create_event(&organiser, serde_json::from_value(body).unwrap())
        .await
        .unwrap();
    let event = service.publish_event(&organiser, &event.id).await.unwrap();
    let payments = Arc::new(SimulatedPayments::new(a.ledger.clone()));

    // Seeded 16 at a time: a hold per seat, then its booking as checkout and the saga left it.
    let service = Arc::new(service);
    let gate = Arc::new(tokio::sync::Semaphore::new(16));
    let mut seeding = tokio::task::JoinSet::new();
    for n in 0..BOOKINGS {
        let (service, bookings, payments) = (service.clone(), a.bookings.clone(), payments.clone());
        let (event, clock, gate) = (event.clone(), clock.clone(), gate.clone());
        seeding.spawn(async move {
            let _turn = gate.acquire_owned().await;
            let seat = format!("A-{}-{}", n / 100 + 1, n % 100 + 1);
            let buyer = UserId::new(format!("fan{n}"));
            let request = HoldRequest {
                seats: vec![seat],
                ga: vec![],
            };
            let hold = service
                .hold(&buyer, &event.id, &request, None)
                .await
                .unwrap()
                .hold;
            let method = PaymentMethod::parse(cards::SUCCESS).unwrap();
            let mut booking = Booking::pending(
                BookingDraft {
                    hold: &hold,
                    email: format!("fan{n}@x.example"),
                    event_title: event.title.clone(),
                    venue: event.venue.name.clone(),
                    starts_at: event.starts_at,
                    payment_method: method.clone(),
                },
                clock.now(),
            );
            if n % PENDING_EVERY != 0 {
                let charge = payments
                    .charge(&PaymentOrder::of(&booking), &method)
                    .await
                    .unwrap();
                booking.status = BookingStatus::Confirmed;
                booking.payment = PaymentState::Charged { charge_id: charge };
                booking.payment_method = None;
            }
            bookings.create(&booking).await.unwrap();
        });
    }
    while let Some(done) = seeding.join_next().await {
        done.unwrap();
    }
    let confirmed = BOOKINGS - BOOKINGS / PENDING_EVERY;

    let queue = Arc::new(QueuedCancellations::default());
    let cancel = CancelEvent {
        catalog: a.catalog.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
    };
    let answered = cancel.cancel_event(&organiser, &event.id).await.unwrap();
    assert_eq!(answered.status, EventStatus::Cancelling);
    assert_eq!(queue.len(), 1, "one request, answered at once");
    assert_eq!(
        payments.totals().await.refunds,
        0,
        "nothing settled in the request"
    );

    let worker = Arc::new(CancelEventBookings {
        catalog: a.catalog.clone(),
        settlement: Settlement {
            inventory: a.inventory.clone(),
            bookings: a.bookings.clone(),
            payments: payments.clone(),
            clock: clock.clone(),
        },
        queue: queue.clone(),
    });
    let mut pages = 0;
    while let Some(id) = queue.pop() {
        pages += 1;
        if pages <= 3 {
            // Delivered twice at once: one records the page and asks for the next.
            let (one, two) = tokio::join!(worker.next_page(&id), worker.next_page(&id));
            let mut outcomes = [one.unwrap(), two.unwrap()];
            outcomes.sort_by_key(|d| *d == PageDone::Skipped);
            assert_eq!(outcomes, [PageDone::Continued, PageDone::Skipped]);
            assert_eq!(queue.len(), 1, "one chain goes on");
        } else {
            worker.next_page(&id).await.unwrap();
        }
        if pages == 1 {
            // Progress shows while the rest are still to do.
            let now = a.catalog.get(&event.id).await.unwrap().unwrap();
            assert_eq!(now.status, EventStatus::Cancelling);
            assert_eq!(now.cancellation.unwrap().bookings, PAGE as u64);
        }
    }
    assert_eq!(pages, BOOKINGS / PAGE + 1, "the last page is the short one");

    let done = a.catalog.get(&event.id).await.unwrap().unwrap();
    assert_eq!(done.status, EventStatus::Cancelled);
    let progress = done.cancellation.unwrap();
    assert_eq!(
        (progress.bookings, progress.cancelled, progress.stopped),
        (
            BOOKINGS as u64,
            confirmed as u64,
            (BOOKINGS - confirmed) as u64
        )
    );
    assert!(progress.finished_at.is_some());
    assert_eq!(
        payments.totals().await.refunds,
        confirmed,
        "each charge refunded once"
    );
    // Only the pending bookings' seats are still held: their sagas free them.
    let live = a
        .inventory
        .live_units(
            &event.id,
            &[stagepass_domain::Block::section("A")],
            clock.now(),
        )
        .await
        .unwrap();
    assert_eq!(live.len(), BOOKINGS - confirmed);
    let told = a
        .bookings
        .for_event(&event.id, None, BOOKINGS)
        .await
        .unwrap();
    assert!(told.iter().all(|b| match b.status {
        BookingStatus::Pending => b.cancel_requested.as_deref() == Some("event_cancelled"),
        status =>
            status == BookingStatus::Cancelled && b.reason.as_deref() == Some("event_cancelled"),
    }));
}
