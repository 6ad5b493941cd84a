//! POST /auth/logout — revokes the caller's login (every refresh token of its family).

use stagepass_api::prelude::*;
use stagepass_domain::Accounts;

pub const FUNCTION: Function = Function {
    name: "logout",
    route: Some(Route::token("POST", "/auth/logout", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let accounts = Arc::new(stagepass_api::wiring::accounts(w)?);
        Ok(http(move |req| handle(accounts.clone(), req)))
    })
}

async fn handle(accounts: Arc<Accounts>, req: Request) -> Response<Body> {
    respond(
        async {
            let who = caller(&req)?;
            if let Some(family) = &who.session {
                accounts.logout(family).await?;
            }
            Ok(Response::builder()
                .status(204)
                .body(Body::Empty)
                .expect("a 204 is a valid response"))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Log out: revoke this login's refresh tokens").answers_empty(204, "Logged out")
}
