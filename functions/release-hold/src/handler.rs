//! DELETE /holds/{holdId} — the holder gives the seats back.

use stagepass_api::prelude::*;
use stagepass_domain::HoldError;
use stagepass_domain::holds::ReleaseHold;

pub const FUNCTION: Function = Function {
    name: "release-hold",
    route: Some(Route::token("DELETE", "/holds/{holdId}", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let release = Arc::new(ReleaseHold {
            inventory: w.inventory()?,
            clock: w.clock(),
        });
        let handler = http(move |req| handle(release.clone(), req));
        idempotent(w, handler)
    })
}

async fn handle(release: Arc<ReleaseHold>, req: Request) -> Response<Body> {
    respond(
        async {
            let holder = fresh_caller(&req)?;
            holder.require_buyer()?;
            let id = hold_id(&req)?;
            let hold = release.release(&holder.user, &id).await?;
            Ok(json(200, &HoldView::new(&hold, release.clock.now())))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("Release a hold")
        .idempotent()
        .answers::<HoldView>(200, "The hold, status released")
        .errors([
            ApiError::Forbidden(String::new()),
            ApiError::TokenExpired,
            HoldError::HoldNotFound(String::new()).into(),
            HoldError::HoldNotActive(String::new()).into(),
        ])
}
