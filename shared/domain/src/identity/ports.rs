//! What identity needs from a store: accounts, refresh-token families, rate-limit windows.

use super::models::{Account, Email, RefreshToken, Role};
use crate::ids::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum IdentityStoreError {
    #[error("an account with this email already exists")]
    EmailTaken,
    /// No such refresh token (never issued, or cleaned up after expiry).
    #[error("refresh token not recognised")]
    UnknownToken,
    /// The token was already used: it has been copied. Its family is now revoked.
    #[error("refresh token was already used; its family is revoked")]
    TokenReused { family: String },
    /// The token's family was revoked (logout, or an earlier reuse).
    #[error("refresh token family revoked")]
    FamilyRevoked,
    #[error("refresh token expired")]
    TokenExpired,
    #[error("no account with this email")]
    UnknownAccount,
    #[error("identity store unavailable: {0}")]
    Unavailable(String),
}

/// Accounts and refresh tokens.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Stores a new account. Errors: `EmailTaken` if another account has this email.
    async fn create_account(&self, account: &Account) -> Result<(), IdentityStoreError>;

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, IdentityStoreError>;

    /// Replaces an account's roles. Errors: `UnknownAccount` if no account has this email.
    async fn set_roles(&self, email: &Email, roles: &[Role]) -> Result<(), IdentityStoreError>;

    /// Records a freshly issued refresh token, in a new family or an existing active one.
    async fn store_refresh(&self, token: &RefreshToken) -> Result<(), IdentityStoreError>;

    /// Spends a refresh token, once. Errors, checked in this order: `UnknownToken`;
    /// `FamilyRevoked`; `TokenReused` (and the family is revoked before returning);
    /// `TokenExpired`. Concurrent calls with one token: exactly one succeeds.
    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken, IdentityStoreError>;

    /// Revokes every token of a family (logout). Revoking twice is not an error.
    async fn revoke_family(&self, family: &str) -> Result<(), IdentityStoreError>;

    /// Records that the account `email` (if it is still `user`'s) proved its email at `at`;
    /// an earlier proof is kept. Errors: `UnknownAccount` if no account has this email or it
    /// belongs to someone else now.
    async fn mark_verified(
        &self,
        email: &Email,
        user: &UserId,
        at: DateTime<Utc>,
    ) -> Result<(), IdentityStoreError>;

    /// Replaces the account's password hash, sets `password_changed_at` to `at`, counts one
    /// more `password_changes`, and sets `email_verified_at` if unset (only the inbox's owner
    /// can change it this way). Errors:
    /// `UnknownAccount` as for `mark_verified`.
    async fn set_password(
        &self,
        email: &Email,
        user: &UserId,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), IdentityStoreError>;

    /// Marks an emailed link spent (used, or revoked), remembered until `until` (its expiry).
    /// True if this call spent it; false if it already was. Concurrent calls with one id:
    /// exactly one gets true.
    async fn spend_link(&self, id: &str, until: DateTime<Utc>) -> Result<bool, IdentityStoreError>;

    /// Whether a link was spent (used, or revoked).
    async fn link_spent(&self, id: &str) -> Result<bool, IdentityStoreError>;
}

/// One fixed-window counter: `bucket` names what is counted and in which window (for example
/// `login-failures:ann@x.com#29384756`); it may be forgotten once `expires_at` has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateWindow {
    pub bucket: String,
    pub expires_at: DateTime<Utc>,
}

/// Counters shared by every running instance, for brute-force limits.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one use of the window unless it already has `limit`: true if counted. Concurrent
    /// calls never count past `limit`. Errors: `Unavailable` only.
    async fn acquire(&self, window: &RateWindow, limit: u32) -> Result<bool, IdentityStoreError>;

    /// Takes one use back (a login that succeeded is not a failure). Never below zero.
    async fn give_back(&self, window: &RateWindow) -> Result<(), IdentityStoreError>;
}
