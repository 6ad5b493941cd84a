//! Fixed-window counters shared by every running instance: how many times someone did
//! something this minute. Identity counts login attempts with them; holds and checkouts count
//! a buyer's requests, so one script cannot hold a venue or test cards at machine speed.

use crate::clock::Clock;
use crate::error::InfraError;
use crate::identity::{RateLimiter, RateWindow};
use chrono::{DateTime, Duration};
use std::sync::Arc;

/// A counter refused a use, or could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum RateError {
    /// The window is full; it ends in this many seconds (at least 1).
    Limited {
        retry_after_secs: u64,
    },
    Unavailable(InfraError),
}

/// Counters of one window length, read through a [`RateLimiter`].
#[derive(Clone)]
pub struct Rate {
    limiter: Arc<dyn RateLimiter>,
    clock: Arc<dyn Clock>,
    window: Duration,
}

impl Rate {
    pub fn new(limiter: Arc<dyn RateLimiter>, clock: Arc<dyn Clock>, window: Duration) -> Self {
        Self {
            limiter,
            clock,
            window,
        }
    }

    /// The current window of a counter, named by what it counts.
    pub fn window(&self, name: &str) -> RateWindow {
        let len = self.window.num_milliseconds().max(1);
        let index = self.clock.now().timestamp_millis().div_euclid(len);
        RateWindow {
            bucket: format!("{name}#{index}"),
            expires_at: DateTime::from_timestamp_millis((index + 1) * len).unwrap_or_default(),
        }
    }

    /// Counts one use of the named counter's current window, or refuses with `Limited` once it
    /// holds `limit`. Returns the window, to give the use back later.
    pub async fn take(&self, name: &str, limit: u32) -> Result<RateWindow, RateError> {
        let window = self.window(name);
        match self.limiter.acquire(&window, limit).await {
            Ok(true) => Ok(window),
            Ok(false) => Err(RateError::Limited {
                retry_after_secs: self.retry_after(&window),
            }),
            Err(e) => Err(RateError::Unavailable(InfraError(e.to_string()))),
        }
    }

    pub async fn give_back(&self, window: &RateWindow) -> Result<(), RateError> {
        self.limiter
            .give_back(window)
            .await
            .map_err(|e| RateError::Unavailable(InfraError(e.to_string())))
    }

    /// Whole seconds until the window ends, at least 1.
    fn retry_after(&self, window: &RateWindow) -> u64 {
        let millis = (window.expires_at - self.clock.now())
            .num_milliseconds()
            .max(0);
        (millis as u64).div_ceil(1000).max(1)
    }
}

/// One buyer action (holding, checking out) limited per buyer per minute. A buyer is their
/// account, or for a guest the email their tickets go to: guest tokens are anonymous and
/// cheap, the email is what a card-testing script has to keep changing.
#[derive(Clone)]
pub struct BuyerRate {
    rate: Rate,
    action: &'static str,
    per_minute: u32,
}

impl BuyerRate {
    pub fn new(
        limiter: Arc<dyn RateLimiter>,
        clock: Arc<dyn Clock>,
        action: &'static str,
        per_minute: u32,
    ) -> Self {
        Self {
            rate: Rate::new(limiter, clock, Duration::minutes(1)),
            action,
            per_minute,
        }
    }

    /// Counts one request of `buyer` (a [`crate::identity::Buyer::rate_key`]); `Limited` past
    /// the limit (nothing else is done then).
    pub async fn count(&self, buyer: &str) -> Result<(), RateError> {
        let name = format!("{}:{buyer}", self.action);
        self.rate.take(&name, self.per_minute).await.map(|_| ())
    }
}
