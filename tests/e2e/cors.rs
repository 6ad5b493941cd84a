//! Browsers on another origin: the local server plays API Gateway with the template's `Cors`,
//! so every route's preflight is answered without a token, and every answer (the functions',
//! and the gateway's own refusals) carries the allowed origin.

use stagepass_tests::{TestApp, header};

const ORIGIN: &str = "http://127.0.0.1:3000";

/// A concrete path for a route's template (`{eventId}` → `x`).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_its_preflight_without_a_token() {
    let app = TestApp::spawn().await;
    let routes = app.api.routes();
    assert!(routes.len() > 20);
    for route in routes {
        let answer = app
            .http
            .request(reqwest::Method::OPTIONS, app.url(&concrete(route.path)))
            .header("origin", ORIGIN)
            .header("access-control-request-method", route.method)
            .header(
                "access-control-request-headers",
                "authorization,content-type,idempotency-key",
            )
            .send()
            .await
            .unwrap();
        let what = format!("OPTIONS {}", route.path);
        assert_eq!(answer.status(), 204, "{what}");
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            ORIGIN,
            "{what}"
        );
        let methods = header(&answer, "access-control-allow-methods");
        assert!(
            methods.split(',').any(|m| m == route.method),
            "{what}: {methods}"
        );
        assert_eq!(
            header(&answer, "access-control-allow-headers"),
            "Authorization,Content-Type,Idempotency-Key,Admission-Token"
        );
        assert_eq!(header(&answer, "access-control-max-age"), "600");
    }
    // A path the API does not have is not pre-approved.
    let answer = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/nowhere"))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_names_the_allowed_origin_refusals_too() {
    let app = TestApp::spawn().await;
    let cases = [
        ("GET", "/events", None, 200),           // a function's answer
        ("POST", "/auth/login", Some("{"), 400), // a function's refusal
        ("POST", "/bookings", None, 401),        // the authorizer's refusal
        ("GET", "/nowhere", None, 404),          // no such route
        ("PUT", "/events/x", None, 405),         // no such method
        ("POST", "/auth/login", Some(&*"x".repeat(11 << 20)), 413), // the gateway's size limit
    ];
    for (method, path, body, status) in cases {
        let mut req = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .header("origin", ORIGIN)
            .header("content-type", "application/json");
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let answer = req.send().await.unwrap();
        let what = format!("{method} {path}");
        assert_eq!(answer.status().as_u16(), status, "{what}");
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            ORIGIN,
            "{what}"
        );
        assert_eq!(
            header(&answer, "access-control-expose-headers"),
            "Retry-After,Location",
            "{what}"
        );
    }
}

/// RFC 9110: a 405 names the methods the resource takes (schemathesis found it missing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_the_path_does_not_take_is_405_with_allow() {
    let app = TestApp::spawn().await;
    for (method, path, allow) in [
        ("TRACE", "/events", "GET, POST, OPTIONS"),
        ("PUT", "/events/x", "GET, PATCH, OPTIONS"),
        ("GET", "/auth/login", "POST, OPTIONS"),
    ] {
        let answer = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 405, "{method} {path}");
        let mut got: Vec<String> = header(&answer, "allow")
            .split(", ")
            .map(str::to_string)
            .collect();
        let mut want: Vec<String> = allow.split(", ").map(str::to_string).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{method} {path}");
    }
}
