use crate::Adapters;
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::InventoryStoreError;
use stagepass_domain::{EventId, Hold, HoldId, HoldStatus, UnitId, UserId, to_millis};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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

fn blocks(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
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
    a.inventory.place_hold(&h, t).await.unwrap();
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
    a.inventory.place_hold(&first, t).await.unwrap();
    let second = hold(
        &event,
        seats(&["A-1-4", "A-1-3", "A-1-1", "A-1-5"]),
        t,
        Duration::minutes(10),
    );
    match a.inventory.place_hold(&second, t).await {
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
    a.inventory.place_hold(&short, t).await.unwrap();
    let before_expiry = t + Duration::seconds(29);
    let rival = hold(
        &event,
        seats(&["A-1-2"]),
        before_expiry,
        Duration::minutes(10),
    );
    assert!(matches!(
        a.inventory.place_hold(&rival, before_expiry).await,
        Err(InventoryStoreError::Taken(_))
    ));
    // The moment it expires the seats are free, though no TTL has deleted anything.
    let at_expiry = t + Duration::seconds(30);
    assert!(live(&a, &event, at_expiry).await.is_empty());
    let rival = hold(&event, seats(&["A-1-2"]), at_expiry, Duration::minutes(10));
    a.inventory.place_hold(&rival, at_expiry).await.unwrap();
    let units = live(&a, &event, at_expiry).await;
    assert_eq!(units.get("A-1-2"), Some(&rival.id));
    assert_eq!(units.len(), 1);
}

pub async fn a_second_hold_with_the_same_id_returns_the_stored_one(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["B-2-1"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t).await.unwrap();
    // Same id, even with other seats: the stored hold wins and nothing else is claimed.
    let mut retry = h.clone();
    retry.units = seats(&["B-2-2"]);
    match a.inventory.place_hold(&retry, t).await {
        Err(InventoryStoreError::HoldExists(stored)) => assert_eq!(*stored, h),
        other => panic!("expected HoldExists, got {other:?}"),
    }
    // Same id and same seats (the seat is "taken" by itself): still reported as the stored hold.
    match a.inventory.place_hold(&h, t).await {
        Err(InventoryStoreError::HoldExists(stored)) => assert_eq!(*stored, h),
        other => panic!("expected HoldExists, got {other:?}"),
    }
    assert_eq!(live(&a, &event, t).await.len(), 1);
}

pub async fn release_frees_units_once(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let h = hold(&event, seats(&["A-3-1", "A-3-2"]), t, Duration::minutes(10));
    a.inventory.place_hold(&h, t).await.unwrap();
    let released = a.inventory.release_hold(&h.id).await.unwrap();
    assert_eq!(released.status, HoldStatus::Released);
    assert!(live(&a, &event, t).await.is_empty());
    assert_eq!(
        a.inventory.find_hold(&h.id).await.unwrap().unwrap().status,
        HoldStatus::Released
    );
    assert_eq!(
        a.inventory.release_hold(&h.id).await,
        Err(InventoryStoreError::HoldNotActive)
    );
    assert_eq!(
        a.inventory.release_hold(&HoldId::generate()).await,
        Err(InventoryStoreError::HoldNotFound)
    );
    let next = hold(&event, seats(&["A-3-1", "A-3-2"]), t, Duration::minutes(10));
    a.inventory.place_hold(&next, t).await.unwrap();
}

pub async fn release_after_expiry_leaves_the_new_holders_units(a: Adapters) {
    let event = EventId::generate();
    let t = now();
    let old = hold(&event, seats(&["A-4-1", "A-4-2"]), t, Duration::seconds(10));
    a.inventory.place_hold(&old, t).await.unwrap();
    let later = t + Duration::seconds(11);
    let new = hold(&event, seats(&["A-4-2"]), later, Duration::minutes(10));
    a.inventory.place_hold(&new, later).await.unwrap();
    a.inventory.release_hold(&old.id).await.unwrap();
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
    a.inventory.place_hold(&h, t).await.unwrap();
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
            (inventory.place_hold(&h, t).await, h)
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
