//! POST /auth/login — email and password for a session.

use stagepass_api::prelude::*;
use stagepass_api::sessions::Sessions;

pub const FUNCTION: Function = Function {
    name: "login",
    route: Some(Route::public("POST", "/auth/login")),
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
            sessions.answer(200, |s, input: Credentials, client| async move {
                s.accounts
                    .login(&input.email, &input.password, &client)
                    .await
            }),
        )
    })
}
