//! A waiting room: who queued for an event's on-sale, in which order, and how far admission
//! has got.
//!
//! The order is a sort key per entry ([`OrderKey`]), so no write ever touches a shared
//! counter: fans who join before the opening draw a random key among the early arrivals, and
//! later ones get a key from the millisecond they joined. Admission is a prefix of that order:
//! every entry whose key is at or before [`Progress::admitted_key`] is admitted, and the
//! organiser's rate decides how fast that key moves ([`RoomConfig::admissions_between`]).

use crate::ids::EventId;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How long a join may take to land in the store after its key's time: admission and the
/// position count only pass keys older than this, so an entry written a moment late is not
/// overtaken. (One that lands later still is behind the admitted key, so it is admitted at
/// once: late, never lost.)
pub const SETTLE: Duration = Duration::seconds(3);
/// Admission moves at most this often per room; between ticks fans read the last progress.
pub const TICK_EVERY: Duration = Duration::seconds(1);
/// How long one admitter keeps the room's claim (a crashed one blocks no one for longer).
pub const TICK_CLAIM: Duration = Duration::seconds(10);
/// Admission a room may catch up at once after nobody ticked it, in seconds of its rate: a
/// queue that was empty for an hour does not let the next 10,000 in at once.
pub const BURST_SECS: f64 = 10.0;
/// Keys one tick reads to count positions (a join rush is counted a few thousand at a time).
pub const COUNT_PER_TICK: usize = 5_000;
/// Keys one tick admits at most, whatever the rate (one store read of bounded size).
pub const ADMIT_PER_TICK: usize = 5_000;
/// The fastest rate an organiser may set, per minute.
pub const MAX_RATE_PER_MINUTE: u32 = 60_000;

/// Where an entry stands in its room's order. Early arrivals (before the opening) have
/// `0#<random>`: their order among themselves is a fair draw. Later ones have
/// `1#<join ms>#<random>`: first come, first served, and always after every early arrival.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderKey(String);

impl OrderKey {
    pub fn early(draw: u64) -> Self {
        Self(format!("0#{draw:016x}"))
    }

    pub fn late(joined: DateTime<Utc>, tiebreak: u32) -> Self {
        Self(format!(
            "1#{:013}#{tiebreak:08x}",
            joined.timestamp_millis().max(0)
        ))
    }

    /// The key of a fan joining at `now` for a room that opens at `opens_at`.
    pub fn for_join(opens_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let mut rng = rand::rng();
        if now < opens_at {
            Self::early(rng.random())
        } else {
            Self::late(now, rng.random())
        }
    }

    /// Every key below this one is settled at `now` (see [`SETTLE`]): every early key, and
    /// the late ones from before `now - SETTLE`.
    pub fn settled_below(now: DateTime<Utc>) -> Self {
        Self(format!(
            "1#{:013}",
            (now - SETTLE).timestamp_millis().max(0)
        ))
    }

    /// A key read back from a store.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_early(&self) -> bool {
        self.0.starts_with("0#")
    }

    /// An early key's draw as a fraction of all draws (0..1): its expected share of the early
    /// arrivals ahead of it.
    fn draw_fraction(&self) -> Option<f64> {
        let hex = self.0.strip_prefix("0#")?;
        let draw = u64::from_str_radix(hex, 16).ok()?;
        Some(draw as f64 / 2f64.powi(64))
    }

    /// A late key's join time in epoch ms.
    fn joined_ms(&self) -> Option<i64> {
        self.0.strip_prefix("1#")?.get(..13)?.parse().ok()
    }
}

/// From `from` on (until the next change), the room admits `per_minute` fans a minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateChange {
    pub from: DateTime<Utc>,
    pub per_minute: u32,
}

/// What the organiser sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomConfig {
    /// Fans who join before this draw a random place among the early arrivals.
    pub opens_at: DateTime<Utc>,
    /// From this instant the room stops guarding holds and checkouts, and takes no joins.
    pub closes_at: DateTime<Utc>,
    /// The admission rate's history, oldest first; the first is in force from the opening.
    /// Kept whole, so admission so far is always the integral of what was set.
    pub rates: Vec<RateChange>,
    /// How long an admitted fan may hold and check out (their admission token's life).
    pub admission_minutes: u32,
}

impl RoomConfig {
    /// The rate in force at `at`.
    pub fn rate_at(&self, at: DateTime<Utc>) -> u32 {
        self.rates
            .iter()
            .rev()
            .find(|c| c.from <= at)
            .or(self.rates.first())
            .map_or(0, |c| c.per_minute)
    }

    /// The config with the rate set to `per_minute` at `now`: before the opening it replaces
    /// the rate; after, it is appended, so the admissions already allowed stay as they were.
    pub fn with_rate(mut self, per_minute: u32, now: DateTime<Utc>) -> Self {
        if now <= self.opens_at || self.rates.is_empty() {
            self.rates = vec![RateChange {
                from: self.opens_at,
                per_minute,
            }];
        } else if self.rate_at(now) != per_minute {
            self.rates.retain(|c| c.from < now);
            self.rates.push(RateChange {
                from: now,
                per_minute,
            });
        }
        self
    }

    /// Admissions the rates allow between `from` and `to`, within the window.
    pub fn admissions_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        let (from, to) = (from.max(self.opens_at), to.min(self.closes_at));
        let mut total = 0.0;
        for (i, change) in self.rates.iter().enumerate() {
            let start = if i == 0 { self.opens_at } else { change.from }.max(from);
            let end = self.rates.get(i + 1).map_or(to, |next| next.from).min(to);
            if end > start {
                total += f64::from(change.per_minute) / 60.0
                    * (end - start).num_milliseconds() as f64
                    / 1000.0;
            }
        }
        total
    }

    /// Whether holds and checkouts for the event need an admission token at `now`: from the
    /// moment the room is set until it closes (before the opening nobody is admitted yet, so
    /// nobody can buy: the queue cannot be jumped by coming early).
    pub fn guards(&self, now: DateTime<Utc>) -> bool {
        now < self.closes_at
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.opens_at <= now && now < self.closes_at
    }
}

/// How far admission and the position count have got. Written by one admitter at a time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Every entry whose key is at or before this one is admitted.
    pub admitted_key: Option<OrderKey>,
    /// Entries admitted so far (those that landed behind the admitted key are not counted).
    pub admitted: u64,
    /// Admissions allowed and not yet made: fractions, or what found nobody waiting (capped
    /// at [`BURST_SECS`] of the rate).
    pub credit: f64,
    pub ticked_at: Option<DateTime<Utc>>,
    /// The position count has read every key up to this one.
    pub counted_key: Option<OrderKey>,
    /// Early arrivals counted.
    pub early: u64,
    /// Later arrivals counted, per second they joined (epoch seconds, ascending).
    pub late: Vec<(i64, u64)>,
}

impl Progress {
    /// Fans counted into the queue so far (a few seconds behind the joins).
    pub fn joined(&self) -> u64 {
        self.early + self.late.iter().map(|(_, n)| n).sum::<u64>()
    }

    /// Counts `key` (the next key of the count, in order) into the positions.
    pub fn count(&mut self, key: &OrderKey) {
        match key.joined_ms() {
            Some(ms) => {
                let second = ms.div_euclid(1000);
                match self.late.last_mut() {
                    Some((s, n)) if *s == second => *n += 1,
                    _ => self.late.push((second, 1)),
                }
            }
            None => self.early += 1,
        }
        self.counted_key = Some(key.clone());
    }

    /// How many fans are ahead of `key` in the queue's order, admitted or not: an estimate.
    /// An early arrival's draw is uniform, so its share of the early arrivals is its draw's
    /// fraction (the count of early arrivals is itself scaled up while it is under way); a
    /// later one has the early arrivals and those who joined before it ahead.
    pub fn ahead_of(&self, key: &OrderKey) -> u64 {
        let counting_early = self.counted_key.as_ref().is_none_or(OrderKey::is_early);
        let early_total = match self.counted_key.as_ref().and_then(OrderKey::draw_fraction) {
            Some(f) if f > 0.0 => (self.early as f64 / f).round() as u64,
            _ => self.early,
        };
        if let Some(f) = key.draw_fraction() {
            return (f * early_total as f64) as u64;
        }
        let late_total: u64 = self.late.iter().map(|(_, n)| n).sum();
        let Some(ms) = key.joined_ms() else {
            return early_total + late_total;
        };
        if counting_early || self.counted_key.as_ref().is_some_and(|c| c < key) {
            // Not counted yet: at least everyone counted so far is ahead.
            return early_total + late_total;
        }
        let second = ms.div_euclid(1000);
        let mut ahead = early_total;
        for (s, n) in &self.late {
            if *s < second {
                ahead += n;
            } else if *s == second {
                ahead += (*n as f64 * ms.rem_euclid(1000) as f64 / 1000.0) as u64;
            }
        }
        ahead
    }
}

/// An event's waiting room.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub event_id: EventId,
    pub config: RoomConfig,
    pub progress: Progress,
}

impl Room {
    pub fn admits(&self, key: &OrderKey) -> bool {
        self.progress
            .admitted_key
            .as_ref()
            .is_some_and(|k| key <= k)
    }
}

/// One fan's place in a room. One per fan ([`crate::Buyer::rate_key`]: an account, or a
/// guest's email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub event_id: EventId,
    pub fan: String,
    pub key: OrderKey,
    pub joined_at: DateTime<Utc>,
    /// When the fan first learnt they were admitted: their admission runs from then.
    pub admitted_at: Option<DateTime<Utc>>,
}

/// What an admission token says: this fan may hold and check out at this event until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub event_id: EventId,
    pub fan: String,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn config(per_minute: u32) -> RoomConfig {
        RoomConfig {
            opens_at: at(0),
            closes_at: at(3600),
            rates: vec![RateChange {
                from: at(0),
                per_minute,
            }],
            admission_minutes: 20,
        }
    }

    #[test]
    fn every_early_key_sorts_before_every_late_one_and_late_ones_by_time() {
        let early = OrderKey::early(u64::MAX);
        let first = OrderKey::late(at(0), u32::MAX);
        let second = OrderKey::late(at(1), 0);
        assert!(early < first && first < second);
        assert!(early < OrderKey::settled_below(at(0)));
        assert!(first < OrderKey::settled_below(at(4)));
        assert!(first >= OrderKey::settled_below(at(3)));
    }

    #[test]
    fn admissions_are_the_integral_of_the_rates_within_the_window() {
        let c = config(600).with_rate(60, at(60));
        assert_eq!(c.admissions_between(at(-100), at(0)), 0.0);
        assert_eq!(c.admissions_between(at(0), at(60)), 600.0);
        assert_eq!(c.admissions_between(at(0), at(120)), 660.0);
        assert_eq!(c.admissions_between(at(3590), at(4000)), 10.0);
        assert_eq!(c.rate_at(at(30)), 600);
        assert_eq!(c.rate_at(at(61)), 60);
        // Before the opening a change replaces the rate.
        assert_eq!(config(600).with_rate(60, at(-5)).rates.len(), 1);
    }

    #[test]
    fn positions_are_estimated_from_the_count() {
        let mut p = Progress::default();
        for i in 0..100u64 {
            p.count(&OrderKey::early(i * (u64::MAX / 100)));
        }
        for ms in 0..50 {
            p.count(&OrderKey::late(at(10) + Duration::milliseconds(ms * 20), 0));
        }
        assert_eq!(p.joined(), 150);
        assert_eq!(p.ahead_of(&OrderKey::early(u64::MAX / 2)), 50);
        assert_eq!(p.ahead_of(&OrderKey::late(at(5), 0)), 100);
        assert_eq!(
            p.ahead_of(&OrderKey::late(at(10) + Duration::milliseconds(500), 0)),
            125
        );
        assert_eq!(p.ahead_of(&OrderKey::late(at(20), 0)), 150);
    }
}
