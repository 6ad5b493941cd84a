//! API Gateway's TOKEN authorizer: allow with the caller as context, or `Unauthorized`.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerResponse,
};
use serde_json::{Map, Value};
use stagepass_api::prelude::*;
use stagepass_api::wiring::Unauthorized;

pub const FUNCTION: Function = Function {
    name: "authorizer",
    route: None,
    wire,
};

fn wire(w: &dyn Wiring) -> Wired<'_> {
    Box::pin(async move {
        // Public keys only, read again every few minutes: a rotation reaches warm containers.
        let keys = w.access_verifier().await?;
        Ok(Handler::Authorizer(Arc::new(move |request| {
            let keys = keys.clone();
            Box::pin(async move { authorize(&*keys.get().await, &request) })
        })))
    })
}

/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/*/*` from the method ARN: results are cached
/// per token, so the policy must cover every route, not just the one that asked. Roles are
/// checked by each function.
fn whole_api(method_arn: &str) -> Option<String> {
    let (prefix, path) = method_arn.split_once('/')?;
    let stage = path.split('/').next().filter(|s| !s.is_empty())?;
    Some(format!("{prefix}/{stage}/*/*"))
}

fn authorize(
    verifier: &Verifier,
    request: &ApiGatewayCustomAuthorizerRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse<Map<String, Value>>, Unauthorized> {
    let principal = verifier
        .authorize(request.authorization_token.as_deref())
        .map_err(|e| {
            tracing::info!(reason = %e, "token refused");
            Unauthorized
        })?;
    let resource = request
        .method_arn
        .as_deref()
        .and_then(whole_api)
        .ok_or(Unauthorized)?;
    let mut response = ApiGatewayCustomAuthorizerResponse::<Map<String, Value>>::default();
    response.principal_id = Some(principal.user.as_str().to_string());
    // The event types are non-exhaustive; their serde form is the documented wire format.
    response.policy_document = serde_json::from_value(json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [resource]}]
    }))
    .map_err(|_| Unauthorized)?;
    response.context = principal.context_fields();
    response.context.remove("principalId");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::whole_api;

    #[test]
    fn policies_cover_the_whole_stage() {
        assert_eq!(
            whole_api("arn:aws:execute-api:eu-west-1:123456789012:abc123/live/POST/events")
                .as_deref(),
            Some("arn:aws:execute-api:eu-west-1:123456789012:abc123/live/*/*")
        );
        assert_eq!(whole_api("garbage"), None);
    }
}
