use lambda_http::{Body, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub fn json<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(
            serde_json::to_string(body).expect("views serialise"),
        ))
        .expect("status and header are valid")
}

/// What a request handler works out: a response, or an error rendered by [`respond`].
pub type Reply = Result<Response<Body>, crate::ApiError>;

pub fn respond(result: Reply) -> Response<Body> {
    result.unwrap_or_else(crate::ApiError::into_response)
}

/// Adds `Location` (a path of ours, always a valid header value).
pub fn with_location(mut response: Response<Body>, path: String) -> Response<Body> {
    response.headers_mut().insert(
        "location",
        path.parse().expect("uuid path is a valid header"),
    );
    response
}

/// Tokens must not be cached by browsers or proxies.
pub fn no_store(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert("cache-control", http::HeaderValue::from_static("no-store"));
    response
}

/// The body every way of getting a session answers with.
pub fn session_reply(
    signer: &crate::Signer,
    status: u16,
    session: &stagepass_domain::Session,
) -> Reply {
    let (access_token, expires_in) = signer.for_session(session);
    Ok(no_store(json(
        status,
        &SessionAnswer {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: session.refresh_token.as_deref(),
            refresh_expires_at: session.refresh_expires_at,
            user: SessionUser {
                id: session.user.as_str(),
                email: session.email.as_str(),
                roles: &session.roles,
                email_verified: session.email_verified,
            },
        },
    )))
}

/// A session: an access token, and for an account (not a guest) the refresh token that makes
/// the next one.
#[derive(Serialize, ToSchema)]
pub struct SessionAnswer<'a> {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid for.
    pub expires_in: i64,
    /// Single use; `null` for guests.
    pub refresh_token: Option<&'a str>,
    pub refresh_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub user: SessionUser<'a>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub roles: &'a [stagepass_domain::Role],
    /// Whether the email is proven (a verified account, or a guest who opened their emailed
    /// link). Until it is, cancelling a booking for a refund is refused.
    pub email_verified: bool,
}

/// A cacheable body: `304` when the client's `If-None-Match` names `etag`, else `200` with
/// it. Compression is the edge's: API Gateway's `MinimumCompressionSize` deployed, the local
/// server's [`compress`] locally.
pub fn cacheable(
    req: &lambda_http::Request,
    body: &str,
    etag: &str,
    cache_control: &str,
) -> Response<Body> {
    use lambda_http::http::header;
    let matches = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, cache_control)
        .header(header::VARY, "Accept-Encoding");
    if matches {
        builder.status(304).body(Body::Empty)
    } else {
        builder
            .status(200)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::Text(body.to_string()))
    }
    .expect("status and headers are valid")
}

/// Bodies smaller than this are sent as they are: API Gateway's `MinimumCompressionSize` in
/// the template, and the local server's.
pub const MIN_COMPRESSION_BYTES: usize = 1024;

/// Whether `Accept-Encoding` allows gzip (`gzip;q=0` refuses it).
pub fn accepts_gzip(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Gzips the response's body as API Gateway does with `MinimumCompressionSize`: when the
/// client accepts gzip, the body is at least [`MIN_COMPRESSION_BYTES`] and not encoded yet.
pub fn compress(accept: &http::HeaderMap, response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let bytes: &[u8] = match &body {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => return Response::from_parts(parts, body),
    };
    if bytes.len() < MIN_COMPRESSION_BYTES
        || !accepts_gzip(accept)
        || parts.headers.contains_key(http::header::CONTENT_ENCODING)
    {
        return Response::from_parts(parts, body);
    }
    let gzipped = gzip_bytes(bytes);
    parts.headers.insert(
        http::header::CONTENT_ENCODING,
        http::HeaderValue::from_static("gzip"),
    );
    let varies = parts
        .headers
        .get_all(http::header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("accept-encoding"));
    if !varies {
        parts.headers.append(
            http::header::VARY,
            http::HeaderValue::from_static("Accept-Encoding"),
        );
    }
    Response::from_parts(parts, Body::Binary(gzipped))
}

/// `bytes` gzipped.
pub fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> lambda_http::Request {
        let mut builder = lambda_http::http::Request::builder();
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn a_known_etag_is_answered_304_without_the_body() {
        let tag = "\"abc\"";
        let fresh = cacheable(&request(&[]), "{}", tag, "public, max-age=2");
        assert_eq!(fresh.status(), 200);
        assert_eq!(fresh.headers()["etag"], tag);
        assert_eq!(fresh.headers()["cache-control"], "public, max-age=2");
        for sent in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
            let again = cacheable(&request(&[("if-none-match", sent)]), "{}", tag, "x");
            assert_eq!(again.status(), 304, "{sent}");
            assert!(matches!(again.body(), Body::Empty));
        }
        let other = cacheable(&request(&[("if-none-match", "\"abd\"")]), "{}", tag, "x");
        assert_eq!(other.status(), 200);
    }

    #[test]
    fn large_bodies_are_gzipped_for_clients_that_accept_it() {
        use std::io::Read;
        let big = "a".repeat(MIN_COMPRESSION_BYTES);
        let answer = || Response::new(Body::Text(big.clone()));
        let headers = |v: &str| request(&[("accept-encoding", v)]).headers().clone();
        let gzipped = compress(&headers("gzip, deflate, br"), answer());
        assert_eq!(gzipped.headers()["content-encoding"], "gzip");
        let Body::Binary(bytes) = gzipped.body() else {
            panic!("gzip is bytes")
        };
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, big);
        for refused in ["br", "gzip;q=0", "identity", ""] {
            let plain = compress(&headers(refused), answer());
            assert!(
                !plain.headers().contains_key("content-encoding"),
                "{refused}"
            );
        }
        // A cacheable answer already says it varies by encoding: said once.
        let map = cacheable(&request(&[]), &big, "\"t\"", "public, max-age=2");
        let map = compress(&headers("gzip"), map);
        assert_eq!(map.headers().get_all("vary").iter().count(), 1);
        let small = compress(&headers("gzip"), Response::new(Body::Text("{}".into())));
        assert!(matches!(small.body(), Body::Text(t) if t == "{}"));
    }
}
