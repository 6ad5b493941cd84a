use lambda_http::{Body, Response};
use serde::Serialize;

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
        &serde_json::json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": session.refresh_token,
            "refresh_expires_at": session.refresh_expires_at,
            "user": {
                "id": session.user,
                "email": session.email,
                "roles": session.roles,
            },
        }),
    )))
}
