//! The time, injectable so tests can move it.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// The time, injectable so tests can move it. Times are whole milliseconds everywhere, so a
/// time written to any store reads back equal.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("in range")
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_millis(Utc::now())
    }
}

/// A clock that only moves when told to; used by tests of expiry.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(to_millis(start)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t = to_millis(*t + by);
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = to_millis(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}
