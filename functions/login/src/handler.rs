//! POST /auth/login — email and password for a session.

use stagepass_api::prelude::*;
use stagepass_api::response::SessionAnswer;
use stagepass_api::sessions::Sessions;
use stagepass_domain::IdentityError;

pub const FUNCTION: Function = Function {
    name: "login",
    route: Some(Route::public("POST", "/auth/login", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
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

fn doc() -> Doc {
    Doc::new("Log in")
        .body::<Credentials>(json!({"email": "me@example.com", "password": "a long passphrase"}))
        .answers::<SessionAnswer>(200, "A session")
        .errors([
            IdentityError::InvalidCredentials.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
