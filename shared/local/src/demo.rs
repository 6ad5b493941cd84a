//! Demo data for `make run`: an admin, an organiser, a door-staff account and one published
//! event the door account is assigned to, created on the first run only (later runs find them
//! and change nothing).

use serde_json::json;
use stagepass_api::{Ports, Wiring};
use stagepass_domain::catalog::{AssignDoorStaff, Catalog};
use stagepass_domain::{Accounts, Actor, NewEvent, Role};

/// Local-only demo password (the store lives in the git-ignored data folder).
pub const DEMO_PASSWORD: &str = "stagepass-demo";

pub const DEMO_ACCOUNTS: [(&str, Role); 3] = [
    ("admin@stagepass.local", Role::Admin),
    ("organiser@stagepass.local", Role::Organiser),
    ("door@stagepass.local", Role::Door),
];

/// What was seeded (or found), for the start-up banner.
pub struct Demo {
    pub event_id: Option<String>,
}

pub async fn seed(ports: &Ports) -> Result<Demo, Box<dyn std::error::Error>> {
    let accounts = Accounts::new(
        ports.identity()?,
        ports.rate_limiter()?,
        ports.clock(),
        ports.identity_settings.clone(),
    );
    let catalog = Catalog {
        catalog: ports.catalog()?,
        clock: ports.clock(),
    };
    let mut organiser = None;
    for (email, role) in DEMO_ACCOUNTS {
        let (account, created) = accounts
            .ensure_account(email, DEMO_PASSWORD, &[role])
            .await?;
        if role == Role::Organiser && created {
            organiser = Some(Actor {
                user: account.id,
                admin: false,
            });
        }
    }
    let Some(organiser) = organiser else {
        return Ok(Demo { event_id: None });
    };
    let draft = catalog.create_event(&organiser, demo_event()).await?;
    let event = catalog.publish_event(&organiser, &draft.id).await?;
    let door = AssignDoorStaff {
        catalog: ports.catalog()?,
        identity: ports.identity()?,
        clock: ports.clock(),
    };
    door.assign(&organiser, &event.id, DEMO_ACCOUNTS[2].0)
        .await?;
    Ok(Demo {
        event_id: Some(event.id.to_string()),
    })
}

fn demo_event() -> NewEvent {
    serde_json::from_value(demo_event_body()).expect("the demo event is a valid draft")
}

/// The demo event a first run publishes, as a create-event body (`make run-aws` seeds it
/// through its API).
pub fn demo_event_body() -> serde_json::Value {
    let starts_at = chrono::Utc::now() + chrono::Duration::days(30);
    json!({
        "title": "Stagepass Demo Night",
        "description": "A seated show with a standing floor, seeded by make run",
        "category": "concert",
        "venue": { "name": "Demo Hall", "city": "London" },
        "starts_at": starts_at,
        "currency": "GBP",
        "price_tiers": [
            { "id": "std", "name": "Standard", "price": 4500 },
            { "id": "vip", "name": "Front rows", "price": 9000 }
        ],
        "layout": {
            "sections": [{
                "id": "A", "name": "Stalls", "tier": "std",
                "rows": [
                    { "label": "1", "seats": 10, "tier": "vip" },
                    { "label": "2", "seats": 10, "tier": "vip" },
                    { "label": "3", "seats": 12 },
                    { "label": "4", "seats": 12 }
                ]
            }],
            "ga_areas": [{ "id": "floor", "name": "Standing", "tier": "std", "capacity": 200 }]
        }
    })
}
