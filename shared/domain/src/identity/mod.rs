//! Identity: accounts, sessions with rotating refresh tokens, guests, roles, and the actor a
//! use case acts for.

pub mod accounts;
pub mod actor;
pub mod error;
pub mod inbox;
pub mod links;
pub mod models;
pub mod ports;

pub use accounts::{Accounts, IdentitySettings, Registration, Session};
pub use actor::{Actor, Buyer};
pub use error::IdentityError;
pub use inbox::ResetRequest;
pub use links::{Link, LinkPurpose, LinkSigner, LinkVerifier};
pub use models::{Account, Email, Password, RefreshToken, Role, hash_refresh_token};
pub use ports::{IdentityStore, IdentityStoreError, RateLimiter, RateWindow};
