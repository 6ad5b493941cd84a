use crate::Adapters;
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::identity::hash_refresh_token;
use stagepass_domain::{Account, Email, RefreshToken, Role, UserId};
use stagepass_domain::{IdentityStoreError, RateWindow, to_millis};
use std::sync::Arc;

fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}

fn account(email: &str) -> Account {
    Account {
        id: UserId::new(uuid::Uuid::new_v4().to_string()),
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        roles: vec![Role::Fan],
        created_at: now(),
        email_verified_at: None,
        password_changed_at: None,
        password_changes: 0,
    }
}

fn refresh(family: &str, lasts: Duration) -> (String, RefreshToken) {
    let raw = uuid::Uuid::new_v4().to_string();
    let token = RefreshToken {
        token_hash: hash_refresh_token(&raw),
        family: family.into(),
        user: UserId::new("u1"),
        roles: vec![Role::Fan],
        email: Email::parse("u1@example.com"),
        issued_at: now(),
        expires_at: now() + lasts,
        session_ends_at: None,
        password_changes: 0,
    };
    (raw, token)
}

fn new_family() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub async fn accounts_are_unique_by_normalised_email(a: Adapters) {
    let ann = account("ann@example.com");
    a.identity.create_account(&ann).await.unwrap();
    assert_eq!(
        a.identity.account_by_email(&ann.email).await.unwrap(),
        Some(ann.clone())
    );
    let twin = account("  ANN@Example.com ");
    assert_eq!(
        a.identity.create_account(&twin).await,
        Err(IdentityStoreError::EmailTaken)
    );
    assert_eq!(
        a.identity
            .account_by_email(&ann.email)
            .await
            .unwrap()
            .unwrap()
            .id,
        ann.id
    );
    assert_eq!(
        a.identity
            .account_by_email(&Email::parse("bob@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn a_refresh_token_works_once_and_reuse_revokes_the_family(a: Adapters) {
    let family = new_family();
    let (_, first) = refresh(&family, Duration::days(30));
    a.identity.store_refresh(&first).await.unwrap();
    assert_eq!(
        a.identity
            .use_refresh(&first.token_hash, now())
            .await
            .unwrap(),
        first
    );
    // Rotation: the next token of the same family.
    let (_, second) = refresh(&family, Duration::days(30));
    a.identity.store_refresh(&second).await.unwrap();
    // Someone presents the first token again: it was copied. The whole family goes.
    assert_eq!(
        a.identity.use_refresh(&first.token_hash, now()).await,
        Err(IdentityStoreError::TokenReused {
            family: family.clone()
        })
    );
    assert_eq!(
        a.identity.use_refresh(&second.token_hash, now()).await,
        Err(IdentityStoreError::FamilyRevoked)
    );
    // Another login's family is untouched.
    let (_, other) = refresh(&new_family(), Duration::days(30));
    a.identity.store_refresh(&other).await.unwrap();
    assert!(
        a.identity
            .use_refresh(&other.token_hash, now())
            .await
            .is_ok()
    );
}

pub async fn unknown_expired_and_revoked_tokens_are_refused(a: Adapters) {
    assert_eq!(
        a.identity
            .use_refresh(&hash_refresh_token("never issued"), now())
            .await,
        Err(IdentityStoreError::UnknownToken)
    );
    let (_, short) = refresh(&new_family(), Duration::seconds(10));
    a.identity.store_refresh(&short).await.unwrap();
    assert_eq!(
        a.identity
            .use_refresh(&short.token_hash, now() + Duration::seconds(10))
            .await,
        Err(IdentityStoreError::TokenExpired)
    );
    let family = new_family();
    let (_, logged_out) = refresh(&family, Duration::days(1));
    a.identity.store_refresh(&logged_out).await.unwrap();
    a.identity.revoke_family(&family).await.unwrap();
    a.identity.revoke_family(&family).await.unwrap();
    assert_eq!(
        a.identity.use_refresh(&logged_out.token_hash, now()).await,
        Err(IdentityStoreError::FamilyRevoked)
    );
    // A token stored into a revoked family does not revive it.
    let (_, late) = refresh(&family, Duration::days(1));
    a.identity.store_refresh(&late).await.unwrap();
    assert_eq!(
        a.identity.use_refresh(&late.token_hash, now()).await,
        Err(IdentityStoreError::FamilyRevoked)
    );
}

/// The same token presented by many clients at once: exactly one refresh succeeds.
pub async fn concurrent_refreshes_with_one_token_succeed_once(a: Adapters) {
    let (_, token) = refresh(&new_family(), Duration::days(1));
    a.identity.store_refresh(&token).await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (identity, hash) = (Arc::clone(&a.identity), token.token_hash.clone());
            tokio::spawn(async move { identity.use_refresh(&hash, now()).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(IdentityStoreError::TokenReused { .. } | IdentityStoreError::FamilyRevoked) => {}
            // DynamoDB may report a collision with the winner's transaction as retryable.
            Err(IdentityStoreError::Unavailable(_)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1);
}

fn window(name: &str) -> RateWindow {
    RateWindow {
        bucket: format!("{name}-{}#1", uuid::Uuid::new_v4().simple()),
        expires_at: now() + Duration::minutes(1),
    }
}

pub async fn rate_windows_count_to_their_limit_and_take_uses_back(a: Adapters) {
    let w = window("login-failures:ann@example.com");
    for _ in 0..3 {
        assert!(a.limiter.acquire(&w, 3).await.unwrap());
    }
    assert!(!a.limiter.acquire(&w, 3).await.unwrap(), "the 4th of 3");
    a.limiter.give_back(&w).await.unwrap();
    assert!(a.limiter.acquire(&w, 3).await.unwrap(), "a use given back");
    assert!(!a.limiter.acquire(&w, 3).await.unwrap());
    // Other windows and other buckets are counted apart.
    assert!(
        a.limiter
            .acquire(&window("login-failures:bob@example.com"), 3)
            .await
            .unwrap()
    );
    // Giving back more than was taken never goes below zero.
    let fresh = window("register:198.51.100.7");
    a.limiter.give_back(&fresh).await.unwrap();
    a.limiter.give_back(&fresh).await.unwrap();
    assert!(a.limiter.acquire(&fresh, 1).await.unwrap());
    assert!(!a.limiter.acquire(&fresh, 1).await.unwrap());
}

/// 25 parallel guesses against a limit of 5: exactly 5 are counted, whatever the interleaving.
pub async fn concurrent_attempts_never_pass_a_rate_limit(a: Adapters) {
    let w = window("login-failures:carol@example.com");
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let (limiter, w) = (Arc::clone(&a.limiter), w.clone());
            tokio::spawn(async move { limiter.acquire(&w, 5).await })
        })
        .collect();
    let mut counted = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() {
            counted += 1;
        }
    }
    assert_eq!(counted, 5);
}
