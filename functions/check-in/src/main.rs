//! Lambda: check-in. All behaviour lives in `stagepass_api::handlers`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stagepass_lambda::run(stagepass_api::Function::CheckIn).await
}
