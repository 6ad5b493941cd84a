//! What every handler gets: the use cases, the token keys, and request limits.

use crate::auth::Tokens;
use stagepass_domain::Stagepass;

/// 256 KiB: a 50,000-seat stadium layout is a few KiB, so this is generous.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

pub struct App {
    pub service: Stagepass,
    pub tokens: Tokens,
    pub max_body_bytes: usize,
}

/// Settings read from the environment, shared by the Lambda wiring and the local server.
pub mod env {
    use stagepass_domain::Settings;

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
