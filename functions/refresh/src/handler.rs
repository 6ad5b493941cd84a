//! POST /auth/refresh — spends a refresh token for a new access and refresh token.

use stagepass_api::prelude::*;
use stagepass_api::sessions::Sessions;

pub const FUNCTION: Function = Function {
    name: "refresh",
    route: Some(Route::public("POST", "/auth/refresh")),
    wire,
};

#[derive(Deserialize)]
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
