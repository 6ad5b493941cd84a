//! The waiting room over each store: one entry per fan, keys in order across shards, one
//! admitter at a time; and through the real use cases, 10,000 fans joining at once are
//! admitted in the documented order, none twice, and nobody holds without an admission.

use crate::Adapters;
use crate::service::{on_sale, one_row};
use chrono::{DateTime, Duration, Utc};
use stagepass_api::{Keyring, Signer, Verifier};
use stagepass_domain::queue::{
    Admission, AdmissionSigner, Admissions, ConfigureRoom, Entry, OrderKey, Progress, QueueStatus,
    RoomConfig, RoomRequest, WaitingRoom, WaitingRooms,
};
use stagepass_domain::{
    Actor, Buyer, Clock, EventId, HoldError, HoldRequest, HoldSettings, ManualClock, UserId,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000 + secs, 0).unwrap()
}

fn config(per_minute: u32) -> RoomConfig {
    RoomConfig {
        opens_at: at(0),
        closes_at: at(7200),
        rates: vec![stagepass_domain::queue::RateChange {
            from: at(0),
            per_minute,
        }],
        admission_minutes: 20,
    }
}

fn entry(event: &EventId, fan: &str, key: OrderKey) -> Entry {
    Entry {
        event_id: event.clone(),
        fan: fan.into(),
        key,
        joined_at: at(0),
        admitted_at: None,
    }
}

pub async fn one_entry_per_fan_and_its_key_in_order(a: Adapters) {
    let rooms = a.rooms.clone();
    let event = EventId::generate();
    rooms.configure(&event, &config(60)).await.unwrap();
    // The same fan joins 8 times at once: one entry, one key.
    let mut joins = tokio::task::JoinSet::new();
    for i in 0..8u32 {
        let (rooms, event) = (rooms.clone(), event.clone());
        joins.spawn(async move {
            let e = entry(&event, "user:twice", OrderKey::late(at(5), i));
            rooms.join(&e, at(7200)).await.unwrap()
        });
    }
    let mut created = 0;
    let mut kept = HashSet::new();
    while let Some(r) = joins.join_next().await {
        let (stored, made) = r.unwrap();
        created += usize::from(made);
        kept.insert(stored.key);
    }
    assert_eq!(
        (created, kept.len()),
        (1, 1),
        "one entry, and every join sees it"
    );
    // 200 fans' keys, read back merged in order, in pages.
    let mut keys: Vec<OrderKey> = (0..200u64)
        .map(|i| {
            if i % 2 == 0 {
                OrderKey::early(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            } else {
                OrderKey::late(at(1) + Duration::milliseconds(i as i64), i as u32)
            }
        })
        .collect();
    for (i, key) in keys.iter().enumerate() {
        rooms
            .join(&entry(&event, &format!("user:{i}"), key.clone()), at(7200))
            .await
            .unwrap();
    }
    keys.push(kept.into_iter().next().unwrap());
    keys.sort();
    let before = OrderKey::settled_below(at(10));
    let mut read = Vec::new();
    let mut after: Option<OrderKey> = None;
    loop {
        let page = rooms
            .keys_between(&event, after.as_ref(), &before, 37)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        read.extend(page);
    }
    assert_eq!(read, keys, "every key once, in order, across pages");
    // Keys not yet settled are not read.
    let early_only = rooms
        .keys_between(&event, None, &OrderKey::settled_below(at(3)), 1000)
        .await
        .unwrap();
    assert_eq!(early_only.len(), 100);
    assert!(early_only.iter().all(OrderKey::is_early));
    // A first admission is recorded once.
    let first = rooms
        .mark_admitted(&event, "user:3", at(60))
        .await
        .unwrap()
        .unwrap();
    let again = rooms
        .mark_admitted(&event, "user:3", at(90))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.admitted_at, again.admitted_at),
        (Some(at(60)), Some(at(60)))
    );
    assert!(
        rooms
            .mark_admitted(&event, "user:nobody", at(60))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn one_admitter_at_a_time(a: Adapters) {
    let rooms = a.rooms.clone();
    let event = EventId::generate();
    assert!(
        rooms
            .claim_tick(&event, at(0), at(10))
            .await
            .unwrap()
            .is_none(),
        "no room, no tick"
    );
    rooms.configure(&event, &config(60)).await.unwrap();
    let mut claims = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (rooms, event) = (rooms.clone(), event.clone());
        claims.spawn(async move { rooms.claim_tick(&event, at(1), at(11)).await.unwrap() });
    }
    let mut won = 0;
    while let Some(r) = claims.join_next().await {
        won += usize::from(r.unwrap().is_some());
    }
    assert_eq!(won, 1);
    // The claim lapses; a lapsed claim's progress does not replace the next admitter's.
    let next = rooms.claim_tick(&event, at(12), at(22)).await.unwrap();
    assert!(next.is_some(), "a lapsed claim can be taken");
    let late = Progress {
        admitted: 1,
        ..Progress::default()
    };
    assert!(!rooms.save_progress(&event, &late, at(11)).await.unwrap());
    let mine = Progress {
        admitted: 2,
        ..Progress::default()
    };
    assert!(rooms.save_progress(&event, &mine, at(22)).await.unwrap());
    let room = rooms.room(&event).await.unwrap().unwrap();
    assert_eq!(room.progress.admitted, 2);
    // Saving gave the claim up; changing the config keeps the progress.
    let claimed = rooms.claim_tick(&event, at(13), at(23)).await.unwrap();
    assert_eq!(claimed.unwrap().progress.admitted, 2);
    rooms.configure(&event, &config(120)).await.unwrap();
    let room = rooms.room(&event).await.unwrap().unwrap();
    assert_eq!(
        (room.progress.admitted, room.config.rate_at(at(1))),
        (2, 120)
    );
}

fn keyring() -> (Arc<Keyring<Signer>>, Arc<Keyring<Verifier>>) {
    let keys = stagepass_tests::keys();
    (keys.access_signer, keys.access_verifier)
}

fn buyer(i: usize) -> Buyer {
    Buyer {
        user: UserId::new(format!("fan-{i}")),
        email: format!("fan-{i}@fans.example"),
    }
}

struct Rig {
    clock: Arc<ManualClock>,
    room: Arc<WaitingRoom>,
    event: EventId,
    _service: stagepass_tests::Service,
    rooms: Arc<dyn WaitingRooms>,
}

/// A published event on `a`, with a room opening at `opens` on a manual clock.
async fn rig(a: &Adapters, opens: DateTime<Utc>, per_minute: u32) -> Rig {
    let clock = Arc::new(ManualClock::new(opens - Duration::minutes(10)));
    let service = stagepass_tests::service(
        a.catalog.clone(),
        a.inventory.clone(),
        a.limiter.clone(),
        clock.clone(),
    );
    let event = on_sale(&service, one_row(50)).await;
    let (signer, _) = keyring();
    let configure = ConfigureRoom {
        catalog: a.catalog.clone(),
        rooms: a.rooms.clone(),
        clock: clock.clone(),
    };
    let organiser = Actor {
        user: UserId::new("org"),
        admin: false,
    };
    configure
        .configure(
            &organiser,
            &event,
            &RoomRequest {
                opens_at: opens,
                closes_at: opens + Duration::hours(2),
                admit_per_minute: per_minute,
                admission_minutes: None,
            },
        )
        .await
        .unwrap();
    let room = Arc::new(WaitingRoom {
        catalog: a.catalog.clone(),
        rooms: a.rooms.clone(),
        signer,
        clock: clock.clone(),
        recent: Default::default(),
    });
    Rig {
        clock,
        room,
        event,
        _service: service,
        rooms: a.rooms.clone(),
    }
}

/// Every fan's join at once (64 in flight), each twice; returns how many were created.
async fn join_all(rig: &Rig, fans: std::ops::Range<usize>) -> usize {
    let mut created = 0;
    let fans: Vec<usize> = fans.flat_map(|i| [i, i]).collect();
    for chunk in fans.chunks(64) {
        let mut joins = tokio::task::JoinSet::new();
        for &i in chunk {
            let (room, event) = (rig.room.clone(), rig.event.clone());
            joins.spawn(async move { room.join(&buyer(i), &event).await.unwrap().1 });
        }
        while let Some(made) = joins.join_next().await {
            created += usize::from(made.unwrap());
        }
    }
    created
}

/// Every fan's order key, read back from their entry.
async fn keys_of(rig: &Rig, fans: usize) -> Vec<(OrderKey, usize)> {
    let mut keys = Vec::with_capacity(fans);
    for i in 0..fans {
        let e = rig
            .rooms
            .entry(&rig.event, &buyer(i).rate_key())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("fan {i} has no entry"));
        keys.push((e.key, i));
    }
    keys
}

/// The fans the room admits now, in order.
async fn admitted(rig: &Rig, keys: &[(OrderKey, usize)]) -> BTreeMap<OrderKey, usize> {
    let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
    keys.iter()
        .filter(|(k, _)| room.admits(k))
        .cloned()
        .collect()
}

/// 10,000 fans join at once (2,000 on moto, which takes minutes for 10,000): 60 % before
/// the opening, then four waves of 10 % a second apart (each fan asks twice). At 60,000 a minute, admission takes the early arrivals first
/// in a random order, then each wave in turn; nobody twice; the room's figures add up.
pub async fn ten_thousand_fans_are_admitted_in_order_once_each(a: Adapters) {
    let fans = a.crowd;
    let (early, wave) = (fans * 6 / 10, fans / 10);
    let opens = Utc::now() + Duration::hours(1);
    let rig = rig(&a, opens, 60_000).await;
    assert_eq!(join_all(&rig, 0..early).await, early, "one entry per fan");
    // Before the opening: waiting, no position yet, the wait runs to the opening.
    let before = rig.room.position(&buyer(0), &rig.event).await.unwrap();
    let QueueStatus::Waiting {
        position: None,
        wait_secs: Some(wait),
        ..
    } = before
    else {
        panic!("{before:?}")
    };
    assert!(wait >= 600, "{wait}");
    rig.clock.set(opens + Duration::seconds(1));
    for n in 0..4 {
        let from = early + n * wave;
        assert_eq!(join_all(&rig, from..from + wave).await, wave);
        rig.clock.advance(Duration::seconds(1));
    }
    // Tick once a second; record when each fan was first admitted.
    let mut first_admitted: BTreeMap<usize, usize> = BTreeMap::new();
    let mut admitted_keys = BTreeMap::new();
    let keys = keys_of(&rig, fans).await;
    for tick in 0..40 {
        rig.clock.advance(Duration::seconds(1));
        let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
        rig.room.tick(room).await.unwrap();
        admitted_keys = admitted(&rig, &keys).await;
        for &fan in admitted_keys.values() {
            first_admitted.entry(fan).or_insert(tick);
        }
        if admitted_keys.len() == fans {
            break;
        }
    }
    assert_eq!(admitted_keys.len(), fans, "everyone, once the rate allows");
    let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
    assert_eq!(room.progress.admitted, fans as u64, "nobody counted twice");
    assert_eq!(room.progress.joined(), fans as u64);
    // The order: every early arrival before any later one, each wave before the next.
    let order: Vec<usize> = admitted_keys.values().copied().collect();
    let group = |fan: usize| {
        if fan < early {
            0
        } else {
            1 + (fan - early) / wave
        }
    };
    assert!(
        order.windows(2).all(|w| group(w[0]) <= group(w[1])),
        "early arrivals, then each wave in turn"
    );
    // And in time: every fan of a group was admitted no later than any fan of the next.
    for g in 0..4 {
        let last = (0..fans)
            .filter(|&f| group(f) == g)
            .map(|f| first_admitted[&f])
            .max();
        let next = (0..fans)
            .filter(|&f| group(f) == g + 1)
            .map(|f| first_admitted[&f])
            .min();
        assert!(
            last <= next,
            "group {g} ends at tick {last:?}, the next starts at {next:?}"
        );
    }
    // The early arrivals' order is a draw, not their joining order: the first thousand
    // admitted come from all over the joining order.
    let first = &order[..early / 6];
    let mean = first.iter().sum::<usize>() as f64 / first.len() as f64 / early as f64;
    assert!(
        (0.4..0.6).contains(&mean),
        "mean join place {mean} of the first admitted"
    );
    // Never more than the rate allowed so far, and at most one tick's worth at once.
    let mut so_far = 0;
    for tick in 0..=*first_admitted.values().max().unwrap() {
        let n = first_admitted.values().filter(|&&t| t == tick).count();
        assert!(
            n <= stagepass_domain::queue::models::ADMIT_PER_TICK,
            "{n} at tick {tick}"
        );
        so_far += n;
        // Tick `tick` ran at opening + 6 + tick seconds: 1,000 a second since the opening.
        assert!(so_far <= 1_000 * (6 + tick), "{so_far} by tick {tick}");
    }
    // Everyone gets a token for this event and themselves; joining again changes nothing.
    let (_, verifier) = keyring();
    for i in [0, early - 1, early, fans - 1] {
        let status = rig.room.position(&buyer(i), &rig.event).await.unwrap();
        let QueueStatus::Admitted { token, .. } = status else {
            panic!("{status:?}")
        };
        let admission =
            stagepass_domain::queue::AdmissionVerifier::verify_admission(verifier.as_ref(), &token)
                .await
                .expect("our token");
        assert_eq!(
            (admission.event_id, admission.fan),
            (rig.event.clone(), buyer(i).rate_key())
        );
        let (again, made) = rig.room.join(&buyer(i), &rig.event).await.unwrap();
        assert!(!made && matches!(again, QueueStatus::Admitted { .. }));
    }
}

/// Positions while waiting are close to the truth, and admission follows the rate.
pub async fn positions_and_waits_follow_the_queue(a: Adapters) {
    let opens = Utc::now() + Duration::hours(1);
    let rig = rig(&a, opens, 600).await;
    join_all(&rig, 0..400).await;
    rig.clock.set(opens + Duration::seconds(1));
    // Later arrivals one after another, 10 ms apart.
    for i in 400..500 {
        rig.room.join(&buyer(i), &rig.event).await.unwrap();
        rig.clock.advance(Duration::milliseconds(10));
    }
    rig.clock.set(opens + Duration::seconds(5));
    let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
    rig.room.tick(room).await.unwrap();
    // 10 a second for 4 s since the opening: 40 in.
    let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
    assert_eq!(room.progress.admitted, 40);
    assert_eq!(room.progress.joined(), 500);
    // True places, by key; the estimate of each is within 60 of it.
    let mut keyed = keys_of(&rig, 500).await;
    keyed.sort();
    for (rank, (_, fan)) in keyed.iter().enumerate().skip(40).step_by(23) {
        let status = rig.room.position(&buyer(*fan), &rig.event).await.unwrap();
        let QueueStatus::Waiting {
            position: Some(p),
            wait_secs: Some(w),
            ..
        } = status
        else {
            panic!("{status:?}")
        };
        let truth = (rank - 40 + 1) as i64;
        assert!(
            (p as i64 - truth).abs() <= 60,
            "fan {fan}: {p} against {truth}"
        );
        // 10 a second: the wait is the position over the rate.
        assert_eq!(w, (p as f64 / 10.0).ceil() as u64);
    }
    // The organiser halves the rate: the next 10 s admit 50, not 100.
    let configure = ConfigureRoom {
        catalog: a.catalog.clone(),
        rooms: a.rooms.clone(),
        clock: rig.clock.clone(),
    };
    let organiser = Actor {
        user: UserId::new("org"),
        admin: false,
    };
    let request = RoomRequest {
        opens_at: opens,
        closes_at: opens + Duration::hours(2),
        admit_per_minute: 300,
        admission_minutes: None,
    };
    configure
        .configure(&organiser, &rig.event, &request)
        .await
        .unwrap();
    let moved = RoomRequest {
        opens_at: opens + Duration::minutes(5),
        ..request
    };
    assert_eq!(
        configure
            .configure(&organiser, &rig.event, &moved)
            .await
            .unwrap_err(),
        stagepass_domain::queue::QueueError::WaitingRoomOpen
    );
    rig.clock.advance(Duration::seconds(10));
    let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
    rig.room.tick(room).await.unwrap();
    let room = rig.rooms.room(&rig.event).await.unwrap().unwrap();
    assert_eq!(room.progress.admitted, 90);
}

/// While the room guards the event, a hold needs the holder's own admission for this event.
pub async fn a_hold_needs_an_admission_while_the_room_guards(a: Adapters) {
    let opens = Utc::now() + Duration::hours(1);
    let rig = rig(&a, opens, 6_000).await;
    let (signer, verifier) = keyring();
    let door = Arc::new(Admissions::new(
        rig.rooms.clone(),
        verifier,
        rig.clock.clone(),
        std::time::Duration::ZERO,
    ));
    let holds = stagepass_domain::holds::HoldSeats::new(
        a.catalog.clone(),
        a.inventory.clone(),
        a.limiter.clone(),
        rig.clock.clone() as Arc<dyn Clock>,
        HoldSettings::default(),
    )
    .with_admissions(door);
    let seat = |s: &str| HoldRequest {
        seats: vec![s.into()],
        ga: vec![],
    };
    let fan = buyer(1);
    let hold = |token: Option<String>, s: &'static str| {
        let (holds, fan, event) = (&holds, fan.clone(), rig.event.clone());
        async move {
            holds
                .hold_admitted(&fan, &event, &seat(s), None, token.as_deref())
                .await
        }
    };
    // Before the opening nobody is in, so nobody holds.
    assert_eq!(
        hold(None, "A-1-1").await.err(),
        Some(HoldError::QueueTokenRequired)
    );
    rig.room.join(&fan, &rig.event).await.unwrap();
    rig.clock.set(opens + Duration::seconds(5));
    let QueueStatus::Admitted { token, expires_at } =
        rig.room.position(&fan, &rig.event).await.unwrap()
    else {
        panic!("admitted at 100 a second")
    };
    let forged = |event: &EventId, who: &str, until: DateTime<Utc>| {
        let signer = signer.clone();
        let (event, who) = (event.clone(), who.to_string());
        async move {
            signer
                .sign_admission(&Admission {
                    event_id: event,
                    fan: who,
                    expires_at: until,
                })
                .await
                .unwrap()
        }
    };
    let later = rig.clock.now() + Duration::minutes(5);
    let refused = [
        None,
        Some("not-a-token".to_string()),
        Some(forged(&rig.event, &buyer(2).rate_key(), later).await),
        Some(forged(&EventId::generate(), &fan.rate_key(), later).await),
        // An access token is not an admission.
        Some(stagepass_tests::buyer_token("fan-1")),
    ];
    for token in refused {
        assert_eq!(
            hold(token.clone(), "A-1-1").await.err(),
            Some(HoldError::QueueTokenRequired),
            "{token:?}"
        );
    }
    assert!(hold(Some(token.clone()), "A-1-1").await.is_ok());
    // The admission runs out; after the room closes, no token is needed.
    rig.clock.set(expires_at + Duration::seconds(1));
    assert_eq!(
        hold(Some(token), "A-1-2").await.err(),
        Some(HoldError::QueueTokenRequired)
    );
    assert_eq!(
        rig.room.position(&fan, &rig.event).await.unwrap(),
        QueueStatus::Expired
    );
    rig.clock
        .set(opens + Duration::hours(2) + Duration::seconds(1));
    let after = hold(None, "A-1-3").await;
    assert!(after.is_ok(), "{:?}", after.err());
}
