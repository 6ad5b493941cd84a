//! POST /auth/password-reset — someone forgot their password. The answer is the same whether
//! or not the email has an account (202, "check your inbox"): the inbox gets a one-time link
//! valid for an hour, or a note that the email has no account.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_api::wiring::Mail;
use stagepass_domain::notifications::reset_email;
use stagepass_domain::{Accounts, IdentityError, LinkSigner};

pub const FUNCTION: Function = Function {
    name: "request-password-reset",
    route: Some(Route::public("POST", "/auth/password-reset", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordResetRequest {
    email: String,
}

#[derive(Serialize, ToSchema)]
struct ResetAccepted<'a> {
    /// Always `accepted`.
    status: &'static str,
    email: &'a str,
    message: &'static str,
}

struct Deps {
    accounts: Accounts,
    links: Arc<dyn LinkSigner>,
    mail: Mail,
    limits: Limits,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            accounts: stagepass_api::wiring::accounts(w)?,
            links: w.access_signer().await?,
            mail: Mail::wire(w)?,
            limits: w.limits(),
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: PasswordResetRequest = json_body(&req, deps.limits.max_body_bytes)?;
            let outcome = deps
                .accounts
                .request_password_reset(deps.links.as_ref(), &input.email, &client_address(&req))
                .await?;
            let mail = reset_email(&deps.mail.from, &deps.mail.public_url, &outcome);
            // As at sign-up, a failed send is logged, not answered: an error here would tell
            // the caller which of the two emails it was.
            if let Err(e) = deps.mail.mailer.send(&mail).await {
                tracing::error!(error = %e, "password-reset email not sent");
            }
            Ok(no_store(json(
                202,
                &ResetAccepted {
                    status: "accepted",
                    email: &mail.to,
                    message: "Check your inbox: if this email has an account, it has a link \
                              to choose a new password (valid for one hour).",
                },
            )))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Forgot password: email a reset link")
        .describe(
            "Answers 202 alike whether or not the email has an account; the inbox gets a \
             one-time link valid for an hour (`POST /auth/password-reset/confirm` takes its \
             token), or a note that the email has no account. A few per email per minute.",
        )
        .body::<PasswordResetRequest>(json!({"email": "me@example.com"}))
        .answers::<ResetAccepted>(202, "ResetAccepted; see your inbox")
        .errors([
            IdentityError::InvalidEmail.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
