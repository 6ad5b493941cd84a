//! What a person does from a link in their inbox: verify their email, reset a forgotten
//! password, and (as a guest) open their bookings again without an account. The links are
//! signed ([`super::links`]); the callers mail them through the mail port.

use super::accounts::{Accounts, hash_password, parse_email, parse_password};
use super::error::IdentityError;
use super::links::{
    GUEST_LINK_AFTER_EVENT, Link, LinkPurpose, LinkSigner, LinkVerifier, RESET_PASSWORD_TTL,
    VERIFY_EMAIL_TTL,
};
use super::models::{Account, Email, Role};
use super::ports::IdentityStoreError;
use crate::error::InfraError;
use crate::identity::Session;
use crate::ids::UserId;
use chrono::{DateTime, Utc};

/// Reset or verification emails one address may be sent per rate window: enough for a lost
/// mail, too few to flood an inbox through us.
const MAILS_PER_ADDRESS: u32 = 3;

/// What a password-reset request found. The caller answers both alike and mails either.
#[derive(Debug, Clone, PartialEq)]
pub enum ResetRequest {
    /// The account exists: the token of a one-time link, valid an hour.
    Link { email: Email, token: String },
    /// No account has this email: its owner is told so (they may have used another).
    NoAccount(Email),
}

/// The signed link to a guest's bookings (the confirmation email carries it): it opens the
/// bookings of `buyer` until a week after the event starts.
pub async fn guest_link(
    signer: &dyn LinkSigner,
    buyer: &UserId,
    email: &Email,
    event_starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, InfraError> {
    let expires = event_starts_at + GUEST_LINK_AFTER_EVENT;
    signed(
        signer,
        LinkPurpose::GuestBookings,
        buyer,
        email,
        now,
        expires,
    )
    .await
}

/// A new link's token: for `purpose`, to `user` at `email`, issued `now`, ending `expires`.
async fn signed(
    signer: &dyn LinkSigner,
    purpose: LinkPurpose,
    user: &UserId,
    email: &Email,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<String, InfraError> {
    let link = Link::new(purpose, user.clone(), email.clone(), now, expires);
    signer.sign_link(&link).await
}

impl Accounts {
    /// The link that verifies `account`'s email (sign-up sends it).
    pub async fn verification_link(
        &self,
        signer: &dyn LinkSigner,
        account: &Account,
    ) -> Result<String, IdentityError> {
        let (purpose, now) = (LinkPurpose::VerifyEmail, self.clock.now());
        let expires = now + VERIFY_EMAIL_TTL;
        Ok(signed(signer, purpose, &account.id, &account.email, now, expires).await?)
    }

    /// A signed-in account asks for its verification link again. Errors: `AlreadyVerified`;
    /// `UnknownAccount` if the token's account is gone; `RateLimited` (a few per window).
    pub async fn resend_verification(
        &self,
        signer: &dyn LinkSigner,
        user: &UserId,
        email: &Email,
    ) -> Result<(Account, String), IdentityError> {
        let account = match self.store.account_by_email(email).await? {
            Some(account) if &account.id == user => account,
            _ => return Err(IdentityError::UnknownAccount),
        };
        if account.email_verified() {
            return Err(IdentityError::AlreadyVerified);
        }
        self.rate
            .take(&format!("verify-mail:{}", account.id), MAILS_PER_ADDRESS)
            .await?;
        let token = self.verification_link(signer, &account).await?;
        Ok((account, token))
    }

    /// The account's email is proven: opening the link again says so again. Errors:
    /// `InvalidLink` (not ours, expired, or the account is gone or no longer theirs);
    /// `RateLimited` per client address.
    pub async fn verify_email(
        &self,
        verifier: &dyn LinkVerifier,
        token: &str,
        client: &str,
    ) -> Result<Email, IdentityError> {
        self.count_client("link", client).await?;
        let link = self
            .checked(verifier, LinkPurpose::VerifyEmail, token)
            .await?;
        self.store
            .mark_verified(&link.email, &link.user, self.clock.now())
            .await
            .map_err(dead_link)?;
        tracing::info!(user = %link.user, "email verified");
        Ok(link.email)
    }

    /// Someone forgot their password. Whether the email has an account is for its inbox to
    /// learn: the caller answers alike and mails a link or a note. Errors: `InvalidEmail`;
    /// `RateLimited` per client address, and per email (so nobody floods an inbox through us).
    pub async fn request_password_reset(
        &self,
        signer: &dyn LinkSigner,
        email: &str,
        client: &str,
    ) -> Result<ResetRequest, IdentityError> {
        let email = parse_email(email)?;
        self.count_client("reset", client).await?;
        self.rate
            .take(&format!("reset-mail:{}", email.as_str()), MAILS_PER_ADDRESS)
            .await?;
        let Some(account) = self.store.account_by_email(&email).await? else {
            tracing::info!("password reset asked for an email without an account");
            return Ok(ResetRequest::NoAccount(email));
        };
        let (purpose, now) = (LinkPurpose::ResetPassword, self.clock.now());
        let expires = now + RESET_PASSWORD_TTL;
        let token = signed(signer, purpose, &account.id, &email, now, expires).await?;
        tracing::info!(user = %account.id, "password reset link issued");
        Ok(ResetRequest::Link { email, token })
    }

    /// Sets a new password from a reset link, once: the link is spent, every refresh token
    /// issued before now stops working (every session ends), and the email counts as verified.
    /// Errors: `WeakPassword` (checked first: the link survives a rejected password);
    /// `InvalidLink` (not ours, expired, used, older than the last password change, or the
    /// account is gone); `RateLimited` per client address.
    pub async fn reset_password(
        &self,
        verifier: &dyn LinkVerifier,
        token: &str,
        password: &str,
        client: &str,
    ) -> Result<Email, IdentityError> {
        let password = parse_password(password)?;
        self.count_client("link", client).await?;
        let link = self
            .checked(verifier, LinkPurpose::ResetPassword, token)
            .await?;
        let account = match self.store.account_by_email(&link.email).await? {
            Some(account) if account.id == link.user => account,
            _ => return Err(IdentityError::InvalidLink),
        };
        // A link asked for before the password last changed is stale, even unspent. (Links
        // carry whole seconds: one issued in the same second as a change still works.)
        if account
            .password_changed_at
            .is_some_and(|changed| link.issued_at.timestamp() < changed.timestamp())
        {
            return Err(IdentityError::InvalidLink);
        }
        let hash = hash_password(&password).await?;
        if !self.store.spend_link(&link.id, link.expires_at).await? {
            return Err(IdentityError::InvalidLink);
        }
        self.store
            .set_password(&link.email, &link.user, &hash, self.clock.now())
            .await
            .map_err(dead_link)?;
        tracing::info!(user = %link.user, "password reset");
        Ok(link.email)
    }

    /// A guest opens the link from their confirmation email: a guest session as the buyer
    /// who booked, so their bookings, tickets and cancelling are theirs again. Opening it
    /// proves the inbox. Errors: `InvalidLink` (not ours, expired, or revoked);
    /// `RateLimited` per client address.
    pub async fn open_guest_link(
        &self,
        verifier: &dyn LinkVerifier,
        token: &str,
        client: &str,
    ) -> Result<Session, IdentityError> {
        self.count_client("link", client).await?;
        let link = self
            .checked(verifier, LinkPurpose::GuestBookings, token)
            .await?;
        if self.store.link_spent(&link.id).await? {
            return Err(IdentityError::InvalidLink);
        }
        Ok(Session {
            user: link.user,
            roles: vec![Role::Guest],
            email: link.email,
            family: None,
            refresh_token: None,
            refresh_expires_at: None,
            email_verified: true,
        })
    }

    /// Revokes a guest link (it was forwarded, or seen by someone else) and makes its owner a
    /// new one, to the same bookings until the same time, for the caller to mail: whoever
    /// revokes can never lock the inbox's owner out. Sessions already opened from the old
    /// link last until their access token expires. Errors: `InvalidLink` (not ours, expired,
    /// or already revoked: one revocation makes one new link); `RateLimited`.
    pub async fn revoke_guest_link(
        &self,
        signer: &dyn LinkSigner,
        verifier: &dyn LinkVerifier,
        token: &str,
        client: &str,
    ) -> Result<(Email, String), IdentityError> {
        self.count_client("link", client).await?;
        let old = self
            .checked(verifier, LinkPurpose::GuestBookings, token)
            .await?;
        if !self.store.spend_link(&old.id, old.expires_at).await? {
            return Err(IdentityError::InvalidLink);
        }
        let (purpose, now) = (LinkPurpose::GuestBookings, self.clock.now());
        let token = signed(signer, purpose, &old.user, &old.email, now, old.expires_at).await?;
        tracing::info!(user = %old.user, "guest link revoked; a new one issued");
        Ok((old.email, token))
    }

    /// A link signed by us for `purpose`, not yet expired (by the signature and the clock).
    async fn checked(
        &self,
        verifier: &dyn LinkVerifier,
        purpose: LinkPurpose,
        token: &str,
    ) -> Result<Link, IdentityError> {
        match verifier.verify_link(purpose, token).await {
            Some(link) if link.expires_at > self.clock.now() => Ok(link),
            _ => Err(IdentityError::InvalidLink),
        }
    }
}

/// An account that vanished (or changed hands) under a valid link makes the link dead.
fn dead_link(e: IdentityStoreError) -> IdentityError {
    match e {
        IdentityStoreError::UnknownAccount => IdentityError::InvalidLink,
        other => other.into(),
    }
}
