use crate::Adapters;
use crate::inventory::{UNCAPPED, hold, seats};
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::bookings::models::BookingDraft;
use stagepass_domain::bookings::payments::cards;
use stagepass_domain::integration::events as integration;
use stagepass_domain::{
    Booking, BookingId, BookingStatus, BookingStoreError, Claim, EventId, HoldStatus,
    PaymentMethod, SavedResponse, UserId,
};
use stagepass_domain::{InventoryStoreError, to_millis};
use std::sync::Arc;

fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}

pub fn booking(buyer: &str, event: &EventId, at: DateTime<Utc>) -> Booking {
    let h = hold(event, seats(&["A-1-1"]), at, Duration::minutes(10));
    let mut b = Booking::pending(
        BookingDraft {
            hold: &h,
            email: format!("{buyer}@x.example"),
            event_title: "Show".into(),
            venue: "Hall, Town".into(),
            starts_at: at + Duration::days(3),
            payment_method: PaymentMethod::parse(cards::SUCCESS).unwrap(),
        },
        at,
    );
    b.buyer = UserId::new(buyer);
    b
}

pub async fn a_booking_is_stored_once_and_read_back(a: Adapters) {
    let b = booking("ann", &EventId::generate(), now());
    a.bookings.create(&b).await.unwrap();
    assert_eq!(a.bookings.get(&b.id).await.unwrap(), Some(b.clone()));
    let mut other = b.clone();
    other.total = 1;
    match a.bookings.create(&other).await {
        Err(BookingStoreError::Exists(stored)) => assert_eq!(*stored, b),
        e => panic!("expected Exists, got {e:?}"),
    }
    let missing = BookingId::for_hold(&stagepass_domain::HoldId::generate());
    assert_eq!(a.bookings.get(&missing).await.unwrap(), None);
}

pub async fn an_update_needs_the_expected_version_and_writes_its_events_with_it(a: Adapters) {
    let b = booking("ann", &EventId::generate(), now());
    a.bookings.create(&b).await.unwrap();
    let confirmed = b.next(now(), |n| n.status = BookingStatus::Confirmed);
    let events = vec![integration::booking_confirmed(&confirmed)];
    // A stale version writes neither the booking nor its events.
    assert_eq!(
        a.bookings.update(&confirmed, b.version + 7, &events).await,
        Err(BookingStoreError::VersionConflict)
    );
    assert_eq!(a.bookings.undelivered(10).await.unwrap(), vec![]);
    a.bookings
        .update(&confirmed, b.version, &events)
        .await
        .unwrap();
    assert_eq!(
        a.bookings.get(&b.id).await.unwrap(),
        Some(confirmed.clone())
    );
    assert_eq!(a.bookings.undelivered(10).await.unwrap(), events);
    // The same version cannot be written twice.
    assert_eq!(
        a.bookings.update(&confirmed, b.version, &[]).await,
        Err(BookingStoreError::VersionConflict)
    );
}

pub async fn buyers_see_their_bookings_newest_first_and_events_list_theirs(a: Adapters) {
    let event = EventId::generate();
    let other_event = EventId::generate();
    let t = now();
    let mut ids = Vec::new();
    for i in 0..3 {
        let b = booking("ann", &event, t + Duration::seconds(i));
        a.bookings.create(&b).await.unwrap();
        ids.push(b.id);
    }
    a.bookings
        .create(&booking("bob", &other_event, t))
        .await
        .unwrap();
    let mine: Vec<BookingId> = a
        .bookings
        .for_buyer(&UserId::new("ann"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    let newest_first: Vec<BookingId> = ids.iter().rev().cloned().collect();
    assert_eq!(mine, newest_first);
    assert_eq!(
        a.bookings
            .for_buyer(&UserId::new("ann"), 2)
            .await
            .unwrap()
            .len(),
        2
    );
    let of_event = a.bookings.for_event(&event, None, 10).await.unwrap();
    assert_eq!(of_event.len(), 3);
    assert!(of_event.iter().all(|b| b.event_id == event));
    // In id order, a page at a time from after the last one seen.
    let mut in_order = ids.clone();
    in_order.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    let first = a.bookings.for_event(&event, None, 2).await.unwrap();
    let rest = a
        .bookings
        .for_event(&event, Some(&first[1].id), 2)
        .await
        .unwrap();
    let paged: Vec<BookingId> = first.iter().chain(&rest).map(|b| b.id.clone()).collect();
    assert_eq!(paged, in_order);
    let after_last = a.bookings.for_event(&event, Some(&in_order[2]), 2);
    assert!(after_last.await.unwrap().is_empty());
    assert!(
        a.bookings
            .for_buyer(&UserId::new("nobody"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn the_outbox_keeps_events_until_delivered_and_once_per_id(a: Adapters) {
    let b = booking("ann", &EventId::generate(), now());
    let first = integration::booking_failed(&b);
    let second = integration::booking_cancelled(&b.next(now() + Duration::seconds(1), |_| {}));
    a.bookings
        .record_events(std::slice::from_ref(&first))
        .await
        .unwrap();
    a.bookings
        .record_events(&[first.clone(), second.clone()])
        .await
        .unwrap();
    let pending = a.bookings.undelivered(10).await.unwrap();
    assert_eq!(pending, vec![first.clone(), second.clone()]);
    assert_eq!(
        a.bookings.undelivered(1).await.unwrap(),
        vec![first.clone()]
    );
    a.bookings
        .delivered(std::slice::from_ref(&first.id))
        .await
        .unwrap();
    assert_eq!(
        a.bookings.undelivered(10).await.unwrap(),
        vec![second.clone()]
    );
    a.bookings
        .delivered(std::slice::from_ref(&second.id))
        .await
        .unwrap();
    assert!(a.bookings.undelivered(10).await.unwrap().is_empty());
    // After delivery a newly recorded event still goes out; one delivered already does not
    // (a retried stream record, a second observer of one expiry).
    let third = integration::booking_confirmed(&b);
    a.bookings
        .record_events(&[first.clone(), third.clone()])
        .await
        .unwrap();
    assert_eq!(a.bookings.undelivered(10).await.unwrap(), vec![third]);
}

/// The bus the sweeper publishes to: the local one, made to refuse while `down` is set.
#[derive(Default)]
struct Bus {
    local: stagepass_local::adapters::LocalBus,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl stagepass_domain::EventBus for Bus {
    async fn publish(
        &self,
        events: &[stagepass_domain::IntegrationEvent],
    ) -> Result<(), stagepass_domain::InfraError> {
        match self.down.load(std::sync::atomic::Ordering::SeqCst) {
            true => Err(stagepass_domain::InfraError("bus unavailable".into())),
            false => self.local.publish(events).await,
        }
    }
}

/// What the stream relay left in the outbox is published by the sweeper once it is a few
/// minutes old, oldest first, over more than one page; younger events are left to the relay;
/// nothing leaves the outbox unless the bus took it.
pub async fn the_sweeper_publishes_what_the_relay_left_once_it_is_old_enough(a: Adapters) {
    use stagepass_domain::integration::OutboxRelay;
    use stagepass_domain::integration::outbox::stranded_after;
    let t0 = now();
    let event = EventId::generate();
    // 103 stranded events from 10 minutes ago to 6.6 minutes ago, one from a minute ago.
    let mut old = Vec::new();
    for i in 0..103 {
        let at = t0 - Duration::minutes(10) + Duration::seconds(2 * i);
        old.push(integration::booking_failed(&booking(
            &format!("f{i}"),
            &event,
            at,
        )));
    }
    let young = integration::booking_failed(&booking("young", &event, t0 - Duration::minutes(1)));
    a.bookings.record_events(&old).await.unwrap();
    a.bookings
        .record_events(std::slice::from_ref(&young))
        .await
        .unwrap();
    let clock = Arc::new(stagepass_domain::ManualClock::new(t0));
    let bus = Arc::new(Bus::default());
    let sweeper = OutboxRelay {
        store: a.bookings.clone(),
        bus: bus.clone(),
        clock: clock.clone(),
    };

    bus.down.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(sweeper.publish_older_than(stranded_after()).await.is_err());
    assert_eq!(a.bookings.undelivered(200).await.unwrap().len(), 104);

    bus.down.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(sweeper.publish_older_than(stranded_after()).await, Ok(103));
    assert_eq!(bus.local.published(), old);
    assert_eq!(
        a.bookings.undelivered(200).await.unwrap(),
        vec![young.clone()]
    );
    assert_eq!(sweeper.publish_older_than(stranded_after()).await, Ok(0));

    clock.advance(stranded_after());
    assert_eq!(sweeper.publish_older_than(stranded_after()).await, Ok(1));
    assert_eq!(bus.local.published().last(), Some(&young));
    assert!(a.bookings.undelivered(200).await.unwrap().is_empty());
}

fn lease(t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (t + Duration::seconds(60), t + Duration::hours(24))
}

pub async fn concurrent_claims_of_one_key_start_once(a: Adapters) {
    let t = now();
    let key = format!("k-{}", uuid::Uuid::new_v4());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (keys, key) = (a.keys.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let (l, e) = lease(t);
            keys.claim(&key, "fp", t, l, e).await.unwrap()
        }));
    }
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap() {
            Claim::Started(_) => started += 1,
            Claim::InFlight => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(started, 1);
}

fn started(claim: Claim) -> stagepass_domain::Lease {
    match claim {
        Claim::Started(lease) => lease,
        other => panic!("expected Started, got {other:?}"),
    }
}

pub async fn a_key_replays_refuses_another_request_and_expires(a: Adapters) {
    let t = now();
    let (l, e) = lease(t);
    let first = started(a.keys.claim("k1", "fp", t, l, e).await.unwrap());
    assert_eq!(first.since, t);
    assert_eq!(
        a.keys.claim("k1", "fp", t, l, e).await.unwrap(),
        Claim::InFlight
    );
    assert_eq!(
        a.keys.claim("k1", "other", t, l, e).await.unwrap(),
        Claim::Mismatch
    );
    let saved = SavedResponse {
        status: 202,
        body: "{\"id\":1}".into(),
        location: Some("/bookings/1".into()),
    };
    assert!(a.keys.complete("k1", &first.token, &saved).await.unwrap());
    assert_eq!(
        a.keys.claim("k1", "fp", t, l, e).await.unwrap(),
        Claim::Done(saved.clone())
    );
    // Abandoning an answered key keeps the answer.
    a.keys.abandon("k1", &first.token).await.unwrap();
    assert_eq!(
        a.keys.claim("k1", "fp", t, l, e).await.unwrap(),
        Claim::Done(saved)
    );
    // After 24 hours the key is forgotten: any request may use it again, and it is a new
    // use of the key (ids derived from it differ from the first use's).
    let later = t + Duration::hours(25);
    let (l2, e2) = lease(later);
    let again = started(a.keys.claim("k1", "another", later, l2, e2).await.unwrap());
    assert_eq!(again.since, later);
    // The same request again after expiry is new too, not the first use's replay.
    let much_later = later + Duration::hours(25);
    let (l3, e3) = lease(much_later);
    let third = started(
        a.keys
            .claim("k1", "another", much_later, l3, e3)
            .await
            .unwrap(),
    );
    assert_eq!(third.since, much_later);
}

pub async fn a_stale_claim_is_taken_over_and_an_abandoned_one_is_free(a: Adapters) {
    let t = now();
    let (l, e) = lease(t);
    let first = started(a.keys.claim("k2", "fp", t, l, e).await.unwrap());
    // The first attempt died: once its lease is over, a retry takes the key over, and it is
    // still the same use of the key.
    let later = t + Duration::seconds(61);
    let (l2, e2) = lease(later);
    let second = started(a.keys.claim("k2", "fp", later, l2, e2).await.unwrap());
    assert_eq!(
        second.since, first.since,
        "a takeover keeps when the use began"
    );
    assert_ne!(second.token, first.token);
    assert_eq!(
        a.keys.claim("k2", "other", later, l2, e2).await.unwrap(),
        Claim::Mismatch
    );
    // The first attempt's late abandon does not free its successor's claim...
    a.keys.abandon("k2", &first.token).await.unwrap();
    assert_eq!(
        a.keys.claim("k2", "other", later, l2, e2).await.unwrap(),
        Claim::Mismatch
    );
    // ...the holder's own does.
    a.keys.abandon("k2", &second.token).await.unwrap();
    started(a.keys.claim("k2", "other", later, l2, e2).await.unwrap());
}

/// An attempt that outlived its lease cannot save its answer over its successor's (the
/// fencing token): before, whichever completed last won, so a retry could be replayed an
/// answer the client never got from the attempt it retried.
pub async fn only_the_attempt_holding_a_key_saves_its_answer(a: Adapters) {
    let t = now();
    let (l, e) = lease(t);
    let slow = started(a.keys.claim("k3", "fp", t, l, e).await.unwrap());
    let later = t + Duration::seconds(61);
    let (l2, e2) = lease(later);
    let retry = started(a.keys.claim("k3", "fp", later, l2, e2).await.unwrap());
    let answer = |body: &str| SavedResponse {
        status: 201,
        body: body.into(),
        location: None,
    };
    assert!(
        a.keys
            .complete("k3", &retry.token, &answer("retry"))
            .await
            .unwrap()
    );
    assert!(
        !a.keys
            .complete("k3", &slow.token, &answer("slow"))
            .await
            .unwrap(),
        "the attempt whose lease was taken over saves nothing"
    );
    assert_eq!(
        a.keys.claim("k3", "fp", later, l2, e2).await.unwrap(),
        Claim::Done(answer("retry"))
    );
    // The other order: the slow attempt answers before its successor, which then cannot.
    let (l, e) = lease(t);
    let slow = started(a.keys.claim("k4", "fp", t, l, e).await.unwrap());
    let retry = started(a.keys.claim("k4", "fp", later, l2, e2).await.unwrap());
    assert!(
        !a.keys
            .complete("k4", &slow.token, &answer("slow"))
            .await
            .unwrap()
    );
    assert!(
        a.keys
            .complete("k4", &retry.token, &answer("retry"))
            .await
            .unwrap()
    );
    assert!(
        !a.keys
            .complete("k4", &retry.token, &answer("again"))
            .await
            .unwrap(),
        "an answer is saved once"
    );
}

pub async fn checkout_sell_and_free_follow_the_hold(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["A-1-1", "A-1-2"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    let until = t + Duration::minutes(15);
    let out = a.inventory.check_out_hold(&h.id, t, until).await.unwrap();
    assert_eq!(out.status, HoldStatus::CheckedOut);
    // Again: the same checked-out hold; releasing it is refused.
    assert_eq!(
        a.inventory.check_out_hold(&h.id, t, until).await.unwrap(),
        out
    );
    assert_eq!(
        a.inventory.release_hold(&h.id, &[]).await,
        Err(InventoryStoreError::HoldNotActive)
    );
    a.inventory.sell_hold(&h, t).await.unwrap();
    a.inventory.sell_hold(&h, t).await.unwrap();
    // Sold units stay live long after the hold's expiry.
    let much_later = t + Duration::days(30);
    let live = a
        .inventory
        .live_units(&event, &[stagepass_domain::Block::section("A")], much_later)
        .await
        .unwrap();
    assert_eq!(live.len(), 2);
    assert!(
        live.iter()
            .all(|r| r.state == stagepass_domain::UnitState::Sold)
    );
    a.inventory.free_hold_units(&h).await.unwrap();
    a.inventory.free_hold_units(&h).await.unwrap();
    assert!(
        a.inventory
            .live_units(&event, &[stagepass_domain::Block::section("A")], t)
            .await
            .unwrap()
            .is_empty()
    );
    // Expired or released holds cannot be checked out.
    let old = hold(&event, seats(&["A-2-1"]), t, Duration::minutes(1));
    a.inventory
        .place_hold(&old, t, UNCAPPED, &[])
        .await
        .unwrap();
    assert_eq!(
        a.inventory
            .check_out_hold(&old.id, t + Duration::minutes(2), t + Duration::minutes(17))
            .await,
        Err(InventoryStoreError::HoldExpired)
    );
    a.inventory.release_hold(&old.id, &[]).await.unwrap();
    assert_eq!(
        a.inventory
            .check_out_hold(&old.id, t, t + Duration::minutes(15))
            .await,
        Err(InventoryStoreError::HoldNotActive)
    );
}

/// Many buyers, one seat: a payment that arrives after its hold expired may take the seat only
/// if nobody else holds it now, and freeing never touches another hold's claim.
pub async fn a_late_sale_takes_free_seats_but_never_another_live_hold(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let late = hold(&event, seats(&["A-1-1", "A-1-2"]), t, Duration::minutes(10));
    a.inventory
        .place_hold(&late, t, UNCAPPED, &[])
        .await
        .unwrap();
    let after = t + Duration::minutes(11);
    let rival = hold(&event, seats(&["A-1-2"]), after, Duration::minutes(10));
    a.inventory
        .place_hold(&rival, after, UNCAPPED, &[])
        .await
        .unwrap();
    assert_eq!(
        a.inventory.sell_hold(&late, after).await,
        Err(InventoryStoreError::Taken(seats(&["A-1-2"])))
    );
    // Nothing was sold, and compensation leaves the rival's claim alone.
    a.inventory.free_hold_units(&late).await.unwrap();
    let live = a
        .inventory
        .live_units(&event, &[stagepass_domain::Block::section("A")], after)
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].hold_id, rival.id);
    // Once the rival lets go, the late sale goes through; the rival can no longer take it.
    a.inventory.release_hold(&rival.id, &[]).await.unwrap();
    a.inventory.sell_hold(&late, after).await.unwrap();
    let again = hold(&event, seats(&["A-1-1"]), after, Duration::minutes(10));
    assert!(matches!(
        a.inventory
            .place_hold(&again, after + Duration::days(1), UNCAPPED, &[])
            .await,
        Err(InventoryStoreError::Taken(_))
    ));
}

/// Checking out keeps the hold's seats until the saga's deadline, not the hold's expiry: a
/// buyer accepted at checkout cannot lose them to someone else while the saga is charging.
/// Before, the seats stayed on the hold's expiry and anyone could take them after it.
pub async fn a_checked_out_hold_keeps_its_seats_until_the_saga_deadline(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["A-1-1", "A-1-2"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    let until = t + Duration::minutes(15);
    a.inventory
        .check_out_hold(&h.id, t + Duration::minutes(9), until)
        .await
        .unwrap();
    let after_expiry = t + Duration::minutes(11);
    let rival = hold(
        &event,
        seats(&["A-1-2"]),
        after_expiry,
        Duration::minutes(10),
    );
    assert_eq!(
        a.inventory
            .place_hold(&rival, after_expiry, UNCAPPED, &[])
            .await,
        Err(InventoryStoreError::Taken(seats(&["A-1-2"])))
    );
    let live = a
        .inventory
        .live_units(
            &event,
            &[stagepass_domain::Block::section("A")],
            after_expiry,
        )
        .await
        .unwrap();
    assert_eq!(live.len(), 2);
    assert!(
        live.iter()
            .all(|r| r.hold_id == h.id && r.expires_at == until)
    );
    // Checking out again (a retried checkout) keeps the first deadline.
    a.inventory
        .check_out_hold(&h.id, after_expiry, until + Duration::minutes(5))
        .await
        .unwrap();
    // Past the deadline the seats are free to others, like any expired claim.
    let past = until + Duration::seconds(1);
    let later = hold(&event, seats(&["A-1-2"]), past, Duration::minutes(10));
    a.inventory
        .place_hold(&later, past, UNCAPPED, &[])
        .await
        .unwrap();
}

/// The sweeper's listing: pending and cancelling bookings by their last change, oldest first,
/// paged by the last one seen; a settled booking drops out, a changed one moves to the end.
pub async fn only_bookings_in_motion_are_unsettled_oldest_change_first_in_pages(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let at = |m: i64| t + Duration::minutes(m);
    let mut stored = Vec::new();
    for (n, name) in ["ann", "bob", "cy", "dee"].iter().enumerate() {
        let b = booking(name, &event, at(n as i64));
        a.bookings.create(&b).await.unwrap();
        stored.push(b);
    }
    // bob confirms (settled), dee starts cancelling, ann changes last.
    let bob = stored[1].next(at(5), |n| n.status = BookingStatus::Confirmed);
    a.bookings.update(&bob, 1, &[]).await.unwrap();
    let dee = stored[3].next(at(6), |n| n.status = BookingStatus::Cancelling);
    a.bookings.update(&dee, 1, &[]).await.unwrap();
    let ann = stored[0].next(at(7), |n| n.payment_label = "changed".into());
    a.bookings.update(&ann, 1, &[]).await.unwrap();
    let ids = |page: &[Booking]| page.iter().map(|b| b.buyer.to_string()).collect::<Vec<_>>();
    // GSIs are eventually consistent: the listing settles within moments.
    let mut all = Vec::new();
    for _ in 0..50 {
        all = a.bookings.unsettled(at(60), None, 10).await.unwrap();
        if ids(&all) == ["cy", "dee", "ann"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(ids(&all), ["cy", "dee", "ann"]);
    let first = a.bookings.unsettled(at(60), None, 2).await.unwrap();
    assert_eq!(ids(&first), ["cy", "dee"]);
    let rest = a.bookings.unsettled(at(60), first.last(), 2).await.unwrap();
    assert_eq!(ids(&rest), ["ann"]);
    let end = a.bookings.unsettled(at(60), rest.last(), 2).await.unwrap();
    assert!(end.is_empty());
    // Only changes before the bound.
    let early = a.bookings.unsettled(at(6), None, 10).await.unwrap();
    assert_eq!(ids(&early), ["cy"]);
}
