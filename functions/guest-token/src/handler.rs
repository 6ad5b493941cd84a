//! POST /auth/guest — a token for buying without an account, bound to an email.

use stagepass_api::prelude::*;
use stagepass_domain::Accounts;

pub const FUNCTION: Function = Function {
    name: "guest-token",
    route: Some(Route::public("POST", "/auth/guest")),
    wire,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuestRequest {
    email: String,
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
            let input: GuestRequest = json_body(&req, limits.max_body_bytes)?;
            let session = accounts.guest(&input.email, &client_address(&req)).await?;
            session_reply(&tokens, 201, &session)
        }
        .await,
    )
}
