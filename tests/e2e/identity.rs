//! Identity journeys over HTTP: accounts, rotating refresh tokens, logout, guests, roles,
//! brute-force limits, the published keys and key rotation, and the `make run` demo data.

use chrono::Duration;
use serde_json::{Value, json};
use stagepass_api::{KeyUse, Keys, Role};
use stagepass_domain::{Clock, HoldSettings, IdentitySettings};
use stagepass_tests::{TEST_PASSWORD, TestApp, event_body, in_days, test_keys, token_part as part};

fn email() -> String {
    format!("fan-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn hold(app: &TestApp, token: &str, event: &str, seat: &str) -> (u16, Value) {
    let body = json!({ "seats": [seat] });
    app.send(
        "POST",
        &format!("/events/{event}/holds"),
        Some(token),
        Some(&body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_refresh_reuse_and_logout() {
    let app = TestApp::spawn().await;
    let organiser = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(
            &organiser,
            &event_body("Bath", "concert", in_days(9), 2, 5, 0),
        )
        .await;
    let email = email();

    // Register: accepted, then log in. A taken email (in another case: the same account) is
    // answered exactly alike, and only the inbox tells the two apart.
    let res = app
        .http
        .post(app.url("/auth/register"))
        .json(&json!({ "email": format!("  {}", email.to_uppercase()), "password": TEST_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let registered: Value = res.json().await.unwrap();
    assert_eq!(registered["email"], email.as_str());
    assert!(registered.get("access_token").is_none(), "{registered}");
    let (status, again) = app
        .register(&email.to_uppercase(), "another password 1")
        .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again, registered, "a taken email is answered alike");
    assert_eq!(app.emails_to(&email, "Welcome to Stagepass"), 1);
    assert_eq!(
        app.emails_to(&email, "Someone tried to sign up with your email"),
        1
    );
    let (status, signed_up) = app.login(&email, TEST_PASSWORD).await;
    assert_eq!(status, 200, "{signed_up}");
    assert_eq!(signed_up["user"]["email"], email.as_str());
    assert_eq!(signed_up["user"]["roles"], json!(["fan"]));
    assert_eq!(signed_up["token_type"], "Bearer");
    assert_eq!(signed_up["expires_in"], 900);
    let access = signed_up["access_token"].as_str().unwrap();
    let (header, claims) = (part(access, 0), part(access, 1));
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], test_keys().active.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some("stagepass"), Some("stagepass-api"))
    );
    assert_eq!(hold(&app, access, &event, "A-1-1").await.0, 201);

    let (status, err) = app.login(&email, "not the password").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (status, login) = app.login(&email, TEST_PASSWORD).await;
    assert_eq!(status, 200, "{login}");
    let first = login["refresh_token"].as_str().unwrap().to_string();

    // Refresh rotates.
    let refresh = |token: &str| json!({ "refresh_token": token });
    let (status, rotated) = app
        .send("POST", "/auth/refresh", None, Some(&refresh(&first)))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(rotated["user"]["email"], email.as_str());
    let rotated_access = rotated["access_token"].as_str().unwrap();
    assert_eq!(
        part(rotated_access, 1)["sid"],
        part(login["access_token"].as_str().unwrap(), 1)["sid"]
    );
    assert_eq!(hold(&app, rotated_access, &event, "A-1-2").await.0, 201);

    // The old token again: the family is revoked, for the thief and for the owner.
    let (status, err) = app
        .send("POST", "/auth/refresh", None, Some(&refresh(&first)))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("refresh_token_reused"))
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    let (status, err) = app
        .send("POST", "/auth/refresh", None, Some(&refresh(&second)))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("session_revoked"))
    );

    // Logout revokes this login's refresh tokens; the first login's own session lives on.
    let (_, login) = app.login(&email, TEST_PASSWORD).await;
    let access = login["access_token"].as_str().unwrap();
    let (status, _) = app.send("POST", "/auth/logout", None, None).await;
    assert_eq!(status, 401);
    let (status, body) = app.send("POST", "/auth/logout", Some(access), None).await;
    assert_eq!((status, body), (204, Value::Null));
    let logged_out = login["refresh_token"].as_str().unwrap();
    let (status, err) = app
        .send("POST", "/auth/refresh", None, Some(&refresh(logged_out)))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("session_revoked"))
    );
    let other_session = signed_up["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.send("POST", "/auth/refresh", None, Some(&refresh(other_session)))
            .await
            .0,
        200
    );

    let (status, err) = app
        .send("POST", "/auth/refresh", None, Some(&refresh("rt_made-up")))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("invalid_refresh_token"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_identity_input_is_a_clear_4xx() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "/auth/register",
            json!({"email": "not-an-email", "password": TEST_PASSWORD}),
            400,
            "invalid_email",
        ),
        (
            "/auth/register",
            json!({"email": email(), "password": "short"}),
            400,
            "invalid_password",
        ),
        (
            "/auth/register",
            json!({"email": email(), "password": " ".repeat(12)}),
            400,
            "invalid_password",
        ),
        (
            "/auth/register",
            json!({"email": email(), "password": "x".repeat(129)}),
            400,
            "invalid_password",
        ),
        (
            "/auth/register",
            json!({"email": email()}),
            400,
            "invalid_field",
        ),
        (
            "/auth/register",
            json!({"email": email(), "password": TEST_PASSWORD, "roles": ["admin"]}),
            400,
            "invalid_field",
        ),
        ("/auth/register", json!(["a"]), 400, "invalid_field"),
        (
            "/auth/login",
            json!({"email": 7, "password": TEST_PASSWORD}),
            400,
            "invalid_field",
        ),
        (
            "/auth/login",
            json!({"email": "nobody@example.com", "password": TEST_PASSWORD}),
            401,
            "invalid_credentials",
        ),
        ("/auth/refresh", json!({}), 400, "invalid_field"),
        (
            "/auth/refresh",
            json!({"refresh_token": "x".repeat(300)}),
            401,
            "invalid_refresh_token",
        ),
        ("/auth/guest", json!({"email": "a@b"}), 400, "invalid_email"),
    ];
    for (path, body, status, code) in cases {
        let (got, err) = app.send("POST", path, None, Some(&body)).await;
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{path} {body}"
        );
    }
    let (status, err) = app
        .send_raw("POST", "/auth/login", None, "{\"email\":")
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("malformed_json"))
    );
    // Nothing was registered by any of that.
    let (status, _) = app.login("not-an-email", TEST_PASSWORD).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_buy_with_a_token_bound_to_their_email() {
    let app = TestApp::spawn().await;
    let organiser = app.account_token(Role::Organiser).await;
    let event = app
        .published_event(
            &organiser,
            &event_body("York", "theatre", in_days(5), 1, 6, 0),
        )
        .await;
    let (status, guest) = app
        .send(
            "POST",
            "/auth/guest",
            None,
            Some(&json!({"email": "Walk.In@Example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{guest}");
    assert_eq!(guest["user"]["roles"], json!(["guest"]));
    assert_eq!(guest["user"]["email"], "walk.in@example.com");
    assert_eq!(guest["refresh_token"], Value::Null);
    assert_eq!(guest["expires_in"], 3600);
    let token = guest["access_token"].as_str().unwrap();
    assert_eq!(part(token, 1)["email"], "walk.in@example.com");
    let (status, held) = hold(&app, token, &event, "A-1-1").await;
    assert_eq!(status, 201, "{held}");
    // Asking for another guest token for that email gives a different guest, who cannot
    // touch the first one's hold.
    let (_, impostor) = app
        .send(
            "POST",
            "/auth/guest",
            None,
            Some(&json!({"email": "walk.in@example.com"})),
        )
        .await;
    let impostor = impostor["access_token"].as_str().unwrap();
    let release = format!("/holds/{}", held["id"].as_str().unwrap());
    assert_eq!(
        app.send("DELETE", &release, Some(impostor), None).await.0,
        404
    );
    assert_eq!(app.send("DELETE", &release, Some(token), None).await.0, 200);
    // Guests buy; they do not organise or administer.
    let (status, err) = app
        .send(
            "POST",
            "/events",
            Some(token),
            Some(&event_body("York", "theatre", in_days(5), 1, 1, 0)),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // An email with an account is answered exactly as one without (before: 409
    // account_exists, which told anyone the email had an account).
    let fan = email();
    assert_eq!(app.register(&fan, TEST_PASSWORD).await.0, 202);
    let (with_account, a) = app
        .send("POST", "/auth/guest", None, Some(&json!({"email": fan})))
        .await;
    let (without, b) = app
        .send(
            "POST",
            "/auth/guest",
            None,
            Some(&json!({"email": email()})),
        )
        .await;
    assert_eq!((with_account, without), (201, 201), "{a} {b}");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(a["user"]["roles"], json!(["guest"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_organisers_door_staff_fans_and_admins() {
    let app = TestApp::spawn().await;
    let organiser_a = app.account_token(Role::Organiser).await;
    let organiser_b = app.account_token(Role::Organiser).await;
    let door = app.account_token(Role::Door).await;
    let admin = app.account_token(Role::Admin).await;
    let (_, fan) = app.sign_up(&email(), TEST_PASSWORD).await;
    let fan = fan["access_token"].as_str().unwrap().to_string();
    let body = event_body("Hull", "sports", in_days(12), 1, 4, 0);
    let (status, draft) = app
        .send("POST", "/events", Some(&organiser_a), Some(&body))
        .await;
    assert_eq!(status, 201);
    let id = draft["id"].as_str().unwrap();
    let patch = json!({"description": "changed"});
    let path = format!("/events/{id}");

    // Another organiser's event does not exist for B: not even its draft.
    for (method, route) in [("PATCH", path.clone()), ("POST", format!("{path}/publish"))] {
        let (status, err) = app
            .send(method, &route, Some(&organiser_b), Some(&patch))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (404, Some("event_not_found")),
            "{method} {route}"
        );
    }
    assert_eq!(
        app.send("GET", &path, Some(&organiser_b), None).await.0,
        404
    );
    assert_eq!(
        app.send("GET", &path, Some(&organiser_a), None).await.0,
        200
    );
    // Door staff and fans on organiser routes: 403. Fans and organisers on admin routes: 403.
    for token in [&door, &fan] {
        let (status, err) = app.send("POST", "/events", Some(token), Some(&body)).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (403, Some("forbidden"))
        );
        assert_eq!(
            app.send("PATCH", &path, Some(token), Some(&patch)).await.0,
            403
        );
    }
    let new_account = json!({"email": email(), "password": TEST_PASSWORD, "roles": ["admin"]});
    for token in [&fan, &organiser_a, &door] {
        let (status, err) = app
            .send("POST", "/admin/accounts", Some(token), Some(&new_account))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (403, Some("forbidden"))
        );
    }
    // Door staff only check tickets in: no buying either.
    app.send("POST", &format!("{path}/publish"), Some(&organiser_a), None)
        .await;
    assert_eq!(hold(&app, &door, id, "A-1-1").await.0, 403);
    assert_eq!(hold(&app, &fan, id, "A-1-1").await.0, 201);
    // An admin can do anything, including another organiser's event.
    let (status, draft) = app
        .send("POST", "/events", Some(&organiser_b), Some(&body))
        .await;
    assert_eq!(status, 201);
    let b_path = format!("/events/{}", draft["id"].as_str().unwrap());
    assert_eq!(
        app.send("PATCH", &b_path, Some(&admin), Some(&patch))
            .await
            .0,
        200
    );
    assert_eq!(hold(&app, &admin, id, "A-1-2").await.0, 201);
    let (status, created) = app
        .send("POST", "/admin/accounts", Some(&admin), Some(&new_account))
        .await;
    assert_eq!((status, created["roles"].clone()), (201, json!(["admin"])));
    let (status, err) = app
        .send("POST", "/admin/accounts", Some(&admin), Some(&new_account))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("email_taken"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_bad_password_from_an_address_is_429_there_and_the_owner_logs_in_elsewhere() {
    let app = TestApp::spawn().await;
    let email = email();
    assert_eq!(app.register(&email, TEST_PASSWORD).await.0, 202);
    // Line up with the start of a one-minute window on the server's clock.
    let into = app.clock.now().timestamp_millis().rem_euclid(60_000);
    app.clock.advance(Duration::milliseconds(60_000 - into));
    for attempt in 1..=5 {
        let (status, err) = app.login(&email, "guessing-wrong-1").await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (401, Some("invalid_credentials")),
            "attempt {attempt}"
        );
    }
    let res = app
        .http
        .post(app.url("/auth/login"))
        .json(&json!({"email": email, "password": "guessing-wrong-6"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let retry_after = stagepass_tests::retry_after(&res);
    assert_eq!(retry_after, 60);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "rate_limited");
    // Locked for the rest of the window, even with the right password, from this address.
    assert_eq!(app.login(&email, TEST_PASSWORD).await.0, 429);
    // The owner on another network (another source address) is not locked out.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = elsewhere
        .post(app.url("/auth/login"))
        .json(&json!({"email": email, "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    app.clock.advance(Duration::seconds(30));
    assert_eq!(app.login(&email, TEST_PASSWORD).await.0, 429);
    app.clock.advance(Duration::seconds(30));
    let (status, session) = app.login(&email, TEST_PASSWORD).await;
    assert_eq!(status, 200, "{session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_may_only_try_so_often() {
    let app = TestApp::spawn_with_identity(IdentitySettings {
        client_attempts_per_window: 3,
        ..IdentitySettings::default()
    })
    .await;
    let into = app.clock.now().timestamp_millis().rem_euclid(60_000);
    app.clock.advance(Duration::milliseconds(60_000 - into));
    for _ in 0..3 {
        assert_eq!(app.register(&email(), TEST_PASSWORD).await.0, 202);
    }
    let (status, err) = app.register(&email(), TEST_PASSWORD).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    // Logins from the address are counted on their own.
    assert_eq!(app.login("nobody@example.com", TEST_PASSWORD).await.0, 401);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.register(&email(), TEST_PASSWORD).await.0, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_verifies_tokens_and_a_rotation_keeps_old_tokens_working() {
    let app = TestApp::spawn().await;
    let email = email();
    let (_, session) = app.sign_up(&email, TEST_PASSWORD).await;
    let old_token = session["access_token"].as_str().unwrap().to_string();
    let res = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let jwks: jsonwebtoken::jwk::JwkSet = res.json().await.unwrap();
    assert_eq!(jwks.keys.len(), 1);
    // Anyone can verify our tokens with nothing but the published key.
    let kid = part(&old_token, 0)["kid"].as_str().unwrap().to_string();
    let jwk = jwks.find(&kid).expect("the token's kid is published");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["stagepass-api"]);
    validation.set_issuer(&["stagepass"]);
    let verified = jsonwebtoken::decode::<Value>(
        &old_token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(verified.claims["email"], email.as_str());

    // Rotate: the new key signs, the old one still verifies until it is dropped.
    let now = chrono::Utc::now();
    let rotated = test_keys()
        .rotated(KeyUse::Access, now, std::time::Duration::ZERO)
        .unwrap();
    let clock = app.clock.clone();
    let (dir, _) = app.stop().await;
    let data = dir.as_ref().unwrap().path().to_path_buf();
    let app = TestApp::start_with(
        &data,
        HoldSettings::default(),
        IdentitySettings::default(),
        clock.clone(),
        Keys::fixed(&rotated, stagepass_tests::test_ticket_keys()).unwrap(),
    )
    .await;
    let (_, jwks) = app.send("GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.send("POST", "/auth/logout", Some(&old_token), None)
            .await
            .0,
        204
    );
    let (_, session) = app.login(&email, TEST_PASSWORD).await;
    let new_token = session["access_token"].as_str().unwrap().to_string();
    assert_eq!(part(&new_token, 0)["kid"], rotated.active.as_str());
    assert_ne!(rotated.active, kid);
    // A rotation more than a guest token's lifetime later drops the first key: its tokens
    // are refused.
    let (_, _) = app.stop().await;
    let again = rotated
        .rotated(
            KeyUse::Access,
            now + Duration::hours(2),
            std::time::Duration::ZERO,
        )
        .unwrap();
    let app = TestApp::start_with(
        &data,
        HoldSettings::default(),
        IdentitySettings::default(),
        clock,
        Keys::fixed(&again, stagepass_tests::test_ticket_keys()).unwrap(),
    )
    .await;
    let (status, err) = app
        .send("POST", "/auth/logout", Some(&old_token), None)
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        app.send("POST", "/auth/logout", Some(&new_token), None)
            .await
            .0,
        204
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_run_seeds_demo_accounts_and_a_published_event_once() {
    use stagepass_local::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD, seed};
    let app = TestApp::spawn().await;
    let first = seed(&app.ports).await.unwrap();
    let id = first.event_id.expect("the first run seeds an event");
    assert!(
        seed(&app.ports).await.unwrap().event_id.is_none(),
        "a second run adds nothing"
    );
    let (_, found) = app.send("GET", "/events?city=london", None, None).await;
    assert_eq!(found["events"].as_array().unwrap().len(), 1);
    assert_eq!(found["events"][0]["id"], id.as_str());
    for (email, role) in DEMO_ACCOUNTS {
        let (status, session) = app.login(email, DEMO_PASSWORD).await;
        assert_eq!(status, 200, "{email}");
        assert_eq!(session["user"]["roles"], json!([role]));
    }
    // The demo organiser manages the demo event; the demo door account cannot.
    let (_, organiser) = app.login("organiser@stagepass.local", DEMO_PASSWORD).await;
    let (status, event) = app
        .send(
            "GET",
            &format!("/events/{id}"),
            organiser["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!((status, event["status"].as_str()), (200, Some("published")));
    // The demo door account is on the demo event's door.
    let (status, staff) = app
        .send(
            "POST",
            &format!("/events/{id}/staff"),
            organiser["access_token"].as_str(),
            Some(&json!({"email": "door@stagepass.local"})),
        )
        .await;
    assert_eq!(status, 200, "{staff}");
    assert_eq!(staff["door_staff"].as_array().unwrap().len(), 1, "{staff}");
}

/// An admin demoted while logged in: the next refresh's access token no longer says admin,
/// and the admin route refuses it. Before, refresh copied the roles of the login and the
/// demoted admin stayed admin for as long as they kept refreshing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demoted_admin_loses_the_role_at_the_next_refresh() {
    let app = TestApp::spawn().await;
    let accounts = stagepass_domain::Accounts::new(
        app.ports.identity.clone().unwrap(),
        app.ports.rate_limiter.clone().unwrap(),
        app.ports.clock.clone(),
        IdentitySettings::default(),
    );
    let email = email();
    accounts
        .ensure_account(&email, TEST_PASSWORD, &[stagepass_domain::Role::Admin])
        .await
        .unwrap();
    let (_, login) = app.login(&email, TEST_PASSWORD).await;
    assert_eq!(
        part(login["access_token"].as_str().unwrap(), 1)["roles"],
        json!(["admin"])
    );
    let root = stagepass_domain::Actor {
        user: stagepass_domain::UserId::new("root"),
        admin: true,
    };
    accounts
        .set_roles(&root, &email, &[stagepass_domain::Role::Organiser])
        .await
        .unwrap();
    let (status, refreshed) = app
        .send(
            "POST",
            "/auth/refresh",
            None,
            Some(&json!({"refresh_token": login["refresh_token"]})),
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(part(access, 1)["roles"], json!(["organiser"]));
    assert_eq!(refreshed["user"]["roles"], json!(["organiser"]));
    let door = format!("door-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = json!({"email": door, "password": TEST_PASSWORD, "roles": ["door"]});
    let (status, _) = app
        .send("POST", "/admin/accounts", Some(access), Some(&body))
        .await;
    assert_eq!(status, 403);
}
