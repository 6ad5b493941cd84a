//! What every handler gets: the use cases, the token keys, and request limits.

use crate::auth::Tokens;
use crate::error::ApiError;
use stagepass_domain::{Accounts, Bookings, IdempotencyStore, Stagepass};
use std::sync::Arc;

/// 256 KiB: a 50,000-seat stadium layout is a few KiB, so this is generous.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// How long a retry waits for the first request with its Idempotency-Key to finish.
pub const DEFAULT_IDEMPOTENCY_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

pub struct App {
    pub service: Stagepass,
    pub accounts: Accounts,
    pub bookings: Arc<Bookings>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Only functions that sign or verify tokens load the keys (see `Function::uses_keys`).
    pub tokens: Option<Arc<Tokens>>,
    pub max_body_bytes: usize,
    pub idempotency_wait: std::time::Duration,
}

impl App {
    pub fn tokens(&self) -> Result<&Tokens, ApiError> {
        self.tokens
            .as_deref()
            .ok_or_else(|| ApiError::Misconfigured("this function has no signing keys".into()))
    }
}

/// Settings read from the environment, shared by the Lambda wiring and the local server.
pub mod env {
    use stagepass_domain::{IdentitySettings, Settings};

    fn number(name: &str, range: std::ops::RangeInclusive<u32>) -> Result<Option<u32>, String> {
        match std::env::var(name) {
            Err(_) => Ok(None),
            Ok(raw) => raw
                .parse()
                .ok()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| format!("{name} must be {}-{}", range.start(), range.end())),
        }
    }

    /// `STAGEPASS_LOGIN_FAILURES_PER_MINUTE` (default 5) and
    /// `STAGEPASS_CLIENT_ATTEMPTS_PER_MINUTE` (login/register/guest per address, default 30).
    pub fn identity_settings() -> Result<IdentitySettings, String> {
        let mut s = IdentitySettings::default();
        if let Some(n) = number("STAGEPASS_LOGIN_FAILURES_PER_MINUTE", 1..=100)? {
            s.login_failures_per_window = n;
        }
        if let Some(n) = number("STAGEPASS_CLIENT_ATTEMPTS_PER_MINUTE", 1..=10_000)? {
            s.client_attempts_per_window = n;
        }
        Ok(s)
    }

    pub fn settings() -> Result<Settings, String> {
        let mut s = Settings::default();
        if let Ok(raw) = std::env::var("STAGEPASS_HOLD_TTL_SECONDS") {
            let secs: i64 = raw
                .parse()
                .ok()
                .filter(|s| (5..=3600).contains(s))
                .ok_or("STAGEPASS_HOLD_TTL_SECONDS must be 5-3600")?;
            s.hold_ttl = chrono::Duration::seconds(secs);
        }
        if let Ok(raw) = std::env::var("STAGEPASS_MAX_SEATS_PER_HOLD") {
            s.max_units_per_hold = raw
                .parse()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or("STAGEPASS_MAX_SEATS_PER_HOLD must be 1-50")?;
        }
        Ok(s)
    }
}
