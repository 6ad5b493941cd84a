//! A recording proxy in front of the AWS endpoint, one per function: each function's
//! `AWS_ENDPOINT_URL` points at its own proxy, so every AWS call it makes (and every use of a
//! link it presigned) is written down under its name before being passed on unchanged.
//! `infra/check_permissions.py` then judges each call against that function's policies.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// One AWS call as it went over the wire: enough to name the IAM action and resource.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    /// The function's logical id in the template.
    pub function: String,
    /// The signing name (`dynamodb`, `s3`, `ses`, `events`, `states`, `secretsmanager`).
    pub service: String,
    /// `X-Amz-Target` for JSON protocols (`DynamoDB_20120810.PutItem`).
    pub target: Option<String>,
    pub method: String,
    pub path: String,
    /// JSON request bodies (never S3 object bodies).
    pub body: Option<serde_json::Value>,
}

/// Where calls are written, one JSON object per line.
pub struct CallLog {
    file: Mutex<std::fs::File>,
}

impl CallLog {
    pub fn create(path: &std::path::Path) -> Result<Arc<Self>, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Arc::new(Self {
            file: Mutex::new(file),
        }))
    }

    fn write(&self, call: &Call) {
        let line = serde_json::to_string(call).expect("a call serialises");
        let mut file = self.file.lock().expect("call log lock");
        let _ = writeln!(file, "{line}");
    }
}

/// Starts a proxy for `function` and returns its URL.
pub async fn start(
    function: String,
    upstream: String,
    log: Arc<CallLog>,
    http: reqwest::Client,
) -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let state = Arc::new((function, upstream, log, http));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move {
                        let (function, upstream, log, http) = &*state;
                        Ok::<_, Infallible>(forward(function, upstream, log, http, req).await)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(url)
}

/// The service an AWS request is signed for: from the `Authorization` header's credential
/// scope, or a presigned URL's `X-Amz-Credential`.
fn signing_service(headers: &http::HeaderMap, query: &str) -> String {
    let scope = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or_default().to_string())
        .or_else(|| form_urlencoded_value(query, "X-Amz-Credential"))
        .unwrap_or_default();
    // AKID/date/region/service/aws4_request
    scope.split('/').nth(3).unwrap_or("unknown").to_string()
}

fn form_urlencoded_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

async fn forward(
    function: &str,
    upstream: &str,
    log: &CallLog,
    http: &reqwest::Client,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let service = signing_service(&parts.headers, &query);
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let json_body = if service == "s3" {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    log.write(&Call {
        function: function.to_string(),
        service,
        target,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        body: json_body,
    });
    let url = format!(
        "{upstream}{}",
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let mut request = http.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(response) => {
            let mut out = hyper::Response::builder().status(response.status().as_u16());
            for (name, value) in response.headers() {
                if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
                    out = out.header(name, value);
                }
            }
            let bytes = response.bytes().await.unwrap_or_default();
            out.body(Full::new(bytes)).expect("response")
        }
        Err(e) => hyper::Response::builder()
            .status(502)
            .body(Full::new(Bytes::from(e.to_string())))
            .expect("response"),
    }
}
