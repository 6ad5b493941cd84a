//! POST /admin/accounts — an admin creates an organiser, door-staff, admin or fan account.

use stagepass_api::prelude::*;
use stagepass_domain::Accounts;

pub const FUNCTION: Function = Function {
    name: "create-account",
    route: Some(Route::token("POST", "/admin/accounts")),
    wire,
};

#[derive(Deserialize)]
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
                &json!({
                    "id": account.id,
                    "email": account.email,
                    "roles": account.roles,
                    "created_at": account.created_at,
                }),
            ))
        }
        .await,
    )
}
