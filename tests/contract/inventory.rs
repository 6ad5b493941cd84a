use crate::Adapters;
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::InventoryStoreError;
use stagepass_domain::{EventId, Hold, HoldId, HoldStatus, UnitId, UserId, to_millis};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A limit on places held per holder that these tests never reach.
pub const UNCAPPED: u32 = 1000;

fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}

pub fn seats(names: &[&str]) -> Vec<UnitId> {
    names.iter().map(|s| UnitId::from_stored(*s)).collect()
}

pub fn hold(event: &EventId, units: Vec<UnitId>, at: DateTime<Utc>, lasts: Duration) -> Hold {
    Hold {
        id: HoldId::generate(),
        event_id: event.clone(),
        holder: UserId::new(format!("fan-{}", uuid::Uuid::new_v4())),
        seats: units.iter().map(|u| u.to_string()).collect(),
        ga: vec![],
        units,
        total: 1000,
        currency: "GBP".into(),
        status: HoldStatus::Active,
        created_at: at,
        expires_at: at + lasts,
        request_fingerprint: "fp".into(),
    }
}

/// Blocks by name: areas are the ones named `floor…`, of 2,500 places (more than one
/// partition key's worth in the DynamoDB adapter).
fn blocks(names: &[&str]) -> Vec<stagepass_domain::Block> {
    names
        .iter()
        .map(|s| match s.starts_with("floor") {
            true => stagepass_domain::Block::area(s, 2500),
            false => stagepass_domain::Block::section(s),
        })
        .collect()
}

async fn live(a: &Adapters, event: &EventId, at: DateTime<Utc>) -> BTreeMap<String, HoldId> {
    a.inventory
        .live_units(event, &blocks(&["A", "B", "floor"]), at)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.unit.to_string(), r.hold_id))
        .collect()
}

pub async fn a_placed_hold_can_be_found_and_its_units_are_live(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(
        &event,
        seats(&["A-1-1", "A-1-2", "floor#7"]),
        t,
        Duration::minutes(10),
    );
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    assert_eq!(a.inventory.find_hold(&h.id).await.unwrap(), Some(h.clone()));
    let units = live(&a, &event, t).await;
    assert_eq!(
        units.keys().cloned().collect::<Vec<_>>(),
        vec!["A-1-1", "A-1-2", "floor#7"]
    );
    assert!(units.values().all(|id| *id == h.id));
    // Another event's units of the same names are separate.
    assert!(live(&a, &EventId::generate(), t).await.is_empty());
    assert_eq!(
        a.inventory.find_hold(&HoldId::generate()).await.unwrap(),
        None
    );
}

pub async fn a_conflict_names_every_taken_unit_and_writes_nothing(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let first = hold(
        &event,
        seats(&["A-1-1", "A-1-2", "A-1-3"]),
        t,
        Duration::minutes(10),
    );
    a.inventory
        .place_hold(&first, t, UNCAPPED, &[])
        .await
        .unwrap();
    let second = hold(
        &event,
        seats(&["A-1-4", "A-1-3", "A-1-1", "A-1-5"]),
        t,
        Duration::minutes(10),
    );
    match a.inventory.place_hold(&second, t, UNCAPPED, &[]).await {
        Err(InventoryStoreError::Taken(units)) => {
            let names: BTreeSet<String> = units.iter().map(|u| u.to_string()).collect();
            assert_eq!(
                names,
                BTreeSet::from(["A-1-1".to_string(), "A-1-3".to_string()])
            );
        }
        other => panic!("expected Taken, got {other:?}"),
    }
    // All or nothing: the free seats of the failed hold were not claimed, nor the hold recorded.
    let units = live(&a, &event, t).await;
    assert_eq!(units.len(), 3);
    assert!(!units.contains_key("A-1-4") && !units.contains_key("A-1-5"));
    assert_eq!(a.inventory.find_hold(&second.id).await.unwrap(), None);
}

pub async fn an_expired_hold_blocks_nobody(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let short = hold(&event, seats(&["A-1-1", "A-1-2"]), t, Duration::seconds(30));
    a.inventory
        .place_hold(&short, t, UNCAPPED, &[])
        .await
        .unwrap();
    let before_expiry = t + Duration::seconds(29);
    let rival = hold(
        &event,
        seats(&["A-1-2"]),
        before_expiry,
        Duration::minutes(10),
    );
    assert!(matches!(
        a.inventory
            .place_hold(&rival, before_expiry, UNCAPPED, &[])
            .await,
        Err(InventoryStoreError::Taken(_))
    ));
    // The moment it expires the seats are free, though no TTL has deleted anything.
    let at_expiry = t + Duration::seconds(30);
    assert!(live(&a, &event, at_expiry).await.is_empty());
    let rival = hold(&event, seats(&["A-1-2"]), at_expiry, Duration::minutes(10));
    a.inventory
        .place_hold(&rival, at_expiry, UNCAPPED, &[])
        .await
        .unwrap();
    let units = live(&a, &event, at_expiry).await;
    assert_eq!(units.get("A-1-2"), Some(&rival.id));
    assert_eq!(units.len(), 1);
}

pub async fn a_second_hold_with_the_same_id_returns_the_stored_one(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["B-2-1"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    // Same id, even with other seats: the stored hold wins and nothing else is claimed.
    let mut retry = h.clone();
    retry.units = seats(&["B-2-2"]);
    match a.inventory.place_hold(&retry, t, UNCAPPED, &[]).await {
        Err(InventoryStoreError::HoldExists(stored)) => assert_eq!(*stored, h),
        other => panic!("expected HoldExists, got {other:?}"),
    }
    // Same id and same seats (the seat is "taken" by itself): still reported as the stored hold.
    match a.inventory.place_hold(&h, t, UNCAPPED, &[]).await {
        Err(InventoryStoreError::HoldExists(stored)) => assert_eq!(*stored, h),
        other => panic!("expected HoldExists, got {other:?}"),
    }
    assert_eq!(live(&a, &event, t).await.len(), 1);
}

pub async fn release_frees_units_once(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["A-3-1", "A-3-2"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    let released = a.inventory.release_hold(&h.id, &[]).await.unwrap();
    assert_eq!(released.status, HoldStatus::Released);
    assert!(live(&a, &event, t).await.is_empty());
    assert_eq!(
        a.inventory.find_hold(&h.id).await.unwrap().unwrap().status,
        HoldStatus::Released
    );
    assert_eq!(
        a.inventory.release_hold(&h.id, &[]).await,
        Err(InventoryStoreError::HoldNotActive)
    );
    assert_eq!(
        a.inventory.release_hold(&HoldId::generate(), &[]).await,
        Err(InventoryStoreError::HoldNotFound)
    );
    let next = hold(&event, seats(&["A-3-1", "A-3-2"]), t, Duration::minutes(10));
    a.inventory
        .place_hold(&next, t, UNCAPPED, &[])
        .await
        .unwrap();
}

pub async fn release_after_expiry_leaves_the_new_holders_units(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let old = hold(&event, seats(&["A-4-1", "A-4-2"]), t, Duration::seconds(10));
    a.inventory
        .place_hold(&old, t, UNCAPPED, &[])
        .await
        .unwrap();
    let later = t + Duration::seconds(11);
    let new = hold(&event, seats(&["A-4-2"]), later, Duration::minutes(10));
    a.inventory
        .place_hold(&new, later, UNCAPPED, &[])
        .await
        .unwrap();
    a.inventory.release_hold(&old.id, &[]).await.unwrap();
    let units = live(&a, &event, later).await;
    assert_eq!(units.len(), 1);
    assert_eq!(units.get("A-4-2"), Some(&new.id));
}

pub async fn blocks_do_not_leak_into_each_other(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(
        &event,
        seats(&["AB-1-1", "A-1-1", "floor#1", "floorB#1"]),
        t,
        Duration::minutes(10),
    );
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    let only = |names: &[&str]| blocks(names);
    let in_a = a
        .inventory
        .live_units(&event, &only(&["A"]), t)
        .await
        .unwrap();
    assert_eq!(
        in_a.iter().map(|r| r.unit.to_string()).collect::<Vec<_>>(),
        vec!["A-1-1"]
    );
    let in_floor = a
        .inventory
        .live_units(&event, &only(&["floor"]), t)
        .await
        .unwrap();
    assert_eq!(
        in_floor
            .iter()
            .map(|r| r.unit.to_string())
            .collect::<Vec<_>>(),
        vec!["floor#1"]
    );
}

/// Many buyers, overlapping seat sets, all at once: every unit ends with at most one hold,
/// and the stored units are exactly the union of the winners' units.
pub async fn concurrent_holds_never_share_a_unit(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let inventory = a.inventory.clone();
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let names: Vec<String> = match i % 3 {
            0 => vec![format!("A-1-{}", i % 10 + 1)],
            1 => vec![
                format!("A-1-{}", i % 10 + 1),
                format!("A-1-{}", (i + 1) % 10 + 1),
            ],
            _ => vec![
                format!("A-1-{}", i % 10 + 1),
                format!("A-1-{}", (i + 3) % 10 + 1),
                format!("A-1-{}", (i + 5) % 10 + 1),
            ],
        };
        let h = hold(
            &event,
            names
                .iter()
                .map(|n| UnitId::from_stored(n.clone()))
                .collect(),
            t,
            Duration::minutes(10),
        );
        let inventory = Arc::clone(&inventory);
        tasks.push(tokio::spawn(async move {
            (inventory.place_hold(&h, t, UNCAPPED, &[]).await, h)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (Ok(()), h) => winners.push(h),
            (Err(InventoryStoreError::Taken(units)), _) => assert!(!units.is_empty()),
            (Err(e), _) => panic!("unexpected error {e:?}"),
        }
    }
    assert!(!winners.is_empty());
    let mut claimed = BTreeMap::new();
    for w in &winners {
        for u in &w.units {
            assert!(
                claimed.insert(u.to_string(), w.id.clone()).is_none(),
                "{u} sold twice"
            );
        }
    }
    assert_eq!(live(&a, &event, t).await, claimed);
}

/// 25 one-seat holds of one holder at once, limit 10: exactly 10 are placed, whatever the
/// interleaving, and the seats held are theirs. Before the limit existed all 25 were placed.
pub async fn parallel_holds_of_one_holder_never_pass_the_limit(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let holder = UserId::new("hoarder");
    let attempts: Vec<Hold> = (1..=25)
        .map(|n| {
            let mut h = hold(
                &event,
                seats(&[&format!("A-1-{n}")]),
                t,
                Duration::minutes(10),
            );
            h.holder = holder.clone();
            h
        })
        .collect();
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|h| {
            let inventory = Arc::clone(&a.inventory);
            tokio::spawn(async move { inventory.place_hold(&h, t, 10, &[]).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let placed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(placed, 10, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, InventoryStoreError::LimitReached { held } if *held <= 10)),
        "{results:?}"
    );
    assert_eq!(live(&a, &event, t).await.len(), 10);
    // Someone else is not affected.
    let other = hold(&event, seats(&["B-1-1"]), t, Duration::minutes(10));
    a.inventory.place_hold(&other, t, 10, &[]).await.unwrap();
}

/// A released, checked-out or expired hold stops counting; a refused hold writes nothing.
pub async fn released_checked_out_and_expired_holds_stop_counting(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let holder = UserId::new("regular");
    let of = |names: &[&str], at: DateTime<Utc>| {
        let mut h = hold(&event, seats(names), at, Duration::minutes(10));
        h.holder = holder.clone();
        h
    };
    let first = of(&["A-1-1", "A-1-2", "A-1-3", "A-1-4"], t);
    let second = of(&["A-1-5", "A-1-6", "A-1-7", "A-1-8"], t);
    a.inventory.place_hold(&first, t, 10, &[]).await.unwrap();
    a.inventory.place_hold(&second, t, 10, &[]).await.unwrap();
    let third = of(&["A-2-1", "A-2-2", "A-2-3"], t);
    assert_eq!(
        a.inventory.place_hold(&third, t, 10, &[]).await,
        Err(InventoryStoreError::LimitReached { held: 8 })
    );
    assert_eq!(a.inventory.find_hold(&third.id).await.unwrap(), None);
    assert!(!live(&a, &event, t).await.contains_key("A-2-1"));
    // A retry of a placed hold is still recognised as that hold, not refused by the limit.
    assert!(matches!(
        a.inventory.place_hold(&second, t, 8, &[]).await,
        Err(InventoryStoreError::HoldExists(_))
    ));
    a.inventory.release_hold(&first.id, &[]).await.unwrap();
    a.inventory.place_hold(&third, t, 10, &[]).await.unwrap();
    a.inventory
        .check_out_hold(&second.id, t, t + Duration::minutes(15))
        .await
        .unwrap();
    let fourth = of(
        &[
            "A-3-1", "A-3-2", "A-3-3", "A-3-4", "A-3-5", "A-3-6", "A-3-7",
        ],
        t,
    );
    a.inventory.place_hold(&fourth, t, 10, &[]).await.unwrap();
    // 10 held now; once those holds expire the holder may hold 10 again.
    let later = t + Duration::minutes(11);
    let fifth = of(&["B-1-1", "B-1-2", "B-1-3", "B-1-4", "B-1-5"], later);
    assert!(matches!(
        a.inventory.place_hold(&fifth, t, 10, &[]).await,
        Err(InventoryStoreError::LimitReached { held: 10 })
    ));
    a.inventory
        .place_hold(&fifth, later, 10, &[])
        .await
        .unwrap();
}

/// Hold events go to the outbox in the hold's own write, and only when the write lands: a
/// refused hold or a second release records nothing.
pub async fn hold_events_are_written_with_the_hold_and_only_then(a: Adapters) {
    use stagepass_domain::integration::events::{hold_released, seats_held};
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["A-1-1"]), t, Duration::minutes(10));
    let rival = hold(&event, seats(&["A-1-1"]), t, Duration::minutes(10));
    a.inventory
        .place_hold(&h, t, UNCAPPED, &[seats_held(&h)])
        .await
        .unwrap();
    assert!(matches!(
        a.inventory
            .place_hold(&rival, t, UNCAPPED, &[seats_held(&rival)])
            .await,
        Err(InventoryStoreError::Taken(_))
    ));
    a.inventory
        .release_hold(&h.id, &[hold_released(&h, t)])
        .await
        .unwrap();
    assert_eq!(
        a.inventory
            .release_hold(&h.id, &[hold_released(&h, t)])
            .await,
        Err(InventoryStoreError::HoldNotActive)
    );
    let mut outbox: Vec<(String, String)> = a
        .bookings
        .undelivered(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.detail["event_id"] == event.as_str())
        .map(|e| (e.kind, e.detail["hold_id"].as_str().unwrap().to_string()))
        .collect();
    // Both facts carry the same time, and the outbox promises no order between events of
    // one instant (neither does EventBridge), so compare them as a set.
    outbox.sort();
    assert_eq!(
        outbox,
        [
            ("HoldReleased".to_string(), h.id.to_string()),
            ("SeatsHeld".to_string(), h.id.to_string()),
        ]
    );
}

/// Of many observers of one expiry (and a release racing them), exactly one records it; a
/// hold not yet expired, released or checked out is never expired.
pub async fn a_hold_expiry_is_recorded_once_by_whoever_sees_it_first(a: Adapters) {
    use stagepass_domain::integration::events::hold_expired;
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["A-1-1", "A-1-2"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t, UNCAPPED, &[]).await.unwrap();
    let before = t + Duration::minutes(10) - Duration::milliseconds(1);
    let after = t + Duration::minutes(10);
    assert_eq!(
        a.inventory
            .expire_hold(&h.id, before, &[hold_expired(&h)])
            .await,
        Ok(None),
        "not yet expired"
    );
    let observers = (0..12).map(|_| {
        let (inventory, h) = (a.inventory.clone(), h.clone());
        tokio::spawn(async move {
            inventory
                .expire_hold(&h.id, after, &[hold_expired(&h)])
                .await
                .unwrap()
        })
    });
    let mut recorded = 0;
    for o in observers {
        if o.await.unwrap().is_some() {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1);
    let stored = a.inventory.find_hold(&h.id).await.unwrap().unwrap();
    assert_eq!(stored.status, HoldStatus::Expired);
    assert_eq!(stored.state_at(after), "expired");
    assert_eq!(
        a.inventory.release_hold(&h.id, &[]).await,
        Err(InventoryStoreError::HoldNotActive),
        "an expired hold is not released after"
    );
    assert_eq!(
        a.inventory.check_out_hold(&h.id, after, after).await,
        Err(InventoryStoreError::HoldExpired)
    );
    let kinds: Vec<String> = a
        .bookings
        .undelivered(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.detail["hold_id"] == h.id.as_str())
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["HoldExpired"]);

    // A released hold, past its expiry, is not expired.
    let released = hold(&event, seats(&["B-1-1"]), t, Duration::minutes(10));
    a.inventory
        .place_hold(&released, t, UNCAPPED, &[])
        .await
        .unwrap();
    a.inventory.release_hold(&released.id, &[]).await.unwrap();
    assert_eq!(
        a.inventory
            .expire_hold(&released.id, after, &[hold_expired(&released)])
            .await,
        Ok(None)
    );
    assert_eq!(
        a.inventory
            .expire_hold(&HoldId::generate(), after, &[])
            .await,
        Err(InventoryStoreError::HoldNotFound)
    );
}

/// An area's places may be stored under many partition keys (the DynamoDB adapter puts each
/// 1,000 under one): a hold across them is still all or nothing, its places are read back
/// from every key, and a release frees them all.
pub async fn a_hold_of_places_under_many_keys_is_all_or_nothing(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let first = hold(
        &event,
        seats(&["floor#1", "floor#1000", "floor#1001", "floor#2500"]),
        t,
        Duration::minutes(10),
    );
    a.inventory
        .place_hold(&first, t, UNCAPPED, &[])
        .await
        .unwrap();
    assert_eq!(
        live(&a, &event, t)
            .await
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["floor#1", "floor#1000", "floor#1001", "floor#2500"]
    );
    // One place taken, under the last key: nothing of this hold is written, in any key.
    let second = hold(
        &event,
        seats(&["floor#2", "floor#1500", "floor#2001", "floor#2500"]),
        t,
        Duration::minutes(10),
    );
    match a.inventory.place_hold(&second, t, UNCAPPED, &[]).await {
        Err(InventoryStoreError::Taken(units)) => {
            assert_eq!(units, vec![UnitId::from_stored("floor#2500")]);
        }
        other => panic!("expected Taken, got {other:?}"),
    }
    assert_eq!(live(&a, &event, t).await.len(), 4);
    a.inventory.release_hold(&first.id, &[]).await.unwrap();
    assert!(live(&a, &event, t).await.is_empty());
    let third = hold(&event, second.units.clone(), t, Duration::minutes(10));
    a.inventory
        .place_hold(&third, t, UNCAPPED, &[])
        .await
        .unwrap();
    assert_eq!(live(&a, &event, t).await.len(), 4);
}
