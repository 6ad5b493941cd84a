//! The hold use case over each adapter pair: concurrency through the real business rules.

use crate::Adapters;
use chrono::{Duration, Utc};
use stagepass_domain::{
    Actor, GaArea, HoldError, HoldRequest, Layout, PriceTier, Row, Section, SystemClock, UserId,
};
use std::collections::BTreeSet;
use std::sync::Arc;

pub async fn on_sale(
    service: &stagepass_tests::Service,
    layout: Layout,
) -> stagepass_domain::EventId {
    let organiser = Actor {
        user: UserId::new("org"),
        admin: false,
    };
    let input = stagepass_domain::NewEvent {
        title: "Race".into(),
        description: String::new(),
        category: stagepass_domain::Category::Sports,
        venue: stagepass_domain::Venue {
            name: "Ground".into(),
            city: "Derby".into(),
            address: None,
        },
        starts_at: Utc::now() + Duration::days(10),
        currency: "GBP".into(),
        price_tiers: vec![PriceTier {
            id: "std".into(),
            name: "Std".into(),
            price: 2000,
        }],
        layout,
    };
    let draft = service.create_event(&organiser, input).await.unwrap();
    service
        .publish_event(&organiser, &draft.id)
        .await
        .unwrap()
        .id
}

/// Section A with one row of `seats` seats, no standing area.
pub fn one_row(seats: u32) -> Layout {
    Layout {
        sections: vec![Section {
            id: "A".into(),
            name: "A".into(),
            tier: "std".into(),
            rows: vec![Row {
                label: "1".into(),
                seats,
                tier: None,
            }],
        }],
        ga_areas: vec![],
    }
}

/// The service over these adapters on a clock the test moves.
pub fn on_a_clock(a: &Adapters) -> (Arc<stagepass_domain::ManualClock>, stagepass_tests::Service) {
    let clock = Arc::new(stagepass_domain::ManualClock::new(Utc::now()));
    let svc = stagepass_tests::service(
        a.catalog.clone(),
        a.inventory.clone(),
        a.limiter.clone(),
        clock.clone(),
    );
    (clock, svc)
}

fn service(a: &Adapters) -> Arc<stagepass_tests::Service> {
    Arc::new(stagepass_tests::service(
        a.catalog.clone(),
        a.inventory.clone(),
        a.limiter.clone(),
        Arc::new(SystemClock),
    ))
}

pub async fn concurrent_buyers_through_the_service_never_share_a_seat(a: Adapters) {
    let svc = service(&a);
    let event = on_sale(&svc, one_row(10)).await;
    let mut tasks = Vec::new();
    for i in 0..60u32 {
        let seats = if i % 2 == 0 {
            vec![format!("A-1-{}", i % 10 + 1)]
        } else {
            vec![
                format!("A-1-{}", i % 10 + 1),
                format!("A-1-{}", (i + 4) % 10 + 1),
            ]
        };
        let (svc, event) = (svc.clone(), event.clone());
        tasks.push(tokio::spawn(async move {
            let request = HoldRequest { seats, ga: vec![] };
            svc.hold(&UserId::new(format!("fan-{i}")), &event, &request, None)
                .await
        }));
    }
    let mut sold = BTreeSet::new();
    let (mut wins, mut losses) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(outcome) => {
                wins += 1;
                for s in outcome.hold.seats {
                    assert!(sold.insert(s.clone()), "{s} held twice");
                }
            }
            Err(HoldError::SeatsUnavailable { seats }) => {
                losses += 1;
                assert!(!seats.is_empty());
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins + losses, 60);
    let (_, map) = svc.event_detail(None, &event).await.unwrap();
    let row = &map.sections[0].rows[0];
    let held: BTreeSet<String> = stagepass_domain::catalog::seat_map::seat_states(&row.runs)
        .expect("runs")
        .into_iter()
        .enumerate()
        .filter(|(_, s)| *s != stagepass_domain::catalog::seat_map::SeatState::Available)
        .map(|(i, _)| format!("{}-{}-{}", map.sections[0].id, row.label, i + 1))
        .collect();
    assert_eq!(held, sold);
}

pub async fn general_admission_is_never_oversold(a: Adapters) {
    let svc = service(&a);
    let layout = Layout {
        sections: vec![],
        ga_areas: vec![GaArea {
            id: "pit".into(),
            name: "Pit".into(),
            tier: "std".into(),
            capacity: 20,
        }],
    };
    let event = on_sale(&svc, layout).await;
    let mut tasks = Vec::new();
    for i in 0..30u32 {
        let (svc, event) = (svc.clone(), event.clone());
        tasks.push(tokio::spawn(async move {
            let request = HoldRequest {
                seats: vec![],
                ga: vec![stagepass_domain::GaRequest {
                    area: "pit".into(),
                    quantity: i % 3 + 1,
                }],
            };
            svc.hold(&UserId::new(format!("fan-{i}")), &event, &request, None)
                .await
        }));
    }
    let mut places = BTreeSet::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(outcome) => {
                for u in outcome.hold.units {
                    assert!(places.insert(u.to_string()), "{u} held twice");
                }
            }
            Err(HoldError::NotEnoughPlaces { .. } | HoldError::SeatsUnavailable { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(places.len() <= 20);
    let (_, map) = svc.event_detail(None, &event).await.unwrap();
    assert_eq!(map.ga_areas[0].available as usize, 20 - places.len());
    // Whatever the rush left is still sellable: no place is lost to a failed attempt.
    let left = map.ga_areas[0].available;
    if left > 0 {
        let request = HoldRequest {
            seats: vec![],
            ga: vec![stagepass_domain::GaRequest {
                area: "pit".into(),
                quantity: left,
            }],
        };
        let last = svc
            .hold(&UserId::new("last-fan"), &event, &request, None)
            .await
            .unwrap();
        assert_eq!(last.hold.units.len(), left as usize);
    }
    let (_, map) = svc.event_detail(None, &event).await.unwrap();
    assert_eq!(map.ga_areas[0].available, 0);
}

/// A key used again after its 24 hours is a new request (as the idempotency store treats
/// it), not a replay: before, the hold id came from (holder, key) alone, so the reused key
/// found the first use's hold, checked out long ago, and handed it back (or refused another
/// request with `idempotency_key_reused`).
pub async fn a_key_used_again_after_it_expired_holds_anew(a: Adapters) {
    use stagepass_domain::{Clock, KeyUse};
    let (clock, svc) = on_a_clock(&a);
    let event = on_sale(&svc, one_row(4)).await;
    let fan = UserId::new("fan");
    let seat = |s: &str| HoldRequest {
        seats: vec![s.into()],
        ga: vec![],
    };
    let first_use = KeyUse {
        key: "k".into(),
        since: clock.now(),
    };
    let first = svc
        .hold(&fan, &event, &seat("A-1-1"), Some(&first_use))
        .await
        .unwrap();
    assert!(first.created);
    let retry = svc
        .hold(&fan, &event, &seat("A-1-1"), Some(&first_use))
        .await
        .unwrap();
    assert!(!retry.created, "a retry of one use finds its hold");
    assert_eq!(retry.hold.id, first.hold.id);
    let now = clock.now();
    let checked_out = a
        .inventory
        .check_out_hold(&first.hold.id, now, now + Duration::minutes(15))
        .await
        .unwrap();
    a.inventory.sell_hold(&checked_out, now).await.unwrap();

    clock.advance(Duration::hours(25));
    let second_use = KeyUse {
        key: "k".into(),
        since: clock.now(),
    };
    // The same request again: A-1-1 is sold (to the first use's booking), so it is refused
    // like anyone else's, not answered with the old hold.
    let same = svc
        .hold(&fan, &event, &seat("A-1-1"), Some(&second_use))
        .await;
    match same {
        Err(HoldError::SeatsUnavailable { .. }) => {}
        Err(e) => panic!("expected seats_unavailable, got {e:?}"),
        Ok(old) => panic!("the reused key was answered with hold {}", old.hold.id),
    }
    // Another request under the reused key is simply a new hold.
    let other = svc
        .hold(&fan, &event, &seat("A-1-2"), Some(&second_use))
        .await
        .unwrap();
    assert!(other.created);
    assert_ne!(other.hold.id, first.hold.id);
    let retry = svc
        .hold(&fan, &event, &seat("A-1-2"), Some(&second_use))
        .await
        .unwrap();
    assert!(!retry.created, "and its retries find it");
    assert_eq!(retry.hold.id, other.hold.id);
}

/// A buyer's hold requests and checkouts are counted per minute, refused or not, so a script
/// cannot keep re-holding a venue or try card after card: the 31st hold request and the 11th
/// checkout in a minute are refused, other buyers are not, and a guest is counted by email
/// (every guest token is a new user). Before, nothing counted them.
pub async fn buyers_are_limited_per_minute(a: Adapters) {
    use stagepass_domain::bookings::{Buyer, Checkout};
    use stagepass_domain::{BookingError, BuyerRate, Clock, HoldId, ManualClock, PaymentMethod};
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let into = clock.now().timestamp_millis().rem_euclid(60_000);
    clock.advance(Duration::milliseconds(60_000 - into));
    let svc = stagepass_tests::service(
        a.catalog.clone(),
        a.inventory.clone(),
        a.limiter.clone(),
        clock.clone(),
    );
    let event = on_sale(&svc, one_row(40)).await;
    let buyer = |user: &str, email: &str| Buyer {
        user: UserId::new(user),
        email: email.into(),
    };
    let seat = |s: u32| HoldRequest {
        seats: vec![format!("A-1-{s}")],
        ga: vec![],
    };
    let scripted = buyer("script", "script@example.com");
    let mut refused_otherwise = 0;
    for n in 1..=30 {
        // Seat 1 again and again: after the first, each is refused (by the seat), yet counted.
        match svc.holds.hold(&scripted, &event, &seat(1), None).await {
            Ok(_) => assert_eq!(n, 1),
            Err(HoldError::SeatsUnavailable { .. }) => refused_otherwise += 1,
            Err(e) => panic!("request {n}: {e:?}"),
        }
    }
    assert_eq!(refused_otherwise, 29);
    match svc.holds.hold(&scripted, &event, &seat(2), None).await {
        Err(HoldError::RateLimited { retry_after_secs }) => {
            assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
        }
        other => panic!("the 31st request: {:?}", other.map(|o| o.hold.id)),
    }
    let fan = buyer("fan", "fan@example.com");
    svc.holds.hold(&fan, &event, &seat(3), None).await.unwrap();

    // Guests: a fresh user per token, one count per email.
    for n in 0..30 {
        let guest = buyer(&format!("guest-{n}"), "Bot@Example.com");
        let _ = svc.holds.hold(&guest, &event, &seat(4), None).await;
    }
    let another_token = buyer("guest-new", "bot@example.com");
    assert!(matches!(
        svc.holds.hold(&another_token, &event, &seat(5), None).await,
        Err(HoldError::RateLimited { .. })
    ));

    let checkout = Checkout {
        admissions: None,
        catalog: a.catalog.clone(),
        inventory: a.inventory.clone(),
        bookings: a.bookings.clone(),
        workflow: Arc::new(stagepass_tests::saga::StartedSagas::default()),
        clock: clock.clone(),
        rate: BuyerRate::new(a.limiter.clone(), clock.clone(), "checkouts", 10),
    };
    let card = || PaymentMethod::parse("pm_card_visa").unwrap();
    let nowhere = HoldId::generate();
    for n in 1..=10 {
        assert!(
            matches!(
                checkout.checkout(&fan, &nowhere, card()).await,
                Err(BookingError::HoldNotFound(_))
            ),
            "checkout {n}"
        );
    }
    assert!(matches!(
        checkout.checkout(&fan, &nowhere, card()).await,
        Err(BookingError::RateLimited { .. })
    ));

    clock.advance(Duration::seconds(60));
    svc.holds
        .hold(&scripted, &event, &seat(6), None)
        .await
        .unwrap();
    assert!(matches!(
        checkout.checkout(&fan, &nowhere, card()).await,
        Err(BookingError::HoldNotFound(_))
    ));
}

/// A hold on a draft is refused as on an event that does not exist (before: "not on sale",
/// which told a fan that someone's unpublished event existed).
pub async fn a_hold_on_a_draft_finds_no_event(a: Adapters) {
    let svc = service(&a);
    let organiser = Actor {
        user: UserId::new("org"),
        admin: false,
    };
    let body =
        stagepass_tests::event_body("Secret", "concert", stagepass_tests::in_days(9), 1, 5, 0);
    let draft = svc
        .create_event(&organiser, serde_json::from_value(body).unwrap())
        .await
        .unwrap();
    let request = HoldRequest {
        seats: vec!["A-1-1".into()],
        ga: vec![],
    };
    match svc
        .hold(&UserId::new("fan"), &draft.id, &request, None)
        .await
    {
        Err(HoldError::EventNotFound(id)) => assert_eq!(id, draft.id.to_string()),
        other => panic!("{:?}", other.map(|o| o.hold.id)),
    }
}
