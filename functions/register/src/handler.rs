//! POST /auth/register — a fan signs up and is logged in.

use stagepass_api::prelude::*;
use stagepass_domain::Accounts;

pub const FUNCTION: Function = Function {
    name: "register",
    route: Some(Route::public("POST", "/auth/register")),
    wire,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let accounts = Arc::new(stagepass_api::wiring::accounts(w)?);
        let tokens = w.tokens().await?;
        let limits = w.limits();
        Ok(http(move |req| {
            handle(accounts.clone(), tokens.clone(), limits, req)
        }))
    })
}

async fn handle(
    accounts: Arc<Accounts>,
    tokens: Arc<Tokens>,
    limits: Limits,
    req: Request,
) -> Response<Body> {
    respond(
        async {
            let input: Credentials = json_body(&req, limits.max_body_bytes)?;
            let session = accounts
                .register(&input.email, &input.password, &client_address(&req))
                .await?;
            session_reply(&tokens, 201, &session)
        }
        .await,
    )
}
