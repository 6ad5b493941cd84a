//! POST /auth/verify-email — the link from the welcome email proves the account's address.
//! Opening it again says so again. The caller's next refresh (or login) carries the news.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::{Accounts, IdentityError, LinkVerifier};

pub const FUNCTION: Function = Function {
    name: "verify-email",
    route: Some(Route::public("POST", "/auth/verify-email", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerificationLink {
    /// The token from the emailed link (`#/verify/<token>`).
    #[schema(max_length = 2048)]
    token: String,
}

#[derive(Serialize, ToSchema)]
struct Verified<'a> {
    email: &'a str,
    /// Always true.
    email_verified: bool,
}

struct Deps {
    accounts: Accounts,
    links: Arc<dyn LinkVerifier>,
    limits: Limits,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            accounts: stagepass_api::wiring::accounts(w)?,
            links: w.access_verifier().await?,
            limits: w.limits(),
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: VerificationLink = json_body(&req, deps.limits.max_body_bytes)?;
            let email = deps
                .accounts
                .verify_email(deps.links.as_ref(), &input.token, &client_address(&req))
                .await?;
            Ok(no_store(json(
                200,
                &Verified {
                    email: email.as_str(),
                    email_verified: true,
                },
            )))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Verify an account's email with the emailed link")
        .describe(
            "The token is the last part of the link in the welcome email (it works for 7 \
             days; `POST /auth/verify-email/resend` sends another). Verified accounts may \
             cancel bookings for a refund; a session shows it from its next refresh.",
        )
        .body::<VerificationLink>(json!({"token": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIuLi4ifQ.c2ln"}))
        .answers::<Verified>(200, "The address is verified")
        .errors([
            IdentityError::InvalidLink.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
