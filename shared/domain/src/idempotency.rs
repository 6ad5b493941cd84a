//! Keys that make a retried request (or a redelivered event) take effect once.

use crate::error::{ErrorKind, Failure, InfraError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A response saved for an Idempotency-Key, to be replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedResponse {
    pub status: u16,
    pub body: String,
    #[serde(default)]
    pub location: Option<String>,
}

/// The right to answer a claimed key, held by one attempt at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Names this attempt: `complete` and `abandon` act only while it still holds the key,
    /// so an attempt whose lease was taken over cannot overwrite its successor's answer.
    pub token: String,
    /// When this use of the key began: kept when a crashed attempt's lease is taken over,
    /// new once an expired key is used again. Ids derived from a key include it, so a key
    /// reused after it expired is a new request, not a replay of an old one.
    pub since: DateTime<Utc>,
}

impl Lease {
    pub fn new(since: DateTime<Utc>) -> Self {
        Self {
            token: uuid::Uuid::new_v4().simple().to_string(),
            since,
        }
    }
}

/// One use of an Idempotency-Key, as a use case sees it: retries of the request share it,
/// and a key used again after it expired is a new use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub key: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time (or the previous attempt's lease ran out): go ahead, then `complete`.
    Started(Lease),
    /// Already done: this is what the first one answered.
    Done(SavedResponse),
    /// Another attempt holds the key right now.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

/// Why a request with an Idempotency-Key cannot run now.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum IdempotencyError {
    #[error("this Idempotency-Key was already used with a different request")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    InFlight,
}

impl Failure for IdempotencyError {
    fn code(&self) -> &'static str {
        match self {
            Self::KeyReused => "idempotency_key_reused",
            Self::InFlight => "idempotency_key_in_flight",
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            Self::KeyReused => ErrorKind::Unprocessable,
            Self::InFlight => ErrorKind::Conflict,
        }
    }
}

/// Keys that make a retried request (or a redelivered event) take effect once.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request identified by `fingerprint`, with a lease until
    /// `lease_until` (after which a crashed attempt's claim may be taken over). Records
    /// expire at `expires_at`. Concurrent claims of one key: exactly one gets `Started`.
    async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, InfraError>;

    /// Saves the answer of a claimed key for replay, if `token` still holds the key: false
    /// (nothing saved) once its lease was taken over by another attempt.
    async fn complete(
        &self,
        key: &str,
        token: &str,
        response: &SavedResponse,
    ) -> Result<bool, InfraError>;

    /// Lets go of a claim whose attempt failed without effect, so a retry can run; nothing
    /// happens unless `token` still holds the key unanswered.
    async fn abandon(&self, key: &str, token: &str) -> Result<(), InfraError>;
}
