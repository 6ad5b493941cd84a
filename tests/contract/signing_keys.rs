//! Signing keys as deployed: a key set in a Secrets Manager secret (moto under `make test`).

use stagepass_api::{KeySet, Principal, Role};
use stagepass_domain::UserId;

/// Reads the key set as a deployed function does: from the secret its environment names.
async fn tokens_from_secret(
    config: &aws_config::SdkConfig,
    name: &str,
) -> Result<std::sync::Arc<stagepass_api::Tokens>, stagepass_api::WiringError> {
    use stagepass_api::Wiring;
    let name = name.to_string();
    let wiring = stagepass_lambda::EnvWiring::new(config.clone(), move |var| {
        (var == "STAGEPASS_SIGNING_KEYS_SECRET").then(|| name.clone())
    });
    wiring.tokens().await
}

async fn secret_with(text: &str) -> String {
    let config = stagepass_tests::aws::sdk_config().await;
    let name = format!("stagepass-keys-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&name)
        .secret_string(text)
        .send()
        .await
        .expect("create secret");
    name
}

#[tokio::test]
async fn functions_load_the_key_set_from_secrets_manager() {
    let set = KeySet::generate();
    let name = secret_with(&set.to_json()).await;
    let config = stagepass_tests::aws::sdk_config().await;
    let tokens = tokens_from_secret(&config, &name).await.unwrap();
    let who = Principal {
        user: UserId::new("u-1"),
        roles: vec![Role::Fan],
        email: None,
        session: None,
    };
    assert_eq!(tokens.verify(&tokens.issue(&who, 60)).unwrap(), who);
    assert_eq!(tokens.jwks()["keys"][0]["kid"], set.active.as_str());
    // A key from another set is not accepted.
    let other = stagepass_api::Tokens::from_key_set(&KeySet::generate()).unwrap();
    assert!(tokens.verify(&other.issue(&who, 60)).is_err());
}

#[tokio::test]
async fn a_missing_or_broken_secret_stops_the_function_with_a_reason() {
    let config = stagepass_tests::aws::sdk_config().await;
    let missing = tokens_from_secret(&config, "no-such-secret")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(missing.contains("no-such-secret"), "{missing}");
    let broken = secret_with(r#"{"active":"k1","keys":[{"kid":"k1","private_key":"AAAA"}]}"#).await;
    let error = tokens_from_secret(&config, &broken)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("not an Ed25519"), "{error}");
    assert!(
        !error.contains("AAAA"),
        "key material never appears in errors"
    );
}

#[tokio::test]
async fn the_first_admin_of_a_deployment_can_log_in() {
    let client = stagepass_tests::aws::client().await;
    let table = format!("identity-{}", uuid::Uuid::new_v4().simple());
    stagepass_tests::aws::create_table(&client, "IdentityTable", &table).await;
    let config = stagepass_tests::aws::sdk_config().await;
    let password = stagepass_tests::TEST_PASSWORD;
    assert!(
        stagepass_lambda::ensure_admin(&config, &table, "Root@Example.com", password)
            .await
            .unwrap()
    );
    assert!(
        !stagepass_lambda::ensure_admin(&config, &table, "root@example.com", password)
            .await
            .unwrap()
    );
    let identity =
        std::sync::Arc::new(stagepass_dynamo::DynamoIdentity::new(client, table.clone()));
    let accounts = stagepass_domain::Accounts::new(
        identity.clone(),
        identity,
        std::sync::Arc::new(stagepass_domain::SystemClock),
        Default::default(),
    );
    let session = accounts
        .login("root@example.com", password, "test")
        .await
        .unwrap();
    assert_eq!(session.roles, vec![Role::Admin]);
    // A fan's email cannot be turned into an admin this way.
    accounts
        .register("fan@example.com", password, "test")
        .await
        .unwrap();
    let refused = stagepass_lambda::ensure_admin(&config, &table, "fan@example.com", password)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("without the admin role"), "{refused}");
}
