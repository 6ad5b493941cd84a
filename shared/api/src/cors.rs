//! CORS, so a web app on another origin can call the API. Deployed, API Gateway answers the
//! preflight (`OPTIONS`) and its own refusals with these headers (template.yaml's `Cors` and
//! `GatewayResponses`), and every function adds them to its answers, because with the Lambda
//! proxy integration API Gateway passes the function's headers through untouched. Locally the
//! server does all three (`stagepass_local`).
//!
//! One allowed origin, not a list: API Gateway's preflight answers one fixed
//! `Access-Control-Allow-Origin`, and the functions must answer the same. The API takes bearer
//! tokens, never cookies, so `*` lets no site act for a user who has not handed it a token.

use crate::wiring::WiringError;
use lambda_http::http::{HeaderMap, HeaderValue};
use lambda_http::{Body, Response};

/// The setting: `*` or one origin (`https://tickets.example.com`, `http://127.0.0.1:3000`).
pub const SETTING: &str = "STAGEPASS_ALLOWED_ORIGIN";
/// What a browser may send besides the CORS-safelisted headers.
pub const ALLOW_HEADERS: &str = "Authorization,Content-Type,Idempotency-Key,Admission-Token";
/// What a script may read besides the safelisted response headers: how long to wait after a
/// 429 or 503, and where a created resource lives.
pub const EXPOSE_HEADERS: &str = "Retry-After,Location";
/// How long a browser may reuse a preflight answer.
pub const MAX_AGE_SECS: u32 = 600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    origin: HeaderValue,
}

impl Cors {
    /// `*`, or `scheme://host[:port]` exactly as a browser sends it in `Origin` (no path, no
    /// trailing slash), so a mistyped setting stops the function instead of failing every
    /// browser quietly.
    pub fn parse(origin: &str) -> Result<Self, WiringError> {
        let origin = origin.trim();
        let refuse = || {
            WiringError(format!(
                "{SETTING} must be * or an origin such as https://tickets.example.com, not {origin:?}"
            ))
        };
        if origin != "*" {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(refuse)?;
            let (host, port) = rest.split_once(':').unwrap_or((rest, "1"));
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
            if !host_ok || !port_ok {
                return Err(refuse());
            }
        }
        Ok(Self {
            origin: HeaderValue::from_str(origin).map_err(|_| refuse())?,
        })
    }

    pub fn origin(&self) -> &str {
        self.origin.to_str().unwrap_or_default()
    }

    /// The headers every answer carries.
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("access-control-allow-origin", self.origin.clone());
        headers.insert(
            "access-control-expose-headers",
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }

    /// The answer to a preflight for a path that takes `methods`.
    pub fn preflight(&self, methods: &[&str]) -> Response<Body> {
        let mut allowed: Vec<&str> = methods.to_vec();
        allowed.push("OPTIONS");
        let mut response = Response::builder()
            .status(204)
            .header("access-control-allow-methods", allowed.join(","))
            .header("access-control-allow-headers", ALLOW_HEADERS)
            .header("access-control-max-age", MAX_AGE_SECS)
            .body(Body::Empty)
            .expect("a valid response");
        self.apply(response.headers_mut());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_star_or_scheme_host_and_port() {
        for ok in [
            "*",
            "https://tickets.example.com",
            "http://127.0.0.1:3000",
            "http://localhost:5173",
        ] {
            assert_eq!(Cors::parse(ok).unwrap().origin(), ok);
        }
        for bad in [
            "",
            "tickets.example.com",
            "https://tickets.example.com/",
            "https://a.com/app",
            "https://a.com:0",
            "https://a.com:99999",
            "https://a.com,https://b.com",
            "ftp://a.com",
            "https://",
        ] {
            assert!(Cors::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_preflight_allows_the_methods_headers_and_origin() {
        let cors = Cors::parse("https://tickets.example.com").unwrap();
        let answer = cors.preflight(&["GET", "PATCH"]);
        let h = answer.headers();
        assert_eq!(answer.status(), 204);
        assert_eq!(
            h["access-control-allow-origin"],
            "https://tickets.example.com"
        );
        assert_eq!(h["access-control-allow-methods"], "GET,PATCH,OPTIONS");
        assert_eq!(h["access-control-allow-headers"], ALLOW_HEADERS);
        assert_eq!(h["access-control-max-age"], "600");
    }
}
