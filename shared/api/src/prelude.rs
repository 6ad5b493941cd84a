//! What a function's `handler.rs` usually needs, in one `use`.

pub use crate::auth::{
    Keyring, Principal, Role, Signer, Verifier, caller, client_address, fresh_caller,
};
pub use crate::error::ApiError;
pub use crate::idempotency::idempotent;
pub use crate::openapi::Doc;
pub use crate::request::{
    admission_token, booking_id, event_id, hold_id, json_body, path_param, query_param,
};
pub use crate::response::{Reply, json, no_store, respond, session_reply, with_location};
pub use crate::views::{
    BookingView, BookingViews, DoorStaffView, EventSummary, EventView, HoldView, RoomView,
};
pub use crate::wiring::{
    Access, BoxFuture, Function, Handler, Limits, Route, Wiring, WiringError, http, queue,
};
pub use lambda_http::{Body, Request, Response};
pub use serde::Deserialize;
pub use serde_json::json;
pub use std::sync::Arc;
pub use utoipa::ToSchema;

/// What `wire` returns: the handler, once the ports it asked for are built.
pub type Wired<'a> = BoxFuture<'a, Result<Handler, WiringError>>;
