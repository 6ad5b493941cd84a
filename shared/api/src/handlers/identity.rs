//! Accounts and sessions: register, log in, refresh, log out, guest tokens, the public keys,
//! and staff accounts made by an admin.

use super::{Reply, respond};
use crate::app::App;
use crate::auth::{caller, client_address};
use crate::request::json_body;
use crate::response::json;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use stagepass_domain::{Role, Session};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuestRequest {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    email: String,
    password: String,
    roles: Vec<Role>,
}

/// Tokens must not be cached by browsers or proxies.
fn no_store(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert("cache-control", http::HeaderValue::from_static("no-store"));
    response
}

/// The body every way of getting a session answers with.
fn session_reply(app: &App, status: u16, session: &Session) -> Reply {
    let (access_token, expires_in) = app.tokens()?.for_session(session);
    Ok(no_store(json(
        status,
        &json!({
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

/// POST /auth/register — a fan signs up and is logged in.
pub async fn register(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: Credentials = json_body(&req, app.max_body_bytes)?;
            let session = app
                .accounts
                .register(&input.email, &input.password, &client_address(&req))
                .await?;
            session_reply(&app, 201, &session)
        }
        .await,
    )
}

/// POST /auth/login
pub async fn login(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: Credentials = json_body(&req, app.max_body_bytes)?;
            let session = app
                .accounts
                .login(&input.email, &input.password, &client_address(&req))
                .await?;
            session_reply(&app, 200, &session)
        }
        .await,
    )
}

/// POST /auth/refresh — spends a refresh token for a new access and refresh token.
pub async fn refresh(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: RefreshRequest = json_body(&req, app.max_body_bytes)?;
            let session = app.accounts.refresh(&input.refresh_token).await?;
            session_reply(&app, 200, &session)
        }
        .await,
    )
}

/// POST /auth/logout — revokes the caller's login (every refresh token of its family).
pub async fn logout(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            if let Some(family) = &who.session {
                app.accounts.logout(family).await?;
            }
            Ok(Response::builder()
                .status(204)
                .body(Body::Empty)
                .expect("a 204 is a valid response"))
        }
        .await,
    )
}

/// POST /auth/guest — a token for buying without an account, bound to an email.
pub async fn guest_token(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: GuestRequest = json_body(&req, app.max_body_bytes)?;
            let session = app
                .accounts
                .guest(&input.email, &client_address(&req))
                .await?;
            session_reply(&app, 201, &session)
        }
        .await,
    )
}

/// GET /.well-known/jwks.json — the public keys that verify access tokens.
pub async fn jwks(app: Arc<App>, _req: Request) -> Response<Body> {
    respond(
        async {
            let mut response = json(200, app.tokens()?.jwks());
            response.headers_mut().insert(
                "cache-control",
                http::HeaderValue::from_static("public, max-age=300"),
            );
            Ok(response)
        }
        .await,
    )
}

/// POST /admin/accounts — an admin creates an organiser, door-staff, admin or fan account.
pub async fn create_account(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let admin = caller(&req)?.require_admin()?;
            let input: NewAccount = json_body(&req, app.max_body_bytes)?;
            let account = app
                .accounts
                .create_account(&admin, &input.email, &input.password, &input.roles)
                .await?;
            Ok(json(
                201,
                &json!({
                    "id": account.id,
                    "email": account.email,
                    "roles": account.roles,
                    "created_at": account.created_at,
                }),
            ))
        }
        .await,
    )
}
