//! What can go wrong registering, logging in, refreshing, as a guest, or managing accounts.

use super::ports::IdentityStoreError;
use crate::error::{Details, ErrorKind, Failure, InfraError};
use crate::rate::RateError;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum IdentityError {
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("not a valid email address")]
    InvalidEmail,
    #[error("password {0}")]
    WeakPassword(String),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("refresh token is not valid (unknown or expired): log in again")]
    RefreshTokenInvalid,
    #[error(
        "refresh token was already used, so it may have been stolen: every session of this login is now revoked; log in again"
    )]
    RefreshTokenReused,
    #[error("this session was revoked (logout or a reused refresh token): log in again")]
    SessionRevoked,
    #[error("{0}")]
    NotAllowed(String),
    #[error("no account with this email")]
    UnknownAccount,
    #[error(
        "this link is not valid: it may have expired, been used already or been revoked; ask for a new one"
    )]
    InvalidLink,
    #[error("this email address is already verified")]
    AlreadyVerified,
    #[error("too many attempts; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl IdentityError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Failure for IdentityError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "invalid_field",
            Self::InvalidEmail => "invalid_email",
            Self::WeakPassword(_) => "invalid_password",
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RefreshTokenInvalid => "invalid_refresh_token",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::SessionRevoked => "session_revoked",
            Self::NotAllowed(_) => "forbidden",
            Self::UnknownAccount => "account_not_found",
            Self::InvalidLink => "invalid_link",
            Self::AlreadyVerified => "already_verified",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidField { .. }
            | Self::InvalidEmail
            | Self::WeakPassword(_)
            | Self::InvalidLink => ErrorKind::Invalid,
            Self::EmailTaken | Self::AlreadyVerified => ErrorKind::Conflict,
            Self::InvalidCredentials
            | Self::RefreshTokenInvalid
            | Self::RefreshTokenReused
            | Self::SessionRevoked => ErrorKind::Unauthenticated,
            Self::NotAllowed(_) => ErrorKind::Forbidden,
            Self::UnknownAccount => ErrorKind::NotFound,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }

    fn details(&self) -> Details<'_> {
        match self {
            Self::RateLimited { retry_after_secs } => Details {
                retry_after_secs: Some(*retry_after_secs),
                ..Details::default()
            },
            _ => Details::default(),
        }
    }
}

impl From<RateError> for IdentityError {
    fn from(e: RateError) -> Self {
        match e {
            RateError::Limited { retry_after_secs } => Self::RateLimited { retry_after_secs },
            RateError::Unavailable(e) => Self::Unavailable(e),
        }
    }
}

impl From<IdentityStoreError> for IdentityError {
    fn from(e: IdentityStoreError) -> Self {
        match e {
            IdentityStoreError::EmailTaken => Self::EmailTaken,
            IdentityStoreError::UnknownToken | IdentityStoreError::TokenExpired => {
                Self::RefreshTokenInvalid
            }
            IdentityStoreError::UnknownAccount => Self::UnknownAccount,
            IdentityStoreError::TokenReused { .. } => Self::RefreshTokenReused,
            IdentityStoreError::FamilyRevoked => Self::SessionRevoked,
            IdentityStoreError::Unavailable(m) => Self::Unavailable(InfraError(m)),
        }
    }
}
