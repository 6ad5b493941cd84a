//! Identity: accounts, sessions with rotating refresh tokens, guests, roles, and the actor a
//! use case acts for.

pub mod accounts;
pub mod actor;
pub mod models;
pub mod ports;

pub use accounts::{Accounts, IdentitySettings, Session};
pub use actor::Actor;
pub use models::{Account, Email, Password, RefreshToken, Role, hash_refresh_token};
pub use ports::{IdentityError, IdentityStore, RateLimiter, RateWindow};
