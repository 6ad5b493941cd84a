//! Identity rules: normalised emails, roles, accounts, and refresh-token families.
//!
//! Refresh tokens rotate: each works once. A token belongs to a family (one login); presenting
//! a token that was already used means it was copied, so the whole family is revoked and both
//! the thief and the victim must log in again.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Fan,
    Organiser,
    Door,
    Admin,
    /// A buyer without an account: a short-lived token bound to an email address.
    Guest,
}

impl Role {
    /// Roles an admin may give an account (guests never have accounts).
    pub fn for_accounts(self) -> bool {
        self != Role::Guest
    }
}

/// An email address, trimmed and lower-cased, so `Ann@X.com ` and `ann@x.com` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// A deliberately plain check: one `@`, a dotted domain, no spaces or control characters.
    pub fn parse(raw: &str) -> Option<Self> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let plain = |s: &str| {
            !s.is_empty()
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '@')
        };
        let ok = email.len() <= 254
            && local.len() <= 64
            && plain(local)
            && plain(domain)
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        ok.then_some(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: 10 to 128 characters and not only spaces. Length beats composition
/// rules (NIST 800-63B); Argon2id makes guessing slow.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if raw.trim().is_empty() {
            return Err("must not be only spaces".into());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: UserId,
    pub email: Email,
    /// A PHC string (Argon2id); never the password.
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    /// When the owner proved the email reaches them (a verification or password-reset link).
    /// An account an admin makes is vouched for at creation. Until then the account may buy
    /// but not cancel for a refund.
    #[serde(default)]
    pub email_verified_at: Option<DateTime<Utc>>,
    /// The last password change: reset links issued before it are refused.
    #[serde(default)]
    pub password_changed_at: Option<DateTime<Utc>>,
    /// How many times the password was changed: a refresh token issued at another count is
    /// refused (a count, not a time, so no clock skew between machines lets one through).
    #[serde(default)]
    pub password_changes: u32,
}

impl Account {
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// A refresh token as stored: only its SHA-256 hash, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family: String,
    pub user: UserId,
    pub roles: Vec<Role>,
    pub email: Option<Email>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the login this token belongs to ends, however often it is refreshed (tokens
    /// stored before this existed have none: their next refresh starts the count).
    #[serde(default)]
    pub session_ends_at: Option<DateTime<Utc>>,
    /// The account's `password_changes` when this token was issued.
    #[serde(default)]
    pub password_changes: u32,
}

pub fn hash_refresh_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ann.Lee@Example.COM ").unwrap().as_str(),
            "ann.lee@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@x",
            "a nn@x.com",
            "ann@x..com.",
            "a@b@c.com",
            "ann@.com",
            "ann@x.com\n\u{0}",
        ] {
            assert!(Email::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(65))).is_none());
    }

    #[test]
    fn refresh_hashes_are_stable_and_distinct() {
        assert_eq!(hash_refresh_token("t1"), hash_refresh_token("t1"));
        assert_ne!(hash_refresh_token("t1"), hash_refresh_token("t2"));
        assert_eq!(hash_refresh_token("t1").len(), 64);
    }
}
