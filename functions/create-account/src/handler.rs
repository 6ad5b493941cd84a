//! POST /admin/accounts — an admin creates an organiser, door-staff, admin or fan account.

use serde::Serialize;
use stagepass_api::prelude::*;
use stagepass_domain::Accounts;
use stagepass_domain::IdentityError;

pub const FUNCTION: Function = Function {
    name: "create-account",
    route: Some(Route::token("POST", "/admin/accounts", doc)),
    wire,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    email: String,
    password: String,
    roles: Vec<Role>,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let accounts = Arc::new(stagepass_api::wiring::accounts(w)?);
        let limits = w.limits();
        Ok(http(move |req| handle(accounts.clone(), limits, req)))
    })
}

async fn handle(accounts: Arc<Accounts>, limits: Limits, req: Request) -> Response<Body> {
    respond(
        async {
            let admin = fresh_caller(&req)?.require_admin()?;
            let input: NewAccount = json_body(&req, limits.max_body_bytes)?;
            let account = accounts
                .create_account(&admin, &input.email, &input.password, &input.roles)
                .await?;
            Ok(json(
                201,
                &AccountView {
                    id: account.id.as_str(),
                    email: account.email.as_str(),
                    roles: &account.roles,
                    created_at: account.created_at,
                },
            ))
        }
        .await,
    )
}

/// An account as made: never its password.
#[derive(Serialize, ToSchema)]
struct AccountView<'a> {
    id: &'a str,
    email: &'a str,
    roles: &'a [Role],
    created_at: chrono::DateTime<chrono::Utc>,
}

fn doc() -> Doc {
    Doc::new("Make an organiser, door-staff, admin or fan account (admins)")
        .body::<NewAccount>(json!({"email": "door-1@example.com", "password": "door-password-1", "roles": ["door"]}))
        .answers::<AccountView>(201, "The account")
        .errors([
            ApiError::Forbidden(String::new()),
            ApiError::TokenExpired,
            IdentityError::InvalidEmail.into(),
            IdentityError::WeakPassword(String::new()).into(),
            IdentityError::EmailTaken.into(),
        ])
}
