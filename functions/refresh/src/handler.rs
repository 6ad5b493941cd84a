//! POST /auth/refresh — spends a refresh token for a new access and refresh token.

use stagepass_api::prelude::*;
use stagepass_api::response::SessionAnswer;
use stagepass_api::sessions::Sessions;
use stagepass_domain::IdentityError;

pub const FUNCTION: Function = Function {
    name: "refresh",
    route: Some(Route::public("POST", "/auth/refresh", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let sessions = Sessions::wire(w).await?;
        Ok(
            sessions.answer(200, |s, input: RefreshRequest, _client| async move {
                s.accounts.refresh(&input.refresh_token).await
            }),
        )
    })
}

fn doc() -> Doc {
    Doc::new("Swap a refresh token for a new session of the same login")
        .describe("Each refresh token works once; presenting a spent one revokes the login.")
        .body::<RefreshRequest>(json!({"refresh_token": "rt_..."}))
        .answers::<SessionAnswer>(200, "A new session")
        .errors([
            IdentityError::RefreshTokenInvalid.into(),
            IdentityError::RefreshTokenReused.into(),
            IdentityError::SessionRevoked.into(),
        ])
}
