use lambda_http::{Body, Response};
use serde::Serialize;

pub fn json<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(
            serde_json::to_string(body).expect("views serialise"),
        ))
        .expect("status and header are valid")
}
