//! POST /auth/guest-link — a guest opens the link from their confirmation email: a guest
//! session as the buyer who booked, so `GET /bookings`, the tickets and cancelling are theirs
//! again without an account, until a week after the event or until the link is revoked.

use stagepass_api::prelude::*;
use stagepass_api::response::SessionAnswer;
use stagepass_api::sessions::Sessions;
use stagepass_domain::{IdentityError, LinkVerifier};

pub const FUNCTION: Function = Function {
    name: "open-guest-link",
    route: Some(Route::public("POST", "/auth/guest-link", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GuestLink {
    /// The token from the emailed link (`#/guest/<token>`).
    #[schema(max_length = 2048)]
    token: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let sessions = Sessions::wire(w).await?;
        let links: Arc<dyn LinkVerifier> = w.access_verifier().await?;
        Ok(sessions.answer(201, move |s, input: GuestLink, client| {
            let links = links.clone();
            async move {
                s.accounts
                    .open_guest_link(links.as_ref(), &input.token, &client)
                    .await
            }
        }))
    })
}

fn doc() -> Doc {
    Doc::new("Open a guest's bookings with the link from their confirmation email")
        .describe(
            "A guest session (no refresh token; open the link again for another) as the \
             buyer who booked: `GET /bookings` lists their bookings, and they may cancel \
             them. The link works until a week after the event, unless revoked.",
        )
        .body::<GuestLink>(json!({"token": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIuLi4ifQ.c2ln"}))
        .answers::<SessionAnswer>(201, "A guest session for the bookings")
        .errors([
            IdentityError::InvalidLink.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
