//! The waiting room's use cases: the organiser sets it up, fans join it and ask where they
//! stand, and whoever asks moves admission on (one at a time, at most once a second).

use super::error::QueueError;
use super::models::{
    ADMIT_PER_TICK, Admission, BURST_SECS, COUNT_PER_TICK, Entry, MAX_RATE_PER_MINUTE, OrderKey,
    Progress, Room, RoomConfig, TICK_CLAIM, TICK_EVERY,
};
use super::ports::{AdmissionSigner, WaitingRooms};
use crate::catalog::organise::managed_event;
use crate::catalog::{EventCatalog, EventStatus};
use crate::clock::Clock;
use crate::error::unavailable;
use crate::identity::{Actor, Buyer};
use crate::ids::EventId;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::sync::Arc;

/// What an organiser sends to set up (or change) an event's waiting room.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomRequest {
    /// Fans who join before this get a random place among the early arrivals.
    pub opens_at: DateTime<Utc>,
    /// From then on holds need no admission token and the room takes no joins.
    pub closes_at: DateTime<Utc>,
    /// Fans admitted per minute (0 pauses admission). Changing it while the room is open
    /// takes effect at once; admissions already made stay.
    pub admit_per_minute: u32,
    /// How long an admitted fan may hold and check out (5–120, default 20).
    #[serde(default)]
    pub admission_minutes: Option<u32>,
}

const DEFAULT_ADMISSION_MINUTES: u32 = 20;

/// Where a fan stands.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueStatus {
    /// Still waiting. Before the opening `position` is `None`: the early arrivals' order is
    /// drawn at the opening.
    Waiting {
        position: Option<u64>,
        /// `None` while admission is paused.
        wait_secs: Option<u64>,
        /// When to ask again: sooner near the front.
        retry_after_secs: u64,
    },
    /// In: the token lets the fan hold and check out until `expires_at`.
    Admitted {
        token: String,
        expires_at: DateTime<Utc>,
    },
    /// Their admission ran out: a place in the queue is used once.
    Expired,
}

/// What the organiser sees of the room.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomStats {
    pub config: RoomConfig,
    /// Fans counted into the queue (a few seconds behind the joins).
    pub joined: u64,
    pub admitted: u64,
    pub waiting: u64,
    pub rate_per_minute: u32,
    pub as_of: Option<DateTime<Utc>>,
}

/// The organiser's side: setting the room up and changing it live.
pub struct ConfigureRoom {
    pub catalog: Arc<dyn EventCatalog>,
    pub rooms: Arc<dyn WaitingRooms>,
    pub clock: Arc<dyn Clock>,
}

impl ConfigureRoom {
    /// Sets up or changes the event's room (its organiser or an admin).
    pub async fn configure(
        &self,
        actor: &Actor,
        event_id: &EventId,
        request: &RoomRequest,
    ) -> Result<RoomStats, QueueError> {
        let event = managed_event(self.catalog.as_ref(), actor, event_id).await?;
        if event.status.is_cancelled() {
            return Err(QueueError::EventCancelled);
        }
        let now = self.clock.now();
        if request.closes_at <= request.opens_at {
            return Err(QueueError::invalid("closes_at", "must be after opens_at"));
        }
        if request.closes_at <= now {
            return Err(QueueError::invalid("closes_at", "must be in the future"));
        }
        if request.admit_per_minute > MAX_RATE_PER_MINUTE {
            return Err(QueueError::invalid(
                "admit_per_minute",
                format!("must be 0-{MAX_RATE_PER_MINUTE}"),
            ));
        }
        let minutes = request
            .admission_minutes
            .unwrap_or(DEFAULT_ADMISSION_MINUTES);
        if !(5..=120).contains(&minutes) {
            return Err(QueueError::invalid("admission_minutes", "must be 5-120"));
        }
        let existing = self.rooms.room(event_id).await?;
        // `configure` leaves the progress as it is: the answer is this config with it.
        let progress = existing
            .as_ref()
            .map(|r| r.progress.clone())
            .unwrap_or_default();
        let config = match existing {
            Some(room) if room.config.opens_at <= now => {
                // Fans were drawn and admitted against this opening: it stays.
                if request.opens_at != room.config.opens_at {
                    return Err(QueueError::WaitingRoomOpen);
                }
                RoomConfig {
                    closes_at: request.closes_at,
                    admission_minutes: minutes,
                    ..room.config
                }
                .with_rate(request.admit_per_minute, now)
            }
            _ => RoomConfig {
                opens_at: request.opens_at,
                closes_at: request.closes_at,
                rates: vec![],
                admission_minutes: minutes,
            }
            .with_rate(request.admit_per_minute, now),
        };
        self.rooms.configure(event_id, &config).await?;
        let room = Room {
            event_id: event_id.clone(),
            config,
            progress,
        };
        Ok(RoomStats::of(room, now))
    }
}

/// The fans' side: joining, asking where one stands, and admission.
pub struct WaitingRoom {
    pub catalog: Arc<dyn EventCatalog>,
    pub rooms: Arc<dyn WaitingRooms>,
    pub signer: Arc<dyn AdmissionSigner>,
    pub clock: Arc<dyn Clock>,
    /// The rooms (and that their events are on) this process read in the last second:
    /// thousands of polls a second must not all read the one room item and the one event
    /// item (a partition serves 3,000 read units a second).
    pub recent: RecentRooms,
}

/// A per-process memory of rooms read less than [`TICK_EVERY`] ago.
#[derive(Default)]
pub struct RecentRooms(std::sync::Mutex<std::collections::HashMap<EventId, (DateTime<Utc>, Room)>>);

impl RecentRooms {
    fn get(&self, event: &EventId, now: DateTime<Utc>) -> Option<Room> {
        let cache = self.0.lock().expect("cache lock");
        let (at, room) = cache.get(event)?;
        (now - *at < TICK_EVERY && now >= *at).then(|| room.clone())
    }

    fn put(&self, room: &Room, now: DateTime<Utc>) {
        let mut cache = self.0.lock().expect("cache lock");
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(room.event_id.clone(), (now, room.clone()));
    }
}

impl WaitingRoom {
    /// Puts the buyer in the event's queue, once: joining again answers their place.
    pub async fn join(
        &self,
        buyer: &Buyer,
        event_id: &EventId,
    ) -> Result<(QueueStatus, bool), QueueError> {
        let room = self.open_room(event_id).await?;
        let now = self.clock.now();
        if !room.config.guards(now) {
            return Err(QueueError::WaitingRoomClosed);
        }
        let entry = Entry {
            event_id: event_id.clone(),
            fan: buyer.rate_key(),
            key: OrderKey::for_join(room.config.opens_at, now),
            joined_at: now,
            admitted_at: None,
        };
        let (entry, created) = self.rooms.join(&entry, room.config.closes_at).await?;
        let room = self.tick(room).await?;
        Ok((self.status(&room, entry).await?, created))
    }

    /// Where the buyer stands in the event's queue.
    pub async fn position(
        &self,
        buyer: &Buyer,
        event_id: &EventId,
    ) -> Result<QueueStatus, QueueError> {
        let room = self.open_room(event_id).await?;
        let entry = self
            .rooms
            .entry(event_id, &buyer.rate_key())
            .await?
            .ok_or(QueueError::NotInQueue)?;
        let room = self.tick(room).await?;
        self.status(&room, entry).await
    }

    /// The room of a published event a fan may see.
    async fn open_room(&self, event_id: &EventId) -> Result<Room, QueueError> {
        let now = self.clock.now();
        if let Some(room) = self.recent.get(event_id, now) {
            return Ok(room);
        }
        let event = self
            .catalog
            .get(event_id)
            .await
            .map_err(unavailable)?
            .filter(|e| e.status != EventStatus::Draft)
            .ok_or_else(|| QueueError::EventNotFound(event_id.to_string()))?;
        if event.status.is_cancelled() {
            return Err(QueueError::EventCancelled);
        }
        let room = self
            .rooms
            .room(event_id)
            .await?
            .ok_or(QueueError::NoWaitingRoom)?;
        self.recent.put(&room, now);
        Ok(room)
    }

    async fn status(&self, room: &Room, entry: Entry) -> Result<QueueStatus, QueueError> {
        let now = self.clock.now();
        let config = &room.config;
        if room.admits(&entry.key) {
            // The admission runs from when the fan first hears of it, so a fan who was
            // admitted while their phone was asleep still gets their full time.
            let entry = match entry.admitted_at {
                Some(_) => entry,
                None => self
                    .rooms
                    .mark_admitted(&room.event_id, &entry.fan, now)
                    .await?
                    .ok_or(QueueError::NotInQueue)?,
            };
            let admitted_at = entry.admitted_at.unwrap_or(now);
            let expires_at = admitted_at + Duration::minutes(i64::from(config.admission_minutes));
            if expires_at <= now {
                return Ok(QueueStatus::Expired);
            }
            let token = self
                .signer
                .sign_admission(&Admission {
                    event_id: room.event_id.clone(),
                    fan: entry.fan.clone(),
                    expires_at,
                })
                .await?;
            return Ok(QueueStatus::Admitted { token, expires_at });
        }
        let rate = f64::from(config.rate_at(now.max(config.opens_at)));
        let until_open = (config.opens_at - now).num_seconds().max(0) as u64;
        let position = if now < config.opens_at {
            None
        } else {
            let ahead = room.progress.ahead_of(&entry.key);
            Some(ahead.saturating_sub(room.progress.admitted) + 1)
        };
        let wait_secs = (rate > 0.0)
            .then(|| until_open + (position.unwrap_or(1) as f64 * 60.0 / rate).ceil() as u64);
        // Ask again halfway to one's turn: near the front every 2 s, far back every 5 min at
        // most. The polls of a queue then add up to about 2 x rate x ln(queue / rate) a
        // second (the capacity model in the README), not queue / 2 s.
        let retry_after_secs = wait_secs.map_or(60, |w| (w / 2).clamp(2, 300));
        Ok(QueueStatus::Waiting {
            position,
            wait_secs,
            retry_after_secs,
        })
    }

    /// Moves admission on, if a second has passed since the last tick and no one else is
    /// doing it: lets in what the rate allowed since then (the next keys in order), and counts
    /// a few thousand more keys into the positions. Returns the room as it now stands. A
    /// store failure while ticking is not the fan's problem: they get the last progress.
    pub async fn tick(&self, room: Room) -> Result<Room, QueueError> {
        let now = self.clock.now();
        if room
            .progress
            .ticked_at
            .is_some_and(|t| now - t < TICK_EVERY)
        {
            return Ok(room);
        }
        let claim = now + TICK_CLAIM;
        let Some(mut room) = self.rooms.claim_tick(&room.event_id, now, claim).await? else {
            return Ok(room);
        };
        match self.advance(&room, now).await {
            Ok(progress) => {
                if self
                    .rooms
                    .save_progress(&room.event_id, &progress, claim)
                    .await?
                {
                    room.progress = progress;
                    self.recent.put(&room, now);
                }
            }
            Err(e) => {
                // Give the claim up with the progress unchanged, then report.
                let unchanged = room.progress.clone();
                self.rooms
                    .save_progress(&room.event_id, &unchanged, claim)
                    .await?;
                return Err(e);
            }
        }
        Ok(room)
    }

    async fn advance(&self, room: &Room, now: DateTime<Utc>) -> Result<Progress, QueueError> {
        let config = &room.config;
        let mut p = room.progress.clone();
        let since = p.ticked_at.unwrap_or(config.opens_at).max(config.opens_at);
        p.ticked_at = Some(now);
        // Before the opening (and until its arrivals have settled) there is nothing to do.
        let settled = OrderKey::settled_below(now);
        if now < config.opens_at + super::models::SETTLE {
            return Ok(p);
        }
        let burst = (f64::from(config.rate_at(now)) / 60.0 * BURST_SECS).max(1.0);
        let allowance = (p.credit + config.admissions_between(since, now)).min(burst);
        let wanted = (allowance.floor() as usize).min(ADMIT_PER_TICK);
        if wanted > 0 {
            let keys = self
                .rooms
                .keys_between(&room.event_id, p.admitted_key.as_ref(), &settled, wanted)
                .await?;
            if let Some(last) = keys.last() {
                p.admitted_key = Some(last.clone());
            }
            p.admitted += keys.len() as u64;
            p.credit = allowance - keys.len() as f64;
        } else {
            p.credit = allowance;
        }
        let counted = self
            .rooms
            .keys_between(
                &room.event_id,
                p.counted_key.as_ref(),
                &settled,
                COUNT_PER_TICK,
            )
            .await?;
        for key in &counted {
            p.count(key);
        }
        Ok(p)
    }
}

/// An event's room figures now, for whoever may see its sales; `None` if it has no room.
pub async fn room_stats(
    rooms: &dyn WaitingRooms,
    event_id: &EventId,
    now: DateTime<Utc>,
) -> Result<Option<RoomStats>, QueueError> {
    let Some(room) = rooms.room(event_id).await? else {
        return Ok(None);
    };
    Ok(Some(RoomStats::of(room, now)))
}

impl RoomStats {
    pub fn of(room: Room, now: DateTime<Utc>) -> Self {
        let p = &room.progress;
        Self {
            joined: p.joined(),
            admitted: p.admitted,
            waiting: p.joined().saturating_sub(p.admitted),
            rate_per_minute: room.config.rate_at(now),
            as_of: p.ticked_at,
            config: room.config,
        }
    }
}
