//! Links sent by email that stand for their recipient: verify an address, reset a password,
//! open a guest's bookings. Each is a token signed with the access keys for one purpose (its
//! own audience, so it is never accepted as an access token, nor one purpose's link as
//! another's), naming whom it is for and when it ends. What must happen at most once (a
//! password reset) or be revocable (a guest link) is recorded by the link's id in the
//! identity store ([`super::IdentityStore::spend_link`]).

use super::models::Email;
use crate::error::InfraError;
use crate::ids::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Proves the account's email reaches its owner.
    VerifyEmail,
    /// Sets a new password, once.
    ResetPassword,
    /// Opens a guest's bookings without an account, until after the event; revocable.
    GuestBookings,
}

impl LinkPurpose {
    /// The token audience: a link for one purpose is refused for every other use.
    pub fn audience(self) -> &'static str {
        match self {
            Self::VerifyEmail => "stagepass-verify-email",
            Self::ResetPassword => "stagepass-reset-password",
            Self::GuestBookings => "stagepass-guest-bookings",
        }
    }

    /// Where the web app opens such a link: `<public_url>/#/<path>/<token>`.
    pub fn path(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify",
            Self::ResetPassword => "reset",
            Self::GuestBookings => "guest",
        }
    }
}

/// Verification links live a week: long enough for a holiday inbox.
pub const VERIFY_EMAIL_TTL: Duration = Duration::days(7);
/// Reset links live an hour: they are a password in a mailbox.
pub const RESET_PASSWORD_TTL: Duration = Duration::hours(1);
/// A guest keeps their bookings' link until a week after the event starts (refund questions
/// come after the show; by then the tickets have done their job).
pub const GUEST_LINK_AFTER_EVENT: Duration = Duration::days(7);

/// What a link says, once its signature has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Unique per link: what spending or revoking it records.
    pub id: String,
    pub purpose: LinkPurpose,
    /// The account (or, for a guest link, the guest's buyer id) it is for.
    pub user: UserId,
    pub email: Email,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Link {
    pub fn new(
        purpose: LinkPurpose,
        user: UserId,
        email: Email,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            purpose,
            user,
            email,
            issued_at: now,
            expires_at,
        }
    }

    /// The address a person opens: the web app's page for this purpose, with the token.
    pub fn url(public_url: &str, purpose: LinkPurpose, token: &str) -> String {
        format!(
            "{}/#/{}/{token}",
            public_url.trim_end_matches('/'),
            purpose.path()
        )
    }
}

/// Signs links (the functions that send them).
#[async_trait]
pub trait LinkSigner: Send + Sync {
    async fn sign_link(&self, link: &Link) -> Result<String, InfraError>;
}

/// Checks links (the functions that act on them).
#[async_trait]
pub trait LinkVerifier: Send + Sync {
    /// The link, if `token` was signed by one of our keys for `purpose` and has not expired.
    async fn verify_link(&self, purpose: LinkPurpose, token: &str) -> Option<Link>;
}
