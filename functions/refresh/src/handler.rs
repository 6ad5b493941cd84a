//! POST /auth/refresh — spends a refresh token for a new access and refresh token.

use stagepass_api::prelude::*;
use stagepass_domain::Accounts;

pub const FUNCTION: Function = Function {
    name: "refresh",
    route: Some(Route::public("POST", "/auth/refresh")),
    wire,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
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
            let input: RefreshRequest = json_body(&req, limits.max_body_bytes)?;
            let session = accounts.refresh(&input.refresh_token).await?;
            session_reply(&tokens, 200, &session)
        }
        .await,
    )
}
