//! The sales subscriber's ledger, through the `count-sales` use case as the function runs it:
//! each booking event counted once, however often and in whatever order it arrives.

use crate::Adapters;
use crate::bookings::booking;
use chrono::Utc;
use stagepass_domain::integration::events::{self as integration, envelope};
use stagepass_domain::sales::{CountSales, Counted};
use stagepass_domain::{BookingStatus, EventId, IntegrationEvent, MessageFailure, SystemClock};
use std::sync::Arc;

fn counter(a: &Adapters) -> Arc<CountSales> {
    Arc::new(CountSales {
        ledger: a.sales.clone(),
        clock: Arc::new(SystemClock),
    })
}

/// What the sales queue delivers: the event in an EventBridge envelope, each delivery with
/// its own envelope id.
fn message(event: &IntegrationEvent) -> String {
    envelope(event, &uuid::Uuid::new_v4().to_string(), "1", "eu-west-1").to_string()
}

/// Counts like SQS delivers: a message whose count failed for a store reason comes back.
async fn deliver(count: &CountSales, body: &str) -> Counted {
    loop {
        match count.handle(body).await {
            Ok(counted) => return counted,
            Err(MessageFailure::Retry(_)) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

pub async fn a_booking_event_is_counted_once_and_a_cancellation_refunds_it(a: Adapters) {
    let count = counter(&a);
    let (event, other) = (EventId::generate(), EventId::generate());
    let mut b = booking("fan-1", &event, Utc::now());
    b.status = BookingStatus::Confirmed;
    let confirmed = message(&integration::booking_confirmed(&b));
    assert_eq!(
        deliver(&count, &confirmed).await,
        Counted::Counted(event.clone())
    );
    // A redelivery, and a replay (a new envelope around the same fact): nothing more.
    assert_eq!(deliver(&count, &confirmed).await, Counted::Duplicate);
    let replayed = message(&integration::booking_confirmed(&b));
    assert_eq!(deliver(&count, &replayed).await, Counted::Duplicate);
    let tally = a.sales.tally(&event).await.unwrap().unwrap();
    assert_eq!(
        (
            tally.counts.bookings,
            tally.counts.tickets,
            tally.counts.gross
        ),
        (1, b.units.len() as i64, b.total)
    );
    assert_eq!(tally.currency, b.currency);
    assert!(b.total > 0);

    b.status = BookingStatus::Cancelled;
    let cancelled = message(&integration::booking_cancelled(&b));
    deliver(&count, &cancelled).await;
    deliver(&count, &cancelled).await;
    let mut failed = booking("fan-2", &event, Utc::now());
    failed.status = BookingStatus::Failed;
    deliver(&count, &message(&integration::booking_failed(&failed))).await;
    let tally = a.sales.tally(&event).await.unwrap().unwrap();
    assert_eq!(
        (tally.counts.cancelled_bookings, tally.counts.refunded),
        (1, b.total)
    );
    assert_eq!((tally.net_tickets(), tally.net()), (0, 0));
    assert_eq!(tally.counts.failed_bookings, 1);
    // Another event's tally is its own.
    assert_eq!(a.sales.tally(&other).await.unwrap(), None);
}

/// Money figures must not drift under an on-sale: 20 bookings confirmed together, each
/// delivered three times at once (SQS redelivery, a replay), and a cancellation arriving
/// before its confirmation, count exactly once each.
pub async fn concurrent_and_repeated_deliveries_count_each_fact_once(a: Adapters) {
    let count = counter(&a);
    let event = EventId::generate();
    let bookings: Vec<_> = (0..20)
        .map(|i| {
            let mut b = booking(&format!("fan-{i}"), &event, Utc::now());
            b.status = BookingStatus::Confirmed;
            b
        })
        .collect();
    let mut messages: Vec<String> = Vec::new();
    for b in &bookings {
        for _ in 0..3 {
            messages.push(message(&integration::booking_confirmed(b)));
        }
    }
    // The first booking's cancellation, delivered before its confirmation is counted.
    let mut cancelled = bookings[0].clone();
    cancelled.status = BookingStatus::Cancelled;
    messages.insert(0, message(&integration::booking_cancelled(&cancelled)));
    let tasks: Vec<_> = messages
        .into_iter()
        .map(|body| {
            let count = count.clone();
            tokio::spawn(async move { deliver(&count, &body).await })
        })
        .collect();
    let mut counted = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Counted::Counted(_)) {
            counted += 1;
        }
    }
    assert_eq!(counted, 21);
    let tally = a.sales.tally(&event).await.unwrap().unwrap();
    let gross: i64 = bookings.iter().map(|b| b.total).sum();
    assert_eq!(
        (tally.counts.bookings, tally.counts.gross),
        (20, gross),
        "{tally:?}"
    );
    assert_eq!(tally.net(), gross - bookings[0].total);
    assert_eq!(tally.net_tickets(), 19 * bookings[0].units.len() as i64);
}
