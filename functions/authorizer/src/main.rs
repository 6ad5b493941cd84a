//! Lambda: the API Gateway TOKEN authorizer. All behaviour lives in
//! `stagepass_lambda::authorize` and `stagepass_api::Tokens`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run_authorizer().await
}
