//! The identity use cases (`Accounts`) over each adapter: the rules that protect accounts hold
//! on the embedded store and on DynamoDB alike.

use crate::Adapters;
use chrono::{Duration, Utc};
use stagepass_domain::{
    Accounts, Actor, Clock, IdentityError, IdentitySettings, ManualClock, Registration, Role,
    UserId,
};
use std::sync::Arc;

fn accounts(a: &Adapters) -> (Accounts, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let accounts = Accounts::new(
        a.identity.clone(),
        a.limiter.clone(),
        clock.clone(),
        IdentitySettings::default(),
    );
    (accounts, clock)
}

fn email() -> String {
    format!("fan-{}@example.com", uuid::Uuid::new_v4().simple())
}

const PASSWORD: &str = "correct horse battery";

pub async fn register_login_refresh_reuse_and_logout(a: Adapters) {
    let (accounts, clock) = accounts(&a);
    let email = email();
    let Registration::Created(registered) =
        accounts.register(&email, PASSWORD, "ip-1").await.unwrap()
    else {
        panic!("a new email makes an account");
    };
    assert_eq!(registered.roles, vec![Role::Fan]);
    // The same email in another case is the same account: nothing is made, and the outcome
    // (for the email to its owner; the client is answered alike) says so.
    assert_eq!(
        accounts
            .register(&email.to_uppercase(), "another password", "ip-1")
            .await
            .unwrap(),
        Registration::EmailTaken(stagepass_domain::Email::parse(&email).unwrap())
    );
    assert_eq!(
        accounts
            .login(&email, "wrong password!", "ip-1")
            .await
            .unwrap_err(),
        IdentityError::InvalidCredentials
    );
    assert_eq!(
        accounts
            .login("nobody@example.com", PASSWORD, "ip-1")
            .await
            .unwrap_err(),
        IdentityError::InvalidCredentials,
        "an unknown email looks like a wrong password"
    );
    let login = accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    assert_eq!(login.user, registered.id);
    let first = login.refresh_token.clone().unwrap();
    let second = accounts.refresh(&first).await.unwrap();
    assert_eq!(second.family, login.family);
    assert_eq!(second.user, login.user);
    let second_token = second.refresh_token.clone().unwrap();
    assert_ne!(second_token, first);
    // The first token again: stolen. Everyone on that login is logged out.
    assert_eq!(
        accounts.refresh(&first).await.unwrap_err(),
        IdentityError::RefreshTokenReused
    );
    assert_eq!(
        accounts.refresh(&second_token).await.unwrap_err(),
        IdentityError::SessionRevoked
    );
    // Another login is another family, still alive; logout ends it.
    let other = accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    assert_ne!(other.family, login.family, "each login is its own family");
    let after = accounts
        .refresh(other.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    accounts
        .logout(after.family.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        accounts
            .refresh(after.refresh_token.as_deref().unwrap())
            .await
            .unwrap_err(),
        IdentityError::SessionRevoked
    );
    // Refresh tokens expire.
    let late = accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    clock.advance(Duration::days(31));
    assert_eq!(
        accounts
            .refresh(late.refresh_token.as_deref().unwrap())
            .await
            .unwrap_err(),
        IdentityError::RefreshTokenInvalid
    );
    assert_eq!(
        accounts.refresh("rt_never-issued").await.unwrap_err(),
        IdentityError::RefreshTokenInvalid
    );
}

/// Five wrong passwords from one address lock that address out of the account for the rest
/// of the window, right password or not: the brute-force guarantee. Other addresses are not
/// affected: before, the account was locked from everywhere, so anyone could keep its owner
/// out.
pub async fn the_sixth_wrong_password_from_one_address_is_rate_limited(a: Adapters) {
    let (accounts, clock) = accounts(&a);
    let email = email();
    accounts.register(&email, PASSWORD, "ip-1").await.unwrap();
    // Start at the beginning of a window so the whole test fits in it.
    let into_window = clock.now().timestamp_millis().rem_euclid(60_000);
    clock.advance(Duration::milliseconds(60_000 - into_window));
    // A right password in between does not count as a failure.
    accounts.login(&email, PASSWORD, "ip-2").await.unwrap();
    for attempt in 1..=5 {
        assert_eq!(
            accounts
                .login(&email, "guess number one", "ip-2")
                .await
                .unwrap_err(),
            IdentityError::InvalidCredentials,
            "attempt {attempt}"
        );
    }
    let refused = accounts
        .login(&email, "guess number six", "ip-2")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, IdentityError::RateLimited { retry_after_secs } if (1..=60).contains(&retry_after_secs)),
        "{refused:?}"
    );
    // Refused for this window even with the right password, from that address.
    assert!(matches!(
        accounts.login(&email, PASSWORD, "ip-2").await.unwrap_err(),
        IdentityError::RateLimited { .. }
    ));
    // The owner, elsewhere, logs in.
    accounts.login(&email, PASSWORD, "ip-4").await.unwrap();
    // Another account is not affected.
    let other = email_other(&accounts).await;
    accounts.login(&other, PASSWORD, "ip-2").await.unwrap();
    clock.advance(Duration::seconds(61));
    accounts.login(&email, PASSWORD, "ip-2").await.unwrap();
}

/// Guesses from many addresses at once: past `account_failures_per_window` wrong passwords
/// the account is under attack and each address gets one guess while it has none wrong, so
/// the guesses per window stay bounded (failures + addresses), and the owner, from an address
/// with no wrong password, still logs in with the right one.
pub async fn many_addresses_cannot_lock_the_owner_out(a: Adapters) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let settings = IdentitySettings {
        account_failures_per_window: 10,
        ..IdentitySettings::default()
    };
    let accounts = Arc::new(Accounts::new(
        a.identity.clone(),
        a.limiter.clone(),
        clock.clone(),
        settings,
    ));
    let email = email();
    accounts.register(&email, PASSWORD, "ip-1").await.unwrap();
    let into_window = clock.now().timestamp_millis().rem_euclid(60_000);
    clock.advance(Duration::milliseconds(60_000 - into_window));

    // Six addresses, eight guesses each, all at once.
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..48 {
        let (accounts, email) = (accounts.clone(), email.clone());
        guesses.spawn(async move {
            accounts
                .login(&email, &format!("guess {i}"), &format!("bot-{}", i % 6))
                .await
                .unwrap_err()
        });
    }
    let answers = guesses.join_all().await;
    let tried = answers
        .iter()
        .filter(|e| matches!(e, IdentityError::InvalidCredentials))
        .count();
    let refused = answers
        .iter()
        .filter(|e| matches!(e, IdentityError::RateLimited { .. }))
        .count();
    assert_eq!(tried + refused, 48, "{answers:?}");
    assert!(
        (10..=16).contains(&tried),
        "at most 10 guesses, then one per clean address: {tried} passwords were tried"
    );
    // The attack goes on: a bot address that guessed already is refused outright; a new one
    // gets one guess, not two.
    assert!(matches!(
        accounts.login(&email, "again", "bot-0").await.unwrap_err(),
        IdentityError::RateLimited { .. }
    ));
    assert_eq!(
        accounts
            .login(&email, "fresh", "bot-new")
            .await
            .unwrap_err(),
        IdentityError::InvalidCredentials
    );
    assert!(matches!(
        accounts
            .login(&email, "fresh 2", "bot-new")
            .await
            .unwrap_err(),
        IdentityError::RateLimited { .. }
    ));
    // The owner, from home, with the right password.
    let session = accounts
        .login(&email, PASSWORD, "owner-home")
        .await
        .unwrap();
    assert_eq!(session.email.as_str(), email);
}

async fn email_other(accounts: &Accounts) -> String {
    let other = email();
    accounts.register(&other, PASSWORD, "ip-9").await.unwrap();
    other
}

pub async fn guests_and_staff_accounts(a: Adapters) {
    let (accounts, _) = accounts(&a);
    let guest = accounts.guest("Guest@Example.com", "ip-1").await.unwrap();
    assert_eq!(guest.roles, vec![Role::Guest]);
    assert_eq!(guest.email.as_str(), "guest@example.com");
    assert!(guest.refresh_token.is_none() && guest.family.is_none());
    let again = accounts.guest("guest@example.com", "ip-1").await.unwrap();
    assert_ne!(
        again.user, guest.user,
        "a guest token never names another guest's holds"
    );
    // An email with an account gets a guest session like any other (before: 409
    // account_exists, which told anyone that the email had an account). It is a new user,
    // never the account.
    let fan = email();
    accounts.register(&fan, PASSWORD, "ip-1").await.unwrap();
    let as_guest = accounts.guest(&fan, "ip-1").await.unwrap();
    let account = accounts.login(&fan, PASSWORD, "ip-1").await.unwrap();
    assert_ne!(as_guest.user, account.user);
    assert_eq!(as_guest.roles, vec![Role::Guest]);
    assert_eq!(
        accounts.guest("not an email", "ip-1").await.unwrap_err(),
        IdentityError::InvalidEmail
    );
    let admin = Actor {
        user: UserId::new("admin-1"),
        admin: true,
    };
    let not_admin = Actor {
        user: UserId::new("organiser-1"),
        admin: false,
    };
    let door_email = email();
    assert!(matches!(
        accounts
            .create_account(&not_admin, &door_email, PASSWORD, &[Role::Door])
            .await
            .unwrap_err(),
        IdentityError::NotAllowed(_)
    ));
    for bad in [&[][..], &[Role::Guest][..]] {
        assert!(matches!(
            accounts
                .create_account(&admin, &door_email, PASSWORD, bad)
                .await
                .unwrap_err(),
            IdentityError::InvalidField { .. }
        ));
    }
    assert!(matches!(
        accounts
            .create_account(&admin, &door_email, "short", &[Role::Door])
            .await
            .unwrap_err(),
        IdentityError::WeakPassword(_)
    ));
    let door = accounts
        .create_account(&admin, &door_email, PASSWORD, &[Role::Door, Role::Door])
        .await
        .unwrap();
    assert_eq!(door.roles, vec![Role::Door]);
    assert!(door.password_hash.starts_with("$argon2id$"));
    assert!(!door.password_hash.contains(PASSWORD));
    let session = accounts.login(&door_email, PASSWORD, "ip-1").await.unwrap();
    assert_eq!(session.roles, vec![Role::Door]);
}

/// A refresh issues the account's roles as they are now, not as they were at login: before,
/// the roles were copied into the refresh token and a demoted admin stayed admin for as long
/// as the login was refreshed.
pub async fn a_refresh_carries_the_roles_the_account_has_now(a: Adapters) {
    let (accounts, _) = accounts(&a);
    let email = email();
    let (admin, _) = accounts
        .ensure_account(&email, PASSWORD, &[Role::Admin, Role::Organiser])
        .await
        .unwrap();
    let login = accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    assert!(login.roles.contains(&Role::Admin), "{:?}", login.roles);
    let root = Actor {
        user: UserId::new("root"),
        admin: true,
    };
    accounts
        .set_roles(&root, &email, &[Role::Organiser])
        .await
        .unwrap();
    let refreshed = accounts
        .refresh(login.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(refreshed.roles, vec![Role::Organiser]);
    assert_eq!(refreshed.user, admin.id);
    // Only admins change roles, of accounts that exist, to roles an account may have.
    let demoted = Actor {
        user: admin.id.clone(),
        admin: false,
    };
    assert!(matches!(
        accounts.set_roles(&demoted, &email, &[Role::Admin]).await,
        Err(IdentityError::NotAllowed(_))
    ));
    assert_eq!(
        accounts
            .set_roles(&root, "nobody-here@example.com", &[Role::Fan])
            .await,
        Err(IdentityError::UnknownAccount)
    );
    assert!(matches!(
        accounts.set_roles(&root, &email, &[Role::Guest]).await,
        Err(IdentityError::InvalidField { .. })
    ));
}

/// A login lasts at most 90 days however often it is refreshed: before, each refresh gave 30
/// days more and a stolen refresh token, kept fresh, never expired.
pub async fn a_session_ends_ninety_days_after_login(a: Adapters) {
    let (accounts, clock) = accounts(&a);
    let email = email();
    accounts.register(&email, PASSWORD, "ip-1").await.unwrap();
    let login = accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    let ends = clock.now() + Duration::days(90);
    let mut token = login.refresh_token.unwrap();
    for _ in 0..3 {
        clock.advance(Duration::days(29));
        let next = accounts.refresh(&token).await.unwrap();
        assert!(next.refresh_expires_at.unwrap() <= ends);
        token = next.refresh_token.unwrap();
    }
    // Day 87: the token just issued lives 3 days, not 30.
    clock.advance(Duration::days(2));
    let last = accounts.refresh(&token).await.unwrap();
    assert_eq!(last.refresh_expires_at, Some(ends));
    clock.advance(Duration::days(2));
    assert_eq!(
        accounts
            .refresh(last.refresh_token.as_deref().unwrap())
            .await
            .unwrap_err(),
        IdentityError::RefreshTokenInvalid
    );
    // A new login starts a new session.
    accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
}
