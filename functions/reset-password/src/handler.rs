//! POST /auth/password-reset/confirm — a new password from an emailed reset link. The link
//! works once; every session of the account ends (its refresh tokens stop working), the
//! address counts as verified, and the owner is told by email.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_api::wiring::Mail;
use stagepass_domain::notifications::password_changed_email;
use stagepass_domain::{Accounts, IdentityError, LinkVerifier};

pub const FUNCTION: Function = Function {
    name: "reset-password",
    route: Some(Route::public("POST", "/auth/password-reset/confirm", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    /// The token from the emailed link (`#/reset/<token>`).
    #[schema(max_length = 2048)]
    token: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct Changed<'a> {
    /// Always `password_changed`.
    status: &'static str,
    email: &'a str,
}

struct Deps {
    accounts: Accounts,
    links: Arc<dyn LinkVerifier>,
    mail: Mail,
    limits: Limits,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let deps = Arc::new(Deps {
            accounts: stagepass_api::wiring::accounts(w)?,
            links: w.access_verifier().await?,
            mail: Mail::wire(w)?,
            limits: w.limits(),
        });
        Ok(http(move |req| handle(deps.clone(), req)))
    })
}

async fn handle(deps: Arc<Deps>, req: Request) -> Response<Body> {
    respond(
        async {
            let input: NewPassword = json_body(&req, deps.limits.max_body_bytes)?;
            let email = deps
                .accounts
                .reset_password(
                    deps.links.as_ref(),
                    &input.token,
                    &input.password,
                    &client_address(&req),
                )
                .await?;
            // The password is changed whether or not this goes out: logged, not answered.
            let mail =
                password_changed_email(&deps.mail.from, &deps.mail.public_url, email.as_str());
            if let Err(e) = deps.mail.mailer.send(&mail).await {
                tracing::error!(error = %e, "password-changed email not sent");
            }
            Ok(no_store(json(
                200,
                &Changed {
                    status: "password_changed",
                    email: email.as_str(),
                },
            )))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Set a new password with an emailed reset link")
        .describe(
            "The link works once and for an hour, and not after a later password change. \
             Every session of the account ends; log in with the new password.",
        )
        .body::<NewPassword>(json!({
            "token": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIuLi4ifQ.c2ln",
            "password": "a new long passphrase"
        }))
        .answers::<Changed>(200, "The password is changed")
        .errors([
            IdentityError::WeakPassword(String::new()).into(),
            IdentityError::InvalidLink.into(),
            IdentityError::RateLimited {
                retry_after_secs: 0,
            }
            .into(),
        ])
}
