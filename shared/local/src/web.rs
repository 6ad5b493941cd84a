//! The web app's static files (`web/dist`, built by `make web`), served at `/` by `make run`
//! for GET paths the API does not have. The app routes by the URL's hash, so `/` and its
//! `assets/` are all there is and no path of the app can shadow one of the API's. Deployed,
//! the same files are in the web bucket behind CloudFront.

use lambda_http::{Body, Response};
use std::path::{Component, Path};

/// The file at `path` under `dir`, or `None` if there is none (the caller answers 404). `/` is
/// `index.html`; if the app is not built, `/` says how to build it instead.
pub async fn file(dir: &Path, path: &str) -> Option<Response<Body>> {
    let relative = match path.trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    // Only plain names below the folder: no `..`, no absolute paths.
    let safe = Path::new(relative)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !safe {
        return None;
    }
    let bytes = match tokio::fs::read(dir.join(relative)).await {
        Ok(bytes) => bytes,
        Err(_) if relative == "index.html" => return Some(not_built(dir)),
        Err(_) => return None,
    };
    // Vite names assets by their content: they never change. index.html names the current ones.
    let cache = match relative.starts_with("assets/") {
        true => "public, max-age=31536000, immutable",
        false => "no-cache",
    };
    Response::builder()
        .status(200)
        .header("content-type", content_type(relative))
        .header("cache-control", cache)
        .header("x-content-type-options", "nosniff")
        .body(Body::Binary(bytes))
        .ok()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn not_built(dir: &Path) -> Response<Body> {
    let text = format!(
        "<!doctype html><title>Stagepass</title><h1>The web app is not built</h1>\
         <p>Run <code>make web</code> (or <code>make run</code>, which builds it) and reload. \
         Looked in {}.</p><p>The API is here all the same: <a href=\"/events\">/events</a>, \
         <a href=\"/openapi.json\">/openapi.json</a>.</p>",
        dir.display()
    );
    Response::builder()
        .status(200)
        .header("content-type", "text/html; charset=utf-8")
        .body(Body::Text(text))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_the_built_files_and_nothing_outside_them() {
        let dir = tempfile::tempdir().unwrap();
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(dist.join("index.html"), "<h1>app</h1>").unwrap();
        std::fs::write(dist.join("assets/app-1.js"), "x()").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "no").unwrap();

        let index = file(&dist, "/").await.unwrap();
        assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(index.headers()["cache-control"], "no-cache");
        let js = file(&dist, "/assets/app-1.js").await.unwrap();
        assert!(
            js.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(js.body().as_ref(), b"x()");
        for outside in [
            "/../secret.txt",
            "/assets/../../secret.txt",
            "//etc/passwd",
            "/nope.js",
        ] {
            assert!(file(&dist, outside).await.is_none(), "{outside}");
        }
        // Not built yet: `/` says how to build it.
        let empty = dir.path().join("empty");
        let page = file(&empty, "/").await.unwrap();
        assert!(matches!(page.body(), Body::Text(t) if t.contains("make web")));
    }
}
