//! GET /events/{eventId}/seat-map — the live state of every seat and place: per row a
//! run-length string, per area its counts. The layout it applies to is the event's own
//! (`GET /events/{eventId}`), which never changes once published.
//!
//! At most `max_age` old (2 s), from a snapshot one viewer at a time rebuilds, so an
//! on-sale's views do not read every sold seat each; `ETag` and `Cache-Control` let a browser,
//! API Gateway's cache or CloudFront answer repeats, and the gateway's gzip keeps a
//! 200,000-seat map in tens of kilobytes. Holds are judged by their own conditional write,
//! never by this map.

use stagepass_api::prelude::*;
use stagepass_api::response::cacheable;
use stagepass_domain::CatalogError;
use stagepass_domain::catalog::seat_map::{Availability, SeatMaps};

pub const FUNCTION: Function = Function {
    name: "get-seat-map",
    route: Some(Route::public("GET", "/events/{eventId}/seat-map", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let maps = Arc::new(SeatMaps::new(
            w.catalog()?,
            w.inventory()?,
            w.map_snapshots()?,
            w.clock(),
            w.map_settings(),
        ));
        // A published event's map is the same for everyone: any cache may keep it as long as
        // the map itself may be that old.
        let public: Arc<str> =
            format!("public, max-age={}", maps.settings().max_age.num_seconds()).into();
        // A public route: the authorizer does not run, so a token sent is checked here.
        let keys = w.access_verifier().await?;
        Ok(http(move |req| {
            handle(maps.clone(), public.clone(), keys.clone(), req)
        }))
    })
}

async fn handle(
    maps: Arc<SeatMaps>,
    public: Arc<str>,
    keys: Arc<Keyring<Verifier>>,
    req: Request,
) -> Response<Body> {
    respond(
        async {
            let viewer = keys.optional_actor(&req).await?;
            let id = event_id(&req)?;
            let view = maps.view(viewer.as_ref(), &id).await?;
            // A draft's map is its organiser's alone.
            let cache = if view.public {
                &public
            } else {
                "private, no-store"
            };
            Ok(cacheable(
                &req,
                &view.snapshot.body,
                &view.snapshot.etag,
                cache,
            ))
        }
        .await,
    )
}

fn doc() -> Doc {
    Doc::new("The live seat map: every seat's and place's state")
        .describe(
            "Per row, the seats' states from seat 1 on as runs of a count and a letter \
             (`a` available, `h` held, `s` sold: `\"12a3s5a\"`); per general-admission area, \
             its counts. Match it to the event's layout (`GET /events/{eventId}`) by section \
             id and row label. At most two seconds old (`as_of`): a seat shown available may \
             be gone, which the hold answers with 409. Sends `ETag` (answer `If-None-Match` \
             gets 304) and `Cache-Control: public, max-age=2` for a published event; gzipped \
             when `Accept-Encoding` allows. Anyone, for a published event; drafts and \
             cancelled events only for their organiser (send the token) and admins.",
        )
        .optional_token()
        .answers::<Availability>(200, "The seat map")
        .errors([CatalogError::EventNotFound(String::new()).into()])
}
