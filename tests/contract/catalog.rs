use crate::Adapters;
use chrono::{Duration, Utc};
use stagepass_domain::catalog::event::city_key;
use stagepass_domain::{CatalogStoreError, ListingQuery};
use stagepass_domain::{Category, Event, EventStatus, Layout, NewEvent, PriceTier, UserId, Venue};

pub fn draft(city: &str, category: Category, days: i64) -> Event {
    let now = Utc::now();
    let input = NewEvent {
        title: format!("{city} {days}"),
        description: String::new(),
        category,
        venue: Venue {
            name: "Hall".into(),
            city: city.into(),
            address: None,
        },
        starts_at: now + Duration::days(days),
        currency: "GBP".into(),
        price_tiers: vec![PriceTier {
            id: "std".into(),
            name: "Standard".into(),
            price: 1000,
        }],
        layout: Layout::default(),
    };
    Event::new_draft(input, UserId::new("org"), now).expect("valid draft")
}

pub fn published(city: &str, category: Category, days: i64) -> Event {
    let mut e = draft(city, category, days);
    e.status = EventStatus::Published;
    e
}

fn query(city: Option<&str>, category: Option<Category>, limit: usize) -> ListingQuery {
    ListingQuery {
        city_key: city.map(city_key),
        category,
        from_key: "0000".into(),
        to_key: "9999".into(),
        limit,
    }
}

fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.id.to_string()).collect()
}

pub async fn insert_then_get_round_trips(a: Adapters) {
    let e = draft("Leeds", Category::Theatre, 3);
    a.catalog.insert(&e).await.unwrap();
    assert_eq!(a.catalog.get(&e.id).await.unwrap(), Some(e));
    let missing = stagepass_domain::EventId::generate();
    assert_eq!(a.catalog.get(&missing).await.unwrap(), None);
}

pub async fn insert_refuses_an_existing_id(a: Adapters) {
    let e = draft("Leeds", Category::Theatre, 3);
    a.catalog.insert(&e).await.unwrap();
    let mut again = e.clone();
    again.title = "overwrite".into();
    assert_eq!(
        a.catalog.insert(&again).await,
        Err(CatalogStoreError::AlreadyExists)
    );
    assert_eq!(a.catalog.get(&e.id).await.unwrap().unwrap().title, e.title);
}

pub async fn replace_needs_the_expected_version(a: Adapters) {
    let e = draft("Leeds", Category::Theatre, 3);
    a.catalog.insert(&e).await.unwrap();
    let mut next = e.clone();
    next.title = "v2".into();
    next.version = 2;
    assert_eq!(
        a.catalog.replace(&next, 7, &[]).await,
        Err(CatalogStoreError::VersionConflict)
    );
    a.catalog.replace(&next, 1, &[]).await.unwrap();
    assert_eq!(a.catalog.get(&e.id).await.unwrap().unwrap().title, "v2");
    // A second writer that read version 1 loses.
    let mut stale = e.clone();
    stale.title = "stale".into();
    stale.version = 2;
    assert_eq!(
        a.catalog.replace(&stale, 1, &[]).await,
        Err(CatalogStoreError::VersionConflict)
    );
    let unknown = draft("Leeds", Category::Theatre, 3);
    assert_eq!(
        a.catalog.replace(&unknown, 1, &[]).await,
        Err(CatalogStoreError::VersionConflict)
    );
}

pub async fn only_published_events_are_listed_in_start_order(a: Adapters) {
    let late = published("York", Category::Concert, 20);
    let early = published("York", Category::Concert, 2);
    let hidden = draft("York", Category::Concert, 5);
    for e in [&late, &early, &hidden] {
        a.catalog.insert(e).await.unwrap();
    }
    let listed = a
        .catalog
        .list_published(&query(None, None, 10))
        .await
        .unwrap();
    assert_eq!(ids(&listed), ids(&[early.clone(), late.clone()]));
    // Publishing a draft through replace lists it.
    let mut now_public = hidden.clone();
    now_public.status = EventStatus::Published;
    now_public.version = 2;
    a.catalog.replace(&now_public, 1, &[]).await.unwrap();
    let listed = a
        .catalog
        .list_published(&query(Some("york"), None, 10))
        .await
        .unwrap();
    assert_eq!(ids(&listed), ids(&[early, now_public, late]));
}

pub async fn listing_filters_by_city_category_and_window(a: Adapters) {
    let leeds_concert = published("Leeds", Category::Concert, 4);
    let leeds_sport = published("Leeds", Category::Sports, 5);
    let york_concert = published("York", Category::Concert, 6);
    let leeds_later = published("  LEEDS ", Category::Concert, 40);
    for e in [&leeds_concert, &leeds_sport, &york_concert, &leeds_later] {
        a.catalog.insert(e).await.unwrap();
    }
    let leeds = a
        .catalog
        .list_published(&query(Some("leeds"), None, 10))
        .await
        .unwrap();
    assert_eq!(
        ids(&leeds),
        ids(&[
            leeds_concert.clone(),
            leeds_sport.clone(),
            leeds_later.clone()
        ])
    );
    let concerts = a
        .catalog
        .list_published(&query(None, Some(Category::Concert), 10))
        .await
        .unwrap();
    assert_eq!(
        ids(&concerts),
        ids(&[
            leeds_concert.clone(),
            york_concert.clone(),
            leeds_later.clone()
        ])
    );
    let leeds_concerts = a
        .catalog
        .list_published(&query(Some("Leeds"), Some(Category::Concert), 10))
        .await
        .unwrap();
    assert_eq!(
        ids(&leeds_concerts),
        ids(&[leeds_concert.clone(), leeds_later.clone()])
    );
    let mut window = query(None, None, 10);
    window.from_key = leeds_sport.start_key();
    window.to_key = york_concert.start_key();
    let inside = a.catalog.list_published(&window).await.unwrap();
    assert_eq!(
        ids(&inside),
        ids(&[leeds_sport, york_concert]),
        "bounds are inclusive"
    );
}

pub async fn listing_stops_at_the_limit(a: Adapters) {
    let mut all = Vec::new();
    for day in 1..=7 {
        let e = published(
            "Bath",
            if day % 2 == 0 {
                Category::Comedy
            } else {
                Category::Other
            },
            day,
        );
        a.catalog.insert(&e).await.unwrap();
        all.push(e);
    }
    let first = a
        .catalog
        .list_published(&query(None, None, 3))
        .await
        .unwrap();
    assert_eq!(ids(&first), ids(&all[..3]));
    let comedy = a
        .catalog
        .list_published(&query(None, Some(Category::Comedy), 2))
        .await
        .unwrap();
    assert_eq!(ids(&comedy), ids(&[all[1].clone(), all[3].clone()]));
}
