use lambda_http::{Body, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub fn json<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(
            serde_json::to_string(body).expect("views serialise"),
        ))
        .expect("status and header are valid")
}

/// What a request handler works out: a response, or an error rendered by [`respond`].
pub type Reply = Result<Response<Body>, crate::ApiError>;

pub fn respond(result: Reply) -> Response<Body> {
    result.unwrap_or_else(crate::ApiError::into_response)
}

/// Adds `Location` (a path of ours, always a valid header value).
pub fn with_location(mut response: Response<Body>, path: String) -> Response<Body> {
    response.headers_mut().insert(
        "location",
        path.parse().expect("uuid path is a valid header"),
    );
    response
}

/// Tokens must not be cached by browsers or proxies.
pub fn no_store(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert("cache-control", http::HeaderValue::from_static("no-store"));
    response
}

/// The body every way of getting a session answers with.
pub fn session_reply(
    signer: &crate::Signer,
    status: u16,
    session: &stagepass_domain::Session,
) -> Reply {
    let (access_token, expires_in) = signer.for_session(session);
    Ok(no_store(json(
        status,
        &SessionAnswer {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: session.refresh_token.as_deref(),
            refresh_expires_at: session.refresh_expires_at,
            user: SessionUser {
                id: session.user.as_str(),
                email: session.email.as_str(),
                roles: &session.roles,
                email_verified: session.email_verified,
            },
        },
    )))
}

/// A session: an access token, and for an account (not a guest) the refresh token that makes
/// the next one.
#[derive(Serialize, ToSchema)]
pub struct SessionAnswer<'a> {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid for.
    pub expires_in: i64,
    /// Single use; `null` for guests.
    pub refresh_token: Option<&'a str>,
    pub refresh_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub user: SessionUser<'a>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub roles: &'a [stagepass_domain::Role],
    /// Whether the email is proven (a verified account, or a guest who opened their emailed
    /// link). Until it is, cancelling a booking for a refund is refused.
    pub email_verified: bool,
}
