//! POST /auth/register — a fan signs up and is logged in.

use stagepass_api::prelude::*;
use stagepass_api::sessions::Sessions;

pub const FUNCTION: Function = Function {
    name: "register",
    route: Some(Route::public("POST", "/auth/register")),
    wire,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let sessions = Sessions::wire(w).await?;
        Ok(
            sessions.answer(201, |s, input: Credentials, client| async move {
                s.accounts
                    .register(&input.email, &input.password, &client)
                    .await
            }),
        )
    })
}
