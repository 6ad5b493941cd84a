//! API Gateway (REST, Lambda proxy integration) as the template declares it: the routes and
//! which are public, the TOKEN authorizer with its result cached per token for its TTL, the
//! gateway's own error responses, and REST v1 proxy events with the authorizer's context.

use crate::runtime::Container;
use crate::template::{ACCOUNT, API_ID, Access, Authorizer, GatewayResponse, REGION};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// API Gateway's payload limit for REST APIs.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

pub struct Route {
    pub method: String,
    pub path: String,
    pub access: Access,
    pub function: Arc<Container>,
}

pub struct Gateway {
    /// Resource path → method → route.
    router: matchit::Router<HashMap<String, Arc<Route>>>,
    authorizer: Authorizer,
    authorizer_fn: Arc<Container>,
    responses: BTreeMap<String, GatewayResponse>,
    /// The preflight answer's headers (the API's `Cors`), if it has one.
    preflight: Option<Vec<(String, String)>>,
    stage: String,
    /// Token → (when it was asked, the authorizer's answer, or None for "Unauthorized").
    cache: Mutex<HashMap<String, (Instant, Option<Value>)>>,
}

impl Gateway {
    pub fn new(
        routes: Vec<Route>,
        authorizer: Authorizer,
        authorizer_fn: Arc<Container>,
        responses: BTreeMap<String, GatewayResponse>,
        preflight: Option<Vec<(String, String)>>,
        stage: String,
    ) -> Result<Self, String> {
        let mut by_path: BTreeMap<String, HashMap<String, Arc<Route>>> = BTreeMap::new();
        for route in routes {
            by_path
                .entry(route.path.clone())
                .or_default()
                .insert(route_method(&route), Arc::new(route));
        }
        let mut router = matchit::Router::new();
        for (path, methods) in by_path {
            router
                .insert(path.clone(), methods)
                .map_err(|e| format!("route {path}: {e}"))?;
        }
        Ok(Self {
            router,
            authorizer,
            authorizer_fn,
            responses,
            preflight,
            stage,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The template's response for one of the gateway's own refusals.
    fn gateway_response(&self, kind: &str, default_status: u16) -> hyper::Response<Full<Bytes>> {
        let fallback = if default_status >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        let configured = self
            .responses
            .get(kind)
            .or_else(|| self.responses.get(fallback));
        let status = configured.and_then(|r| r.status).unwrap_or(default_status);
        let body = configured
            .and_then(|r| r.body.clone())
            .unwrap_or_else(|| json!({"message": kind}).to_string());
        let mut response = hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", kind);
        for (name, value) in configured.map(|r| r.headers.clone()).unwrap_or_default() {
            response = response.header(name, value);
        }
        response
            .body(Full::new(Bytes::from(body)))
            .expect("response")
    }

    fn method_arn(&self, method: &str, path: &str) -> String {
        format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{}/{method}{path}",
            self.stage
        )
    }

    /// The authorizer's verdict for a token, from the cache while it is fresh.
    async fn authorize(&self, token: &str, method_arn: &str) -> Result<Value, &'static str> {
        let ttl = Duration::from_secs(self.authorizer.ttl_secs);
        let cached = self
            .cache
            .lock()
            .expect("cache lock")
            .get(token)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, answer)| answer.clone());
        let answer = match cached {
            Some(answer) => answer,
            None => {
                let event = json!({
                    "type": "TOKEN",
                    "authorizationToken": token,
                    "methodArn": method_arn,
                });
                let answer = match self.authorizer_fn.invoke(&event).await {
                    Ok(v) => Some(v),
                    Err(e) if e.message == "Unauthorized" => None,
                    Err(e) => {
                        tracing::warn!(error = ?e, "authorizer failed");
                        return Err("AUTHORIZER_FAILURE");
                    }
                };
                if ttl > Duration::ZERO {
                    self.cache
                        .lock()
                        .expect("cache lock")
                        .insert(token.to_string(), (Instant::now(), answer.clone()));
                }
                answer
            }
        };
        let Some(answer) = answer else {
            return Err("UNAUTHORIZED");
        };
        match policy_allows(&answer["policyDocument"], method_arn) {
            true => Ok(answer),
            false => Err("ACCESS_DENIED"),
        }
    }

    async fn handle(
        &self,
        peer: SocketAddr,
        req: hyper::Request<Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let Ok(matched) = self.router.at(&path) else {
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", 403);
        };
        if method == "OPTIONS"
            && let Some(headers) = &self.preflight
        {
            // SAM's mock integration: 200, no body, the `Cors` headers, no authorizer.
            let mut response = hyper::Response::builder().status(200);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            return response.body(Full::new(Bytes::new())).expect("response");
        }
        let Some(route) = matched.value.get(&method) else {
            // API Gateway answers a method a resource does not have like an unknown route.
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", 403);
        };
        let route = route.clone();
        let params: Map<String, Value> = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect();
        let method_arn = self.method_arn(&method, &path);
        let authorizer = match route.access {
            Access::Public => None,
            Access::Token => {
                let header = req
                    .headers()
                    .get(self.authorizer.header.as_str())
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
                let Some(token) = header else {
                    return self.gateway_response("UNAUTHORIZED", 401);
                };
                match self.authorize(&token, &method_arn).await {
                    Ok(answer) => {
                        let mut context =
                            answer["context"].as_object().cloned().unwrap_or_default();
                        context.insert("principalId".into(), answer["principalId"].clone());
                        Some(Value::Object(context))
                    }
                    Err(kind) => {
                        let status = match kind {
                            "UNAUTHORIZED" => 401,
                            "ACCESS_DENIED" => 403,
                            _ => 500,
                        };
                        return self.gateway_response(kind, status);
                    }
                }
            }
        };
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return self.gateway_response("REQUEST_TOO_LARGE", 413),
        };
        let event = proxy_event(
            &route.path,
            &self.stage,
            &parts,
            &params,
            peer,
            &body,
            authorizer,
        );
        match route.function.invoke(&event).await {
            Ok(answer) => from_proxy_response(&answer),
            Err(e) if e.error_type == "States.Timeout" => {
                self.gateway_response("INTEGRATION_TIMEOUT", 504)
            }
            Err(e) => {
                tracing::warn!(function = %route.function.function, error = ?e, "integration failed");
                self.gateway_response("DEFAULT_5XX", 502)
            }
        }
    }
}

fn route_method(route: &Route) -> String {
    route.method.to_uppercase()
}

/// Whether an IAM-style policy allows `execute-api:Invoke` on `arn`.
fn policy_allows(policy: &Value, arn: &str) -> bool {
    let statements = match &policy["Statement"] {
        Value::Array(s) => s.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => return false,
    };
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    };
    let applies = |s: &Value| {
        list(&s["Action"])
            .iter()
            .any(|a| glob(&a.to_lowercase(), "execute-api:invoke"))
            && list(&s["Resource"]).iter().any(|r| glob(r, arn))
    };
    let denied = statements
        .iter()
        .any(|s| s["Effect"] == "Deny" && applies(s));
    let allowed = statements
        .iter()
        .any(|s| s["Effect"] == "Allow" && applies(s));
    allowed && !denied
}

/// IAM wildcard matching: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The REST v1 proxy event API Gateway sends a Lambda.
fn proxy_event(
    resource: &str,
    stage: &str,
    parts: &http::request::Parts,
    params: &Map<String, Value>,
    peer: SocketAddr,
    body: &[u8],
    authorizer: Option<Value>,
) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in &parts.headers {
        let value = value.to_str().unwrap_or_default().to_string();
        headers.insert(name.to_string(), Value::String(value.clone()));
        multi_headers
            .entry(name.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("array")
            .push(Value::String(value));
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
        query.insert(k.to_string(), Value::String(v.to_string()));
        multi_query
            .entry(k.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("array")
            .push(Value::String(v.to_string()));
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(_) if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_string()), false),
        Err(_) => (
            Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
            true,
        ),
    };
    let none_if_empty = |m: Map<String, Value>| match m.is_empty() {
        true => Value::Null,
        false => Value::Object(m),
    };
    let path = parts.uri.path();
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": parts.method.as_str(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": none_if_empty(query),
        "multiValueQueryStringParameters": none_if_empty(multi_query),
        "pathParameters": none_if_empty(params.clone()),
        "stageVariables": null,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": parts.method.as_str(),
            "path": format!("/{stage}{path}"),
            "stage": stage,
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "protocol": "HTTP/1.1",
            "requestId": uuid::Uuid::new_v4().to_string(),
            "requestTimeEpoch": chrono::Utc::now().timestamp_millis(),
            "identity": { "sourceIp": peer.ip().to_string() },
            "authorizer": authorizer,
        },
        "body": body,
        "isBase64Encoded": encoded,
    })
}

fn from_proxy_response(answer: &Value) -> hyper::Response<Full<Bytes>> {
    let status = answer["statusCode"].as_u64().unwrap_or(502) as u16;
    let mut response = hyper::Response::builder().status(status);
    let mut seen = std::collections::HashSet::new();
    if let Some(multi) = answer["multiValueHeaders"].as_object() {
        for (name, values) in multi {
            for v in values.as_array().into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    response = response.header(name, v);
                    seen.insert(name.to_lowercase());
                }
            }
        }
    }
    if let Some(single) = answer["headers"].as_object() {
        for (name, v) in single {
            if let (false, Some(v)) = (seen.contains(&name.to_lowercase()), v.as_str()) {
                response = response.header(name, v);
            }
        }
    }
    let body = answer["body"].as_str().unwrap_or_default();
    let bytes = match answer["isBase64Encoded"].as_bool() {
        Some(true) => base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default(),
        _ => body.as_bytes().to_vec(),
    };
    response
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>) {
    while let Ok((stream, peer)) = listener.accept().await {
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let gateway = gateway.clone();
                async move { Ok::<_, Infallible>(gateway.handle(peer, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn iam_wildcards() {
        assert!(glob(
            "arn:aws:execute-api:r:1:api/live/*/*",
            "arn:aws:execute-api:r:1:api/live/GET/events/1"
        ));
        assert!(!glob(
            "arn:aws:execute-api:r:1:api/live/*/*",
            "arn:aws:execute-api:r:1:api/Stage/GET/x"
        ));
        assert!(glob("dynamodb:Get?tem", "dynamodb:GetItem"));
        assert!(!glob("dynamodb:GetItem", "dynamodb:GetItems"));
    }
}
