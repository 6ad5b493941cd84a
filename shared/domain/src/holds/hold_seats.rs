//! Holding seats and general-admission places, all or nothing, for a short while.

use super::error::HoldError;
use super::models::{Hold, HoldRequest, HoldStatus, PricedRequest};
use super::ports::{InventoryStoreError, SeatInventory};
use crate::cache::Recent;
use crate::catalog::layout::{Block, UnitId};
use crate::catalog::ports::EventCatalog;
use crate::catalog::{Event, EventStatus};
use crate::clock::Clock;
use crate::error::unavailable;
use crate::idempotency::KeyUse;
use crate::identity::{Buyer, RateLimiter};
use crate::ids::{EventId, HoldId};
use crate::queue::Admissions;
use crate::rate::BuyerRate;
use chrono::Duration;
use rand::seq::IteratorRandom;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct HoldSettings {
    /// How long a hold lasts. Fixed at creation: holds are never extended.
    pub hold_ttl: Duration,
    pub max_units_per_hold: usize,
    /// Places one holder may hold at one event at once, across all their holds.
    pub max_held_per_event: u32,
    /// Hold requests per buyer per minute, refused or not: a script retrying holds to keep
    /// seats off sale gets this many tries, not thousands.
    pub holds_per_minute: u32,
    /// Checkouts per buyer per minute (card testing tries many cards on one hold).
    pub checkouts_per_minute: u32,
    /// How long a warm function may reuse a published event it read, so an on-sale does not
    /// send every hold to the one catalog item. Published layouts never change.
    pub published_cache_ttl: std::time::Duration,
}

impl Default for HoldSettings {
    fn default() -> Self {
        Self {
            hold_ttl: Duration::minutes(10),
            max_units_per_hold: 10,
            max_held_per_event: 10,
            holds_per_minute: 30,
            checkouts_per_minute: 10,
            published_cache_ttl: std::time::Duration::from_secs(5),
        }
    }
}

/// A hold and whether this call made it (false: a retry replayed it).
pub struct HoldOutcome {
    pub hold: Hold,
    pub created: bool,
}

/// Attempts with random general-admission places before reading which ones are free.
const RANDOM_GA_ATTEMPTS: usize = 2;
const MAX_GA_ATTEMPTS: usize = 6;

pub struct HoldSeats {
    catalog: Arc<dyn EventCatalog>,
    inventory: Arc<dyn SeatInventory>,
    clock: Arc<dyn Clock>,
    settings: HoldSettings,
    rate: BuyerRate,
    published: Recent<EventId, Arc<Event>>,
    /// The waiting rooms' door; none where no room can be set (some tests).
    admissions: Option<Arc<Admissions>>,
}

impl HoldSeats {
    pub fn new(
        catalog: Arc<dyn EventCatalog>,
        inventory: Arc<dyn SeatInventory>,
        limiter: Arc<dyn RateLimiter>,
        clock: Arc<dyn Clock>,
        settings: HoldSettings,
    ) -> Self {
        Self {
            catalog,
            inventory,
            rate: BuyerRate::new(limiter, clock.clone(), "holds", settings.holds_per_minute),
            clock,
            published: Recent::new(settings.published_cache_ttl),
            settings,
            admissions: None,
        }
    }

    /// Holds then need an admission token while the event's waiting room guards it.
    pub fn with_admissions(mut self, admissions: Arc<Admissions>) -> Self {
        self.admissions = Some(admissions);
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// A published event for the hold path, from a short per-process cache.
    async fn on_sale_event(&self, id: &EventId) -> Result<Arc<Event>, HoldError> {
        if let Some(e) = self.published.get(id) {
            return Ok(e);
        }
        let event = self
            .catalog
            .get(id)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| HoldError::EventNotFound(id.to_string()))?;
        match event.status {
            EventStatus::Published => {}
            // Unpublished events are not found by buyers, here as when they read them: a
            // refusal that said "not on sale" would tell them the draft exists.
            EventStatus::Draft => return Err(HoldError::EventNotFound(id.to_string())),
            _ => return Err(HoldError::EventNotOnSale),
        }
        let event = Arc::new(event);
        self.published.put(id.clone(), event.clone());
        Ok(event)
    }

    /// Holds seats and/or general-admission places, all or nothing.
    ///
    /// With an idempotency key the hold id is derived from (holder, key): a retry finds the
    /// hold the first attempt made and returns it instead of holding twice. A hold made
    /// before this use of the key began belongs to an earlier use (the key expired and is
    /// used again): this use then holds under an id that also names when it began.
    ///
    /// Every request counts towards the buyer's `holds_per_minute`, and is refused past it.
    pub async fn hold(
        &self,
        buyer: &Buyer,
        event_id: &EventId,
        request: &HoldRequest,
        idempotency_key: Option<&KeyUse>,
    ) -> Result<HoldOutcome, HoldError> {
        self.hold_admitted(buyer, event_id, request, idempotency_key, None)
            .await
    }

    /// [`Self::hold`] with the admission token the buyer presented, if any: while the
    /// event's waiting room guards it, a hold without a valid one is refused.
    pub async fn hold_admitted(
        &self,
        buyer: &Buyer,
        event_id: &EventId,
        request: &HoldRequest,
        idempotency_key: Option<&KeyUse>,
        admission: Option<&str>,
    ) -> Result<HoldOutcome, HoldError> {
        self.rate.count(&buyer.rate_key()).await?;
        let holder = &buyer.user;
        let event = self.on_sale_event(event_id).await?;
        if let Some(door) = &self.admissions {
            door.check(event_id, buyer, admission).await?;
        }
        let priced = request.price(&event, self.settings.max_units_per_hold)?;
        let mut hold_id = match idempotency_key {
            Some(key) => HoldId::for_idempotency_key(holder, &key.key),
            None => HoldId::generate(),
        };
        let mut known_taken: BTreeSet<UnitId> = BTreeSet::new();
        for attempt in 0..MAX_GA_ATTEMPTS {
            let now = self.clock.now();
            if !event.is_on_sale(now) {
                return Err(HoldError::EventNotOnSale);
            }
            let places = if attempt < RANDOM_GA_ATTEMPTS {
                self.pick_places(&event, &priced, &known_taken)?
            } else {
                self.pick_free_places(&event, &priced).await?
            };
            let hold = Hold {
                id: hold_id.clone(),
                event_id: event.id.clone(),
                holder: holder.clone(),
                seats: request.seats.clone(),
                ga: request.ga.clone(),
                units: priced.seats.iter().cloned().chain(places).collect(),
                total: priced.total,
                currency: event.currency.clone(),
                status: HoldStatus::Active,
                created_at: now,
                expires_at: now + self.settings.hold_ttl,
                request_fingerprint: priced.fingerprint.clone(),
            };
            let limit = self.settings.max_held_per_event;
            let events = [crate::integration::events::seats_held(&hold)];
            match self.inventory.place_hold(&hold, now, limit, &events).await {
                Ok(()) => {
                    return Ok(HoldOutcome {
                        hold,
                        created: true,
                    });
                }
                Err(InventoryStoreError::HoldExists(existing)) => {
                    if let Some(key) = idempotency_key.filter(|k| existing.created_at < k.since) {
                        let reuse = HoldId::for_key_reuse(holder, key);
                        if hold_id != reuse {
                            hold_id = reuse;
                            continue;
                        }
                    }
                    return if existing.holder == *holder
                        && existing.request_fingerprint == priced.fingerprint
                    {
                        Ok(HoldOutcome {
                            hold: *existing,
                            created: false,
                        })
                    } else {
                        Err(HoldError::IdempotencyKeyReused)
                    };
                }
                Err(InventoryStoreError::LimitReached { held }) => {
                    return Err(HoldError::HoldLimitReached { held, limit });
                }
                Err(InventoryStoreError::Taken(units)) => {
                    let mut seats: Vec<String> = units
                        .iter()
                        .filter(|u| !u.is_ga())
                        .map(|u| u.to_string())
                        .collect();
                    seats.sort();
                    if !seats.is_empty() {
                        return Err(HoldError::SeatsUnavailable { seats });
                    }
                    // Only general-admission places collided: pick others and try again.
                    known_taken.extend(units);
                }
                Err(e) => return Err(unavailable(e).into()),
            }
        }
        // Every attempt collided with other buyers: report what is left now.
        match self.pick_free_places(&event, &priced).await {
            Err(e) => Err(e),
            Ok(_) => Err(HoldError::SeatsUnavailable {
                seats: priced.ga.keys().cloned().collect(),
            }),
        }
    }

    /// Picks places at random among those not in `taken`, so a rush does not queue every buyer
    /// on place #1. `taken` may be partial (places seen taken so far): then a pick can still
    /// collide, and the store's condition catches it.
    fn pick_places(
        &self,
        event: &Event,
        priced: &PricedRequest,
        taken: &BTreeSet<UnitId>,
    ) -> Result<Vec<UnitId>, HoldError> {
        let mut rng = rand::rng();
        let mut out = Vec::new();
        for (area_id, &quantity) in &priced.ga {
            let area = event
                .layout
                .ga_area(area_id)
                .expect("priced against this layout");
            // Work on place numbers: an area may hold 100,000 places, and only the picked ones
            // need an id.
            let taken_slots: HashSet<u32> = taken
                .iter()
                .filter_map(|u| u.ga_slot_in(area_id))
                .filter(|slot| (1..=area.capacity).contains(slot))
                .collect();
            let free = area.capacity as usize - taken_slots.len();
            if free < quantity as usize {
                return Err(HoldError::NotEnoughPlaces {
                    area: area_id.clone(),
                    available: free as u32,
                });
            }
            let picked = (1..=area.capacity)
                .filter(|slot| !taken_slots.contains(slot))
                .choose_multiple(&mut rng, quantity as usize);
            out.extend(
                picked
                    .into_iter()
                    .map(|slot| UnitId::ga_place(area_id, slot)),
            );
        }
        Ok(out)
    }

    /// When random picks collide, read which places are really taken and pick among the rest.
    async fn pick_free_places(
        &self,
        event: &Event,
        priced: &PricedRequest,
    ) -> Result<Vec<UnitId>, HoldError> {
        let areas: Vec<Block> = priced
            .ga
            .keys()
            .filter_map(|id| event.layout.ga_area(id))
            .map(|a| Block::area(&a.id, a.capacity))
            .collect();
        let live = self
            .inventory
            .live_units(&event.id, &areas, self.clock.now())
            .await
            .map_err(unavailable)?;
        let taken: BTreeSet<UnitId> = live.into_iter().map(|r| r.unit).collect();
        self.pick_places(event, priced, &taken)
    }
}
