//! The optional `STAGEPASS_*` settings, parsed from whatever the wiring reads them from (the
//! function's environment when deployed). A value out of range stops the function at start.

use crate::wiring::WiringError;
use stagepass_domain::{HoldSettings, IdentitySettings};

/// Looks a setting up by name; `None` if it is not set.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    lookup: Lookup,
    name: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<Option<T>, WiringError> {
    match lookup(name) {
        None => Ok(None),
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| range.contains(n))
            .map(Some)
            .ok_or_else(|| {
                WiringError(format!("{name} must be {}-{}", range.start(), range.end()))
            }),
    }
}

/// `STAGEPASS_HOLD_TTL_SECONDS` (5-3600, default 600), `STAGEPASS_MAX_SEATS_PER_HOLD`
/// (1-50, default 10), `STAGEPASS_MAX_HELD_PER_EVENT` (places one holder may hold at one
/// event across holds, 1-1000, default 10), `STAGEPASS_HOLDS_PER_MINUTE` (hold requests per
/// buyer, 1-10000, default 30) and `STAGEPASS_CHECKOUTS_PER_MINUTE` (1-1000, default 10).
pub fn hold_settings(lookup: Lookup) -> Result<HoldSettings, WiringError> {
    let mut s = HoldSettings::default();
    if let Some(secs) = number(lookup, "STAGEPASS_HOLD_TTL_SECONDS", 5..=3600i64)? {
        s.hold_ttl = chrono::Duration::seconds(secs);
    }
    if let Some(n) = number(lookup, "STAGEPASS_MAX_SEATS_PER_HOLD", 1..=50usize)? {
        s.max_units_per_hold = n;
    }
    if let Some(n) = number(lookup, "STAGEPASS_MAX_HELD_PER_EVENT", 1..=1000u32)? {
        s.max_held_per_event = n;
    }
    if let Some(n) = number(lookup, "STAGEPASS_HOLDS_PER_MINUTE", 1..=10_000u32)? {
        s.holds_per_minute = n;
    }
    if let Some(n) = number(lookup, "STAGEPASS_CHECKOUTS_PER_MINUTE", 1..=1000u32)? {
        s.checkouts_per_minute = n;
    }
    Ok(s)
}

/// `STAGEPASS_LOGIN_FAILURES_PER_MINUTE` (per account and address, default 5),
/// `STAGEPASS_ACCOUNT_FAILURES_PER_MINUTE` (per account from all addresses before each address
/// gets one try, default 20), `STAGEPASS_CLIENT_ATTEMPTS_PER_MINUTE`
/// (login/register/guest per address, default 30) and `STAGEPASS_SESSION_MAX_DAYS` (how long
/// a login lasts however often it is refreshed, 1-365, default 90).
pub fn identity_settings(lookup: Lookup) -> Result<IdentitySettings, WiringError> {
    let mut s = IdentitySettings::default();
    if let Some(n) = number(lookup, "STAGEPASS_LOGIN_FAILURES_PER_MINUTE", 1..=100u32)? {
        s.login_failures_per_window = n;
    }
    if let Some(n) = number(
        lookup,
        "STAGEPASS_ACCOUNT_FAILURES_PER_MINUTE",
        1..=10_000u32,
    )? {
        s.account_failures_per_window = n;
    }
    if let Some(n) = number(
        lookup,
        "STAGEPASS_CLIENT_ATTEMPTS_PER_MINUTE",
        1..=10_000u32,
    )? {
        s.client_attempts_per_window = n;
    }
    if let Some(days) = number(lookup, "STAGEPASS_SESSION_MAX_DAYS", 1..=365i64)? {
        s.session_max = chrono::Duration::days(days);
    }
    Ok(s)
}
