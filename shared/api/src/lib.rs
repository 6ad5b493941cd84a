//! The HTTP side of Stagepass (API Gateway proxy requests in via `lambda_http`, JSON out) and
//! the wiring contract every function in `functions/` is written against.

pub mod auth;
pub mod cors;
pub mod error;
pub mod idempotency;
pub mod keys;
pub mod openapi;
pub mod prelude;
pub mod request;
pub mod response;
pub mod sessions;
pub mod settings;
pub mod views;
pub mod wiring;

pub use auth::{Keyring, Keys, Principal, Role, Signer, Verifier};
pub use error::ApiError;
pub use keys::{KeySet, KeyUse, PublicKeys};
pub use wiring::{Access, Function, Handler, Ports, Route, Wiring, WiringError};
