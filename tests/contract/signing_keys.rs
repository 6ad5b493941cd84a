//! Signing keys as deployed: two private key sets and their public halves, each in a Secrets
//! Manager secret (moto under `make test`), read again after the key cache lifetime; and the
//! same three documents as files under `make run`'s data folder.

use stagepass_api::{KeySet, KeyUse, Keyring, Principal, PublicKeys, Role, Signer, Verifier};
use stagepass_domain::UserId;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A function's wiring given only `variables` (name → value).
fn wiring(
    config: &aws_config::SdkConfig,
    variables: &[(&str, &str)],
    cache: Duration,
) -> stagepass_lambda::EnvWiring {
    let vars: Vec<(String, String)> = variables
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    stagepass_lambda::EnvWiring::new(config.clone(), move |var| {
        vars.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
    })
    .with_key_cache(cache)
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

async fn put_secret(name: &str, text: &str) {
    let config = stagepass_tests::aws::sdk_config().await;
    aws_sdk_secretsmanager::Client::new(&config)
        .put_secret_value()
        .secret_id(name)
        .secret_string(text)
        .send()
        .await
        .expect("put secret");
}

fn fan() -> Principal {
    Principal {
        expires_at: None,
        user: UserId::new("u-1"),
        roles: vec![Role::Fan],
        email: None,
        session: None,
        email_verified: false,
    }
}

/// The three secrets of a deployment, made from two fresh sets.
struct Deployed {
    access: String,
    tickets: String,
    public: String,
    sets: (KeySet, KeySet),
}

async fn deployed() -> Deployed {
    let sets = (KeySet::generate(), KeySet::generate());
    Deployed {
        access: secret_with(&sets.0.to_json()).await,
        tickets: secret_with(&sets.1.to_json()).await,
        public: secret_with(&PublicKeys::of(&sets.0, &sets.1).unwrap().to_json()).await,
        sets,
    }
}

#[tokio::test]
async fn signers_read_a_private_set_and_verifiers_only_the_public_keys() {
    use stagepass_api::Wiring;
    let config = stagepass_tests::aws::sdk_config().await;
    let d = deployed().await;
    let signer = wiring(
        &config,
        &[("ACCESS_SIGNING_KEYS_SECRET", &d.access)],
        Duration::MAX,
    )
    .access_signer()
    .await
    .unwrap();
    let verifier = wiring(
        &config,
        &[("VERIFICATION_KEYS_SECRET", &d.public)],
        Duration::MAX,
    );
    let access = verifier.access_verifier().await.unwrap();
    let tickets = verifier.ticket_verifier().await.unwrap();
    let token = signer.get().await.issue(&fan(), 60);
    let verified = access.get().await.verify(&token).unwrap();
    assert!(
        verified.expires_at.is_some(),
        "the token's exp is passed on"
    );
    assert_eq!(
        stagepass_api::Principal {
            expires_at: None,
            ..verified
        },
        fan()
    );
    assert_eq!(
        access.get().await.jwks()["keys"][0]["kid"],
        d.sets.0.active.as_str()
    );
    // What a verifier reads holds no private key.
    let public_text = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(&d.public)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_string();
    assert!(!public_text.contains("private_key"), "{public_text}");
    // A ticket signed with the ticket keys scans; one signed with the access keys does not,
    // and an access token is no ticket.
    let ticket_signer = wiring(
        &config,
        &[("TICKET_SIGNING_KEYS_SECRET", &d.tickets)],
        Duration::MAX,
    )
    .ticket_signer()
    .await
    .unwrap();
    let claims = stagepass_domain::TicketClaims {
        ticket: "b-1-1".into(),
        event: "e-1".into(),
        seat: "A-1".into(),
    };
    let qr = ticket_signer.sign_ticket(&claims).await.unwrap();
    assert_eq!(tickets.verify_ticket(&qr).await, Some(claims.clone()));
    let forged = signer.get().await.sign_ticket(&claims);
    assert_eq!(tickets.verify_ticket(&forged).await, None);
    assert_eq!(tickets.verify_ticket(&token).await, None);
    assert!(access.get().await.verify(&qr).is_err());
    // A key from another deployment is not accepted.
    let other = Signer::from_key_set(&KeySet::generate()).unwrap();
    assert!(access.get().await.verify(&other.issue(&fan(), 60)).is_err());
}

#[tokio::test]
async fn a_missing_or_broken_secret_stops_the_function_with_a_reason() {
    use stagepass_api::Wiring;
    let config = stagepass_tests::aws::sdk_config().await;
    let missing = wiring(
        &config,
        &[("ACCESS_SIGNING_KEYS_SECRET", "no-such-secret")],
        Duration::MAX,
    )
    .access_signer()
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(missing.contains("no-such-secret"), "{missing}");
    let broken = secret_with(r#"{"active":"k1","keys":[{"kid":"k1","private_key":"AAAA"}]}"#).await;
    let error = wiring(
        &config,
        &[("ACCESS_SIGNING_KEYS_SECRET", &broken)],
        Duration::MAX,
    )
    .access_signer()
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("not an Ed25519"), "{error}");
    assert!(
        !error.contains("AAAA"),
        "key material never appears in errors"
    );
    // A private set where the public keys belong is refused, not half-used.
    let d = deployed().await;
    let error = wiring(
        &config,
        &[("VERIFICATION_KEYS_SECRET", &d.access)],
        Duration::MAX,
    )
    .access_verifier()
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("public key document"), "{error}");
}

/// Issues and verifies a token every few milliseconds for `run_for`, calling `rotate` once
/// after half a second. Returns (refused, issued with the key the rotation made).
async fn issue_and_verify_across_a_rotation(
    signer: Arc<Keyring<Signer>>,
    verifier: Arc<Keyring<Verifier>>,
    rotate: impl std::future::Future<Output = String>,
    run_for: Duration,
) -> (usize, usize) {
    let refused = Arc::new(AtomicUsize::new(0));
    let issued = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let traffic = {
        let (refused, issued) = (refused.clone(), issued.clone());
        tokio::spawn(async move {
            let end = tokio::time::Instant::now() + run_for;
            while tokio::time::Instant::now() < end {
                let signer = signer.get().await;
                let token = signer.issue(&fan(), 60);
                issued
                    .lock()
                    .unwrap()
                    .push(signer.signing_kid().to_string());
                if verifier.get().await.verify(&token).is_err() {
                    refused.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let new_kid = rotate.await;
    traffic.await.unwrap();
    let with_new = issued
        .lock()
        .unwrap()
        .iter()
        .filter(|k| **k == new_kid)
        .count();
    (refused.load(Ordering::SeqCst), with_new)
}

/// A rotation in Secrets Manager, the way the README says: the public keys first, then the
/// private set, whose new key signs only after `delay`.
async fn rotate_deployed(d: &Deployed, delay: Duration) -> String {
    let rotated = d
        .sets
        .0
        .rotated(KeyUse::Access, chrono::Utc::now(), delay)
        .unwrap();
    put_secret(
        &d.public,
        &PublicKeys::of(&rotated, &d.sets.1).unwrap().to_json(),
    )
    .await;
    put_secret(&d.access, &rotated.to_json()).await;
    rotated.active
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_while_tokens_are_issued_and_verified_refuses_none() {
    use stagepass_api::Wiring;
    let config = stagepass_tests::aws::sdk_config().await;
    // Every container reads its keys again after a second; a new key signs two seconds
    // after the rotation (twice that, as deployed: 10 minutes for a 5-minute cache).
    let cache = Duration::from_secs(1);
    let d = deployed().await;
    let signer = wiring(&config, &[("ACCESS_SIGNING_KEYS_SECRET", &d.access)], cache)
        .access_signer()
        .await
        .unwrap();
    let verifier = wiring(&config, &[("VERIFICATION_KEYS_SECRET", &d.public)], cache)
        .access_verifier()
        .await
        .unwrap();
    let (refused, with_new) = issue_and_verify_across_a_rotation(
        signer,
        verifier,
        rotate_deployed(&d, 2 * cache),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(refused, 0, "no token refused during the rotation");
    assert!(with_new > 0, "the new key signed before the end");

    // What happened before: keys read once per container and a new key active at once. The
    // warm verifier does not know the new kid, and every token signed with it is a 401.
    let d = deployed().await;
    let signer = wiring(&config, &[("ACCESS_SIGNING_KEYS_SECRET", &d.access)], cache)
        .access_signer()
        .await
        .unwrap();
    let read_once = wiring(
        &config,
        &[("VERIFICATION_KEYS_SECRET", &d.public)],
        Duration::MAX,
    )
    .access_verifier()
    .await
    .unwrap();
    let (refused, with_new) = issue_and_verify_across_a_rotation(
        signer,
        read_once,
        rotate_deployed(&d, Duration::ZERO),
        Duration::from_secs(3),
    )
    .await;
    assert!(
        with_new > 0 && refused == with_new,
        "{refused} refused of {with_new}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_of_make_runs_key_files_reaches_the_running_server_without_a_401() {
    let dir = tempfile::tempdir().unwrap();
    let keys = stagepass_local::keys::local_keys(dir.path()).await.unwrap();
    let before = std::fs::read_to_string(stagepass_local::keys::public_path(dir.path())).unwrap();
    assert!(!before.contains("private_key"));
    let delay = stagepass_local::keys::LOCAL_KEY_CACHE * 2;
    let data = dir.path().to_path_buf();
    let (refused, with_new) = issue_and_verify_across_a_rotation(
        keys.access_signer.clone(),
        keys.access_verifier.clone(),
        async move {
            stagepass_local::keys::rotate(&data, KeyUse::Access, delay)
                .unwrap()
                .active
        },
        delay + stagepass_local::keys::LOCAL_KEY_CACHE * 2,
    )
    .await;
    assert_eq!(refused, 0);
    assert!(with_new > 0);
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
    // The operator demotes the admin: their next refresh carries the new roles.
    stagepass_lambda::set_roles(&config, &table, "root@example.com", &[Role::Organiser])
        .await
        .unwrap();
    let refreshed = accounts
        .refresh(session.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(refreshed.roles, vec![Role::Organiser]);
    let unknown = stagepass_lambda::set_roles(&config, &table, "ghost@example.com", &[Role::Fan])
        .await
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("no account"), "{unknown}");
}
