//! POST /auth/guest — a token for buying without an account, bound to an email.

use stagepass_api::prelude::*;
use stagepass_api::response::SessionAnswer;
use stagepass_api::sessions::Sessions;
use stagepass_domain::IdentityError;

pub const FUNCTION: Function = Function {
    name: "guest-token",
    route: Some(Route::public("POST", "/auth/guest", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
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

fn doc() -> Doc {
    Doc::new("A guest session for an email address")
        .describe(
            "Holds and checks out without an account; tickets go to the email. No refresh token.",
        )
        .body::<GuestRequest>(json!({"email": "walk-in@example.com"}))
        .answers::<SessionAnswer>(201, "A guest session")
        .errors([
            IdentityError::InvalidEmail.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
