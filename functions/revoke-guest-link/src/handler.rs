//! POST /auth/guest-link/revoke — a guest's link was forwarded or seen: it stops working, and
//! a new one goes to the same inbox (so whoever revokes can never lock its owner out).

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_api::wiring::Mail;
use stagepass_domain::notifications::guest_link_email;
use stagepass_domain::{Accounts, IdentityError, LinkSigner, LinkVerifier};

pub const FUNCTION: Function = Function {
    name: "revoke-guest-link",
    route: Some(Route::public("POST", "/auth/guest-link/revoke", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GuestLinkToRevoke {
    /// The token of the link to revoke.
    #[schema(max_length = 2048)]
    token: String,
}

#[derive(Serialize, ToSchema)]
struct Revoked<'a> {
    /// Always `revoked`.
    status: &'static str,
    /// Where the new link was sent.
    email: &'a str,
}

struct Deps {
    accounts: Accounts,
    signer: Arc<dyn LinkSigner>,
    verifier: Arc<dyn LinkVerifier>,
    mail: Mail,
    limits: Limits,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            accounts: stagepass_api::wiring::accounts(w)?,
            signer: w.access_signer().await?,
            verifier: w.access_verifier().await?,
            mail: Mail::wire(w)?,
            limits: w.limits(),
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: GuestLinkToRevoke = json_body(&req, deps.limits.max_body_bytes)?;
            let (email, token) = deps
                .accounts
                .revoke_guest_link(
                    deps.signer.as_ref(),
                    deps.verifier.as_ref(),
                    &input.token,
                    &client_address(&req),
                )
                .await?;
            let mail = guest_link_email(
                &deps.mail.from,
                &deps.mail.public_url,
                email.as_str(),
                &token,
            );
            // The old link is dead already; if this mail is lost, the owner still has the
            // confirmation email's attachments, and support can send another.
            deps.mail
                .mailer
                .send(&mail)
                .await
                .map_err(IdentityError::from)?;
            Ok(no_store(json(
                202,
                &Revoked {
                    status: "revoked",
                    email: email.as_str(),
                },
            )))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Revoke a guest's bookings link; a new one is emailed")
        .describe(
            "The link stops working at once (sessions opened with it end within the hour \
             their access token lasts), and a new link to the same bookings goes to the same \
             email.",
        )
        .body::<GuestLinkToRevoke>(json!({"token": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIuLi4ifQ.c2ln"}))
        .answers::<Revoked>(202, "Revoked; a new link is on its way")
        .errors([
            IdentityError::InvalidLink.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
