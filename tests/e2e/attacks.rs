//! Hostile tokens. Every one must be refused with 401 `unauthorized` by the authorizer, both
//! the in-process one in front of the local server and the Lambda authorizer's code, and
//! nothing behind the route may run.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use stagepass_api::{KeySet, Role};
use stagepass_tests::{TEST_PASSWORD, TestApp, test_keys, token, tokens};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Claims that would be accepted if signed properly: an admin, valid for an hour.
fn admin_claims() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "attacker", "roles": ["admin"], "iss": "stagepass", "aud": "stagepass-api",
        "iat": now, "nbf": now, "exp": now + 3600, "jti": "x"
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn active_kid() -> String {
    test_keys().active.clone()
}

fn public_key() -> Vec<u8> {
    test_keys().load().unwrap().remove(0).public
}

fn hs256_with(secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(active_kid());
    jsonwebtoken::encode(&header, &admin_claims(), &EncodingKey::from_secret(secret)).unwrap()
}

/// A token whose header and payload are chosen freely, with a signature copied from a real one.
fn forged_parts(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header), b64(claims))
}

/// Every attack, as the `Authorization` header value sent (None: no header at all).
fn attacks() -> Vec<(&'static str, Option<String>)> {
    let real = token("fan-1", Role::Fan);
    let parts: Vec<&str> = real.split('.').collect();
    let signature = parts[2].to_string();
    let mut bad_signature: Vec<char> = signature.chars().collect();
    let middle = bad_signature.len() / 2;
    bad_signature[middle] = if bad_signature[middle] == 'A' {
        'B'
    } else {
        'A'
    };
    let bad_signature: String = bad_signature.into_iter().collect();

    let mut tampered_claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    tampered_claims["roles"] = json!(["admin"]);
    let tampered_payload = format!("{}.{}.{}", parts[0], b64(&tampered_claims), signature);

    let mut same_kid_other_key = KeySet::generate();
    same_kid_other_key.keys[0].kid = active_kid();
    same_kid_other_key.active = active_kid();
    let impostor = stagepass_api::Signer::from_key_set(&same_kid_other_key).unwrap();
    let other_set = stagepass_api::Signer::from_key_set(&KeySet::generate()).unwrap();

    let signed = |claims: Value| tokens().sign(&claims);
    let now = chrono::Utc::now().timestamp();
    let no_kid = {
        let private = test_keys().load().unwrap().remove(0).private_pkcs8.unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &admin_claims(),
            &EncodingKey::from_ed_der(&private),
        )
        .unwrap()
    };
    let bearer = |t: &str| Some(format!("Bearer {t}"));

    vec![
        ("no header", None),
        (
            "alg none",
            bearer(&format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": active_kid()})),
                b64(&admin_claims())
            )),
        ),
        (
            "alg none, real signature",
            bearer(&forged_parts(
                &json!({"alg": "none", "kid": active_kid()}),
                &admin_claims(),
                &signature,
            )),
        ),
        (
            "HS256 with the raw public key as secret",
            bearer(&hs256_with(&public_key())),
        ),
        (
            "HS256 with the JWK x as secret",
            bearer(&hs256_with(URL_SAFE_NO_PAD.encode(public_key()).as_bytes())),
        ),
        (
            "RS256 header",
            bearer(&forged_parts(
                &json!({"alg": "RS256", "kid": active_kid()}),
                &admin_claims(),
                &signature,
            )),
        ),
        (
            "expired",
            bearer(&signed(with(
                with(admin_claims(), "exp", json!(now - 600)),
                "iat",
                json!(now - 4000),
            ))),
        ),
        (
            "not yet valid",
            bearer(&signed(with(admin_claims(), "nbf", json!(now + 600)))),
        ),
        ("no exp", bearer(&signed(without(admin_claims(), "exp")))),
        ("no nbf", bearer(&signed(without(admin_claims(), "nbf")))),
        (
            "wrong issuer",
            bearer(&signed(with(admin_claims(), "iss", json!("evil")))),
        ),
        (
            "wrong audience",
            bearer(&signed(with(admin_claims(), "aud", json!("another-api")))),
        ),
        (
            "empty subject",
            bearer(&signed(with(admin_claims(), "sub", json!("")))),
        ),
        (
            "unknown role",
            bearer(&signed(with(admin_claims(), "roles", json!(["root"])))),
        ),
        ("unknown kid", bearer(&other_set.sign(&admin_claims()))),
        (
            "known kid, other key",
            bearer(&impostor.sign(&admin_claims())),
        ),
        ("no kid", bearer(&no_kid)),
        ("tampered payload", bearer(&tampered_payload)),
        (
            "tampered signature",
            bearer(&format!("{}.{}.{bad_signature}", parts[0], parts[1])),
        ),
        (
            "signature stripped",
            bearer(&format!("{}.{}.", parts[0], parts[1])),
        ),
        ("not a JWT", bearer("abc.def.ghi")),
        ("huge", bearer(&"a".repeat(5000))),
        (
            "a refresh token",
            bearer("rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        ("wrong scheme", Some(format!("Token {real}"))),
        ("basic auth", Some("Basic YWRtaW46cGFzc3dvcmQ=".to_string())),
        ("no scheme", Some(real.clone())),
        ("scheme only", Some("Bearer".to_string())),
        ("empty token", Some("Bearer ".to_string())),
        ("two tokens", Some(format!("Bearer {real} {real}"))),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_forged_or_malformed_token_is_refused_and_nothing_runs() {
    let app = TestApp::spawn().await;
    let list = attacks();
    assert!(list.len() >= 25);
    for (name, header) in list {
        // An admin-only route that would create an account if it ran.
        let email = format!("victim-{}@example.com", uuid::Uuid::new_v4().simple());
        let body = json!({"email": email, "password": TEST_PASSWORD, "roles": ["admin"]});
        let mut req = app.http.post(app.url("/admin/accounts")).json(&body);
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{name}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer", "{name}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unauthorized", "{name}");
        assert_eq!(
            app.login(&email, TEST_PASSWORD).await.0,
            401,
            "{name}: nothing was created"
        );

        // The Lambda authorizer's code refuses it too (API Gateway then answers 401).
        let event = json!({
            "type": "TOKEN",
            "authorizationToken": header,
            "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:api/live/POST/admin/accounts"
        });
        let request = serde_json::from_value(event).unwrap();
        assert!(stagepass_tests::authorize(request).await.is_err(), "{name}");

        // A public route that reads an optional token refuses a bad one rather than ignore it.
        if let Some(h) = &header {
            let res = app
                .http
                .get(app.url("/events/5a3e0000-0000-4000-8000-000000000001"))
                .header("authorization", h)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 401, "{name} on a public route");
        }
    }
    // The token in the query string is not a token.
    let real = token("admin-1", Role::Admin);
    let (status, _) = app
        .send(
            "POST",
            &format!("/admin/accounts?access_token={real}"),
            None,
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 401);
    // And a real admin token does get through, so the refusals above are about the tokens.
    let (status, created) = app
        .send(
            "POST",
            "/admin/accounts",
            Some(&real),
            Some(
                &json!({"email": "real@example.com", "password": TEST_PASSWORD, "roles": ["door"]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
}
