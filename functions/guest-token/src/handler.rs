//! POST /auth/guest — a token for buying without an account, bound to an email.

use stagepass_api::prelude::*;
use stagepass_api::sessions::Sessions;

pub const FUNCTION: Function = Function {
    name: "guest-token",
    route: Some(Route::public("POST", "/auth/guest")),
    wire,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuestRequest {
    email: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let sessions = Sessions::wire(w).await?;
        Ok(
            sessions.answer(201, |s, input: GuestRequest, client| async move {
                s.accounts.guest(&input.email, &client).await
            }),
        )
    })
}
