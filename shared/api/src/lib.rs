//! The HTTP side of Stagepass: API Gateway proxy requests in (`lambda_http`), JSON out.
//! The deployed functions and the local server call exactly these handlers.

pub mod app;
pub mod auth;
pub mod error;
pub mod handlers;
pub mod idempotency;
pub mod keys;
pub mod request;
pub mod response;
pub mod routes;
pub mod steps;
pub mod views;

pub use app::App;
pub use auth::{Principal, Role, Tokens};
pub use error::ApiError;
pub use keys::KeySet;
pub use routes::{Access, Function, ROUTES};
pub use steps::Step;
