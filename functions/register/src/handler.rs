//! POST /auth/register — a fan signs up; then logs in. The answer is the same whether or not
//! the email already had an account (202, "check your inbox"): its owner is told by email
//! instead, so sign-up cannot be used to find out who has an account. A new account's
//! welcome email carries the link that verifies its address.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_api::wiring::Mail;
use stagepass_domain::IdentityError;
use stagepass_domain::notifications::registration_email;
use stagepass_domain::{Accounts, LinkSigner, Registration};

pub const FUNCTION: Function = Function {
    name: "register",
    route: Some(Route::public("POST", "/auth/register", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
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
            let input: Credentials = json_body(&req, deps.limits.max_body_bytes)?;
            let outcome = deps
                .accounts
                .register(&input.email, &input.password, &client_address(&req))
                .await?;
            let verification = match &outcome {
                Registration::Created(account) => Some(
                    deps.accounts
                        .verification_link(deps.links.as_ref(), account)
                        .await?,
                ),
                Registration::EmailTaken(_) => None,
            };
            let mail = registration_email(
                &deps.mail.from,
                &deps.mail.public_url,
                &outcome,
                verification.as_deref(),
            );
            // The answer does not wait on the mail going out well: a failure is logged, and
            // a client told "error" here would learn which outcome it was.
            if let Err(e) = deps.mail.mailer.send(&mail).await {
                tracing::error!(error = %e, "sign-up email not sent");
            }
            Ok(no_store(json(
                202,
                &Accepted {
                    status: "accepted",
                    email: outcome.email().as_str(),
                    message: "Check your inbox. If this email is new, your account is ready: \
                              log in with your password.",
                },
            )))
        }
        .await,
    )
}

/// The same whether or not the email had an account: the inbox tells the difference.
#[derive(Serialize, ToSchema)]
struct Accepted<'a> {
    /// Always `accepted`.
    status: &'static str,
    email: &'a str,
    message: &'static str,
}

fn doc() -> Doc {
    Doc::new("Sign up")
        .describe(
            "Answers 202 alike whether or not the email has an account, and emails the \
             owner either a welcome with a link that verifies the address, or a note that \
             someone tried. Then log in. An unverified account may buy, but not cancel a \
             booking for a refund.",
        )
        .body::<Credentials>(json!({"email": "me@example.com", "password": "a long passphrase"}))
        .answers::<Accepted>(202, "Accepted; see your inbox")
        .errors([
            IdentityError::InvalidEmail.into(),
            IdentityError::WeakPassword(String::new()).into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
