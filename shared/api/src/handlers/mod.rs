//! One handler per use case. Each is thin: read the caller and the input, call the domain,
//! render. Protected routes trust the caller the authorizer passed on ([`crate::auth::caller`]).

pub mod bookings;
pub mod events;
pub mod identity;

use crate::error::ApiError;
use lambda_http::{Body, Response};

pub(crate) type Reply = Result<Response<Body>, ApiError>;

pub(crate) fn respond(result: Reply) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}
