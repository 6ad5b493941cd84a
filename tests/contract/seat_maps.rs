//! The seat map over each store: served from a snapshot for at most its age, rebuilt by one
//! viewer at a time, never older than a stored newer one, and the same figures as the units.

use crate::Adapters;
use crate::service::{on_a_clock, on_sale, one_row};
use chrono::{Duration, Utc};
use stagepass_domain::catalog::seat_map::{
    Availability, MapSettings, SeatMaps, SeatState, Snapshot, seat_states,
};
use stagepass_domain::{Clock, HoldRequest, ManualClock, UserId};
use std::sync::Arc;

fn maps(a: &Adapters, clock: Arc<ManualClock>) -> SeatMaps {
    SeatMaps::new(
        a.catalog.clone(),
        a.inventory.clone(),
        a.maps.clone(),
        clock,
        MapSettings::default(),
    )
}

fn states(map: &Availability) -> Vec<SeatState> {
    seat_states(&map.sections[0].rows[0].runs).expect("runs")
}

fn read(body: &str) -> Availability {
    serde_json::from_str(body).expect("availability JSON")
}

/// A view within `max_age` of the last rebuild is the same snapshot, even after a hold; past
/// it, the hold shows. Another function's process (its own memory empty) gets the stored one.
pub async fn a_map_is_served_from_its_snapshot_for_its_age_then_rebuilt(a: Adapters) {
    let (clock, svc) = on_a_clock(&a);
    let event = on_sale(&svc, one_row(6)).await;
    let first = maps(&a, clock.clone());
    let before = first.view(None, &event).await.unwrap();
    assert!(before.public);
    assert_eq!(
        states(&read(&before.snapshot.body)),
        vec![SeatState::Available; 6]
    );
    let request = HoldRequest {
        seats: vec!["A-1-2".into()],
        ga: vec![],
    };
    svc.hold(&UserId::new("fan"), &event, &request, None)
        .await
        .unwrap();
    clock.advance(Duration::milliseconds(1500));
    // Within the age: this process's memory, and another process's read of the store.
    let again = first.view(None, &event).await.unwrap();
    assert_eq!(again.snapshot.etag, before.snapshot.etag);
    let other = maps(&a, clock.clone()).view(None, &event).await.unwrap();
    assert_eq!(other.snapshot.etag, before.snapshot.etag);
    // Past it: rebuilt, with the hold.
    clock.advance(Duration::milliseconds(600));
    let after = first.view(None, &event).await.unwrap();
    assert_ne!(after.snapshot.etag, before.snapshot.etag);
    let map = read(&after.snapshot.body);
    assert_eq!(map.as_of, clock.now());
    assert_eq!(map.available, 5);
    assert_eq!(
        states(&map),
        [1, 2, 3, 4, 5, 6].map(|n| if n == 2 {
            SeatState::Held
        } else {
            SeatState::Available
        })
    );
}

/// Of many viewers finding the map old at once, one rebuilds; the claim lapses at its end.
pub async fn one_viewer_at_a_time_may_rebuild(a: Adapters) {
    let event = stagepass_domain::EventId::generate();
    let t = stagepass_domain::to_millis(Utc::now());
    let tries = (0..20).map(|_| {
        let maps = a.maps.clone();
        let event = event.clone();
        tokio::spawn(async move {
            maps.claim_rebuild(&event, t, t + Duration::seconds(10))
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for t in tries {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    let later = t + Duration::seconds(5);
    assert!(!a.maps.claim_rebuild(&event, later, later).await.unwrap());
    let lapsed = t + Duration::seconds(10);
    assert!(
        a.maps
            .claim_rebuild(&event, lapsed, lapsed + Duration::seconds(10))
            .await
            .unwrap()
    );
    // Storing gives the claim up.
    assert_eq!(a.maps.latest(&event).await.unwrap(), None);
    let snapshot = Snapshot {
        taken_at: lapsed,
        body: "{}".into(),
        etag: "\"1\"".into(),
    };
    a.maps.store(&event, &snapshot).await.unwrap();
    assert!(
        a.maps
            .claim_rebuild(&event, lapsed, lapsed + Duration::seconds(10))
            .await
            .unwrap()
    );
}

/// A slow rebuild that finishes after a newer one does not put the older map back.
pub async fn an_older_snapshot_never_replaces_a_newer_one(a: Adapters) {
    let event = stagepass_domain::EventId::generate();
    let t = stagepass_domain::to_millis(Utc::now());
    let at = |ms: i64, tag: &str| Snapshot {
        taken_at: t + Duration::milliseconds(ms),
        body: format!("{{\"tag\":\"{tag}\"}}"),
        etag: format!("\"{tag}\""),
    };
    a.maps.store(&event, &at(2000, "new")).await.unwrap();
    assert!(
        a.maps
            .claim_rebuild(&event, t, t + Duration::seconds(10))
            .await
            .unwrap()
    );
    a.maps.store(&event, &at(1000, "old")).await.unwrap();
    assert_eq!(a.maps.latest(&event).await.unwrap(), Some(at(2000, "new")));
    // The slow rebuild gave its claim up though its map was not kept.
    assert!(
        a.maps
            .claim_rebuild(&event, t, t + Duration::seconds(10))
            .await
            .unwrap()
    );
    a.maps.store(&event, &at(3000, "newer")).await.unwrap();
    assert_eq!(
        a.maps.latest(&event).await.unwrap(),
        Some(at(3000, "newer"))
    );
}

/// A 200,000-seat map (the layout limit), every seat sold but one in each row, round-trips
/// the store: its JSON passes DynamoDB's 400 KB item limit, and the adapter must still keep it.
pub async fn the_largest_map_round_trips_the_store(a: Adapters) {
    use stagepass_domain::catalog::seat_map::{RowAvailability, SectionAvailability};
    let event = stagepass_domain::EventId::generate();
    let sections = (0..40)
        .map(|s| SectionAvailability {
            id: format!("S{s}"),
            rows: (0..100)
                .map(|r| RowAvailability {
                    label: format!("{r}"),
                    // 50 seats, in a pattern that compresses poorly.
                    runs: (0..50)
                        .map(|i| format!("1{}", ["a", "h", "s"][(i * 7 + r * 3 + s) % 3]))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let map = Availability {
        event_id: event.to_string(),
        as_of: Utc::now(),
        available: 66_000,
        sections,
        ga_areas: vec![],
    };
    let snapshot = Snapshot::of(&map);
    assert!(snapshot.body.len() > 400_000, "{}", snapshot.body.len());
    a.maps.store(&event, &snapshot).await.unwrap();
    let stored = a.maps.latest(&event).await.unwrap().expect("stored");
    assert_eq!(stored.etag, snapshot.etag);
    assert_eq!(read(&stored.body), map);
}

/// With no age allowed, every view shows the units as they are, even with the clock standing
/// still (snapshots of the same instant replace each other, and each gives its claim up).
pub async fn with_no_age_allowed_every_view_is_fresh(a: Adapters) {
    let (clock, svc) = on_a_clock(&a);
    let event = on_sale(&svc, one_row(3)).await;
    let maps = SeatMaps::new(
        a.catalog.clone(),
        a.inventory.clone(),
        a.maps.clone(),
        clock.clone(),
        MapSettings {
            max_age: Duration::zero(),
            ..MapSettings::default()
        },
    );
    for (n, seat) in ["A-1-1", "A-1-2", "A-1-3"].iter().enumerate() {
        let request = HoldRequest {
            seats: vec![seat.to_string()],
            ga: vec![],
        };
        svc.hold(&UserId::new(format!("fan{n}")), &event, &request, None)
            .await
            .unwrap();
        let map = read(&maps.view(None, &event).await.unwrap().snapshot.body);
        assert_eq!(map.available, 2 - n as u64, "after {seat}");
    }
}
