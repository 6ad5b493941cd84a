//! GET /.well-known/jwks.json — the public keys that verify access tokens.

use stagepass_api::prelude::*;

pub const FUNCTION: Function = Function {
    name: "jwks",
    route: Some(Route::public("GET", "/.well-known/jwks.json", doc)),
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        let keys = w.access_verifier().await?;
        Ok(http(move |_req| {
            let keys = keys.clone();
            async move {
                let mut response = json(200, keys.get().await.jwks());
                response.headers_mut().insert(
                    "cache-control",
                    lambda_http::http::HeaderValue::from_static("public, max-age=300"),
                );
                response
            }
        }))
    })
}

fn doc() -> Doc {
    Doc::new("The public keys that verify access tokens")
        .answers_object(200, "A JWK Set (RFC 7517): Ed25519 keys, by kid")
}
