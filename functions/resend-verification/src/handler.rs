//! POST /auth/verify-email/resend — a signed-in account whose address is not verified yet
//! asks for the link again (the welcome email was lost, or its link expired).

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_api::wiring::Mail;
use stagepass_domain::notifications::verification_email;
use stagepass_domain::{Accounts, IdentityError, LinkSigner};

pub const FUNCTION: Function = Function {
    name: "resend-verification",
    route: Some(Route::token("POST", "/auth/verify-email/resend", doc)),
    wire,
};

struct Deps {
    accounts: Accounts,
    links: Arc<dyn LinkSigner>,
    mail: Mail,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            accounts: stagepass_api::wiring::accounts(w)?,
            links: w.access_signer().await?,
            mail: Mail::wire(w)?,
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

#[derive(Serialize, ToSchema)]
struct Sent<'a> {
    /// Always `sent`.
    status: &'static str,
    email: &'a str,
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            // Guests have no account to verify: their emailed link is their proof.
            let email = match (&who.email, who.has(Role::Guest)) {
                (Some(email), false) => email.clone(),
                _ => {
                    return Err(ApiError::Forbidden(
                        "only an account has an email to verify".into(),
                    ));
                }
            };
            let (account, token) = deps
                .accounts
                .resend_verification(deps.links.as_ref(), &who.user, &email)
                .await?;
            let mail = verification_email(
                &deps.mail.from,
                &deps.mail.public_url,
                account.email.as_str(),
                &token,
            );
            deps.mail
                .mailer
                .send(&mail)
                .await
                .map_err(IdentityError::from)?;
            Ok(no_store(json(
                202,
                &Sent {
                    status: "sent",
                    email: account.email.as_str(),
                },
            )))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Send the email-verification link again")
        .describe("For a signed-in account whose address is not verified yet; a few per minute.")
        .answers::<Sent>(202, "The link is on its way")
        .errors([
            ApiError::Forbidden(String::new()),
            IdentityError::AlreadyVerified.into(),
            IdentityError::UnknownAccount.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
