//! The emailed links over each adapter: verifying an email, resetting a password once, and a
//! guest's revocable link to their bookings, with the test keys signing and checking them.

use crate::Adapters;
use chrono::{Duration, Utc};
use stagepass_domain::identity::inbox::guest_link;
use stagepass_domain::{
    Accounts, Clock, Email, IdentityError, IdentitySettings, LinkSigner, LinkVerifier, ManualClock,
    Registration, ResetRequest, UserId,
};
use std::sync::Arc;

struct Rig {
    accounts: Arc<Accounts>,
    clock: Arc<ManualClock>,
    signer: Arc<dyn LinkSigner>,
    verifier: Arc<dyn LinkVerifier>,
}

fn rig(a: &Adapters) -> Rig {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let keys = stagepass_tests::keys();
    Rig {
        accounts: Arc::new(Accounts::new(
            a.identity.clone(),
            a.limiter.clone(),
            clock.clone(),
            IdentitySettings::default(),
        )),
        clock,
        signer: keys.access_signer,
        verifier: keys.access_verifier,
    }
}

fn email() -> String {
    format!("fan-{}@example.com", uuid::Uuid::new_v4().simple())
}

const PASSWORD: &str = "correct horse battery";

/// What spawned tasks returned, in order.
async fn joined<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = vec![];
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.expect("the task ran"));
    }
    out
}

impl Rig {
    async fn register(&self, email: &str) -> stagepass_domain::Account {
        match self
            .accounts
            .register(email, PASSWORD, "ip-1")
            .await
            .unwrap()
        {
            Registration::Created(account) => account,
            other => panic!("{other:?}"),
        }
    }
}

pub async fn a_verification_link_proves_the_email_and_nothing_else(a: Adapters) {
    let r = rig(&a);
    let email = email();
    let account = r.register(&email).await;
    assert!(
        account.email_verified_at.is_none(),
        "a sign-up is unverified"
    );
    let session = r.accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    assert!(!session.email_verified);
    let token = r
        .accounts
        .verification_link(r.signer.as_ref(), &account)
        .await
        .unwrap();
    // Another purpose's route refuses it; so does a tampered copy.
    assert_eq!(
        r.accounts
            .reset_password(r.verifier.as_ref(), &token, "a new long password", "ip-1")
            .await,
        Err(IdentityError::InvalidLink)
    );
    assert_eq!(
        r.accounts
            .open_guest_link(r.verifier.as_ref(), &token, "ip-1")
            .await
            .unwrap_err(),
        IdentityError::InvalidLink
    );
    // The signature's first character changed (all six of its bits are signature bits; the
    // last character's are partly padding, so changing that may change nothing).
    let at = token.rfind('.').unwrap() + 1;
    let other = if token[at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{other}{}", &token[..at], &token[at + 1..]);
    assert_eq!(
        r.accounts
            .verify_email(r.verifier.as_ref(), &tampered, "ip-1")
            .await,
        Err(IdentityError::InvalidLink)
    );
    // Opened (twice: a second click says the same), the account is verified, and its next
    // session says so.
    for _ in 0..2 {
        let verified = r
            .accounts
            .verify_email(r.verifier.as_ref(), &token, "ip-1")
            .await
            .unwrap();
        assert_eq!(verified.as_str(), email);
    }
    let stored = a
        .identity
        .account_by_email(&Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.email_verified_at.is_some());
    let refreshed = r
        .accounts
        .refresh(session.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert!(refreshed.email_verified);
    assert_eq!(
        r.accounts
            .resend_verification(r.signer.as_ref(), &account.id, &account.email)
            .await
            .unwrap_err(),
        IdentityError::AlreadyVerified
    );
    // A week on, an unused link has expired.
    let other = r.register(&self::email()).await;
    let late = r
        .accounts
        .verification_link(r.signer.as_ref(), &other)
        .await
        .unwrap();
    r.clock.advance(Duration::days(8));
    assert_eq!(
        r.accounts
            .verify_email(r.verifier.as_ref(), &late, "ip-2")
            .await,
        Err(IdentityError::InvalidLink)
    );
}

pub async fn verification_mail_is_limited_per_account(a: Adapters) {
    let r = rig(&a);
    let account = r.register(&email()).await;
    for _ in 0..3 {
        r.accounts
            .resend_verification(r.signer.as_ref(), &account.id, &account.email)
            .await
            .unwrap();
    }
    assert!(matches!(
        r.accounts
            .resend_verification(r.signer.as_ref(), &account.id, &account.email)
            .await,
        Err(IdentityError::RateLimited { .. })
    ));
    // Someone else's token naming this email finds no account of theirs.
    assert_eq!(
        r.accounts
            .resend_verification(r.signer.as_ref(), &UserId::new("intruder"), &account.email)
            .await
            .unwrap_err(),
        IdentityError::UnknownAccount
    );
}

pub async fn a_reset_link_works_once_and_ends_every_session(a: Adapters) {
    let r = rig(&a);
    let email = email();
    r.register(&email).await;
    let session = r.accounts.login(&email, PASSWORD, "ip-1").await.unwrap();
    let ResetRequest::Link { token, .. } = r
        .accounts
        .request_password_reset(r.signer.as_ref(), &email, "ip-1")
        .await
        .unwrap()
    else {
        panic!("the account exists");
    };
    // A weak password is refused before the link is spent: it still works after.
    assert!(matches!(
        r.accounts
            .reset_password(r.verifier.as_ref(), &token, "short", "ip-1")
            .await,
        Err(IdentityError::WeakPassword(_))
    ));
    // Ten tabs submit it at once: one sets the password.
    let tries = (0..10).map(|n| {
        let (accounts, verifier, token) = (r.accounts.clone(), r.verifier.clone(), token.clone());
        tokio::spawn(async move {
            accounts
                .reset_password(
                    verifier.as_ref(),
                    &token,
                    &format!("new password number {n}"),
                    &format!("ip-{n}"),
                )
                .await
        })
    });
    let outcomes: Vec<_> = joined(tries).await;
    let won: Vec<usize> = (0..10).filter(|n| outcomes[*n].is_ok()).collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o.is_ok() || o == &Err(IdentityError::InvalidLink))
    );
    let new_password = format!("new password number {}", won[0]);
    // Every session ended; the old password is dead; the new one works, verified.
    assert_eq!(
        r.accounts
            .refresh(session.refresh_token.as_deref().unwrap())
            .await
            .unwrap_err(),
        IdentityError::SessionRevoked
    );
    assert_eq!(
        r.accounts
            .login(&email, PASSWORD, "ip-1")
            .await
            .unwrap_err(),
        IdentityError::InvalidCredentials
    );
    let back = r
        .accounts
        .login(&email, &new_password, "ip-1")
        .await
        .unwrap();
    assert!(back.email_verified, "the reset proved the inbox");
    // ... and that new session survives its own refresh.
    r.accounts
        .refresh(back.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
}

pub async fn a_reset_link_from_before_a_password_change_is_dead(a: Adapters) {
    let r = rig(&a);
    let email = email();
    r.register(&email).await;
    let link = || async {
        match r
            .accounts
            .request_password_reset(r.signer.as_ref(), &email, "ip-1")
            .await
            .unwrap()
        {
            ResetRequest::Link { token, .. } => token,
            other => panic!("{other:?}"),
        }
    };
    let older = link().await;
    r.clock.advance(Duration::seconds(5));
    let newer = link().await;
    r.accounts
        .reset_password(r.verifier.as_ref(), &newer, "the newer password", "ip-1")
        .await
        .unwrap();
    assert_eq!(
        r.accounts
            .reset_password(r.verifier.as_ref(), &older, "the older password", "ip-1")
            .await,
        Err(IdentityError::InvalidLink)
    );
    // An hour on, a link is dead unused.
    let unused = link().await;
    r.clock.advance(Duration::minutes(61));
    assert_eq!(
        r.accounts
            .reset_password(r.verifier.as_ref(), &unused, "too late a password", "ip-1")
            .await,
        Err(IdentityError::InvalidLink)
    );
}

pub async fn a_reset_for_an_unknown_email_says_so_only_by_mail_and_is_limited(a: Adapters) {
    let r = rig(&a);
    let nobody = email();
    assert_eq!(
        r.accounts
            .request_password_reset(r.signer.as_ref(), &nobody, "ip-1")
            .await
            .unwrap(),
        ResetRequest::NoAccount(Email::parse(&nobody).unwrap())
    );
    // Three mails per address per window, whoever asks.
    for client in ["ip-2", "ip-3"] {
        r.accounts
            .request_password_reset(r.signer.as_ref(), &nobody, client)
            .await
            .unwrap();
    }
    assert!(matches!(
        r.accounts
            .request_password_reset(r.signer.as_ref(), &nobody, "ip-4")
            .await,
        Err(IdentityError::RateLimited { .. })
    ));
}

pub async fn a_guest_link_opens_the_bookings_until_revoked_or_after_the_event(a: Adapters) {
    let r = rig(&a);
    let buyer = UserId::new(format!("guest-{}", uuid::Uuid::new_v4()));
    let email = Email::parse(&email()).unwrap();
    let starts = r.clock.now() + Duration::days(30);
    let token = guest_link(r.signer.as_ref(), &buyer, &email, starts, r.clock.now())
        .await
        .unwrap();
    let session = r
        .accounts
        .open_guest_link(r.verifier.as_ref(), &token, "ip-1")
        .await
        .unwrap();
    assert_eq!((&session.user, &session.email), (&buyer, &email));
    assert!(session.email_verified && session.refresh_token.is_none());
    // Revoked by five clicks at once: one revocation, one new link.
    let tries = (0..5).map(|n| {
        let (accounts, signer, verifier, token) = (
            r.accounts.clone(),
            r.signer.clone(),
            r.verifier.clone(),
            token.clone(),
        );
        tokio::spawn(async move {
            accounts
                .revoke_guest_link(
                    signer.as_ref(),
                    verifier.as_ref(),
                    &token,
                    &format!("ip-{n}"),
                )
                .await
        })
    });
    let outcomes: Vec<_> = joined(tries).await;
    let fresh: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().map(|(_, t)| t.clone()))
        .collect();
    assert_eq!(fresh.len(), 1, "{outcomes:?}");
    assert_eq!(
        r.accounts
            .open_guest_link(r.verifier.as_ref(), &token, "ip-1")
            .await
            .unwrap_err(),
        IdentityError::InvalidLink
    );
    let again = r
        .accounts
        .open_guest_link(r.verifier.as_ref(), &fresh[0], "ip-1")
        .await
        .unwrap();
    assert_eq!(again.user, buyer);
    // A week after the event starts, the new link has expired with the old one's date.
    r.clock.advance(Duration::days(38));
    assert_eq!(
        r.accounts
            .open_guest_link(r.verifier.as_ref(), &fresh[0], "ip-1")
            .await
            .unwrap_err(),
        IdentityError::InvalidLink
    );
}

pub async fn links_are_spent_once_under_concurrency(a: Adapters) {
    let id = uuid::Uuid::new_v4().to_string();
    assert!(!a.identity.link_spent(&id).await.unwrap());
    let until = Utc::now() + Duration::hours(1);
    let tries = (0..20).map(|_| {
        let (store, id) = (a.identity.clone(), id.clone());
        tokio::spawn(async move { store.spend_link(&id, until).await.unwrap() })
    });
    let spent: Vec<bool> = joined(tries).await;
    assert_eq!(spent.iter().filter(|s| **s).count(), 1, "{spent:?}");
    assert!(a.identity.link_spent(&id).await.unwrap());
    assert!(!a.identity.link_spent("another-link").await.unwrap());
}

pub async fn verification_and_password_changes_touch_only_their_account(a: Adapters) {
    let r = rig(&a);
    let account = r.register(&email()).await;
    let stranger = UserId::new("someone-else");
    let at = Utc::now();
    assert_eq!(
        a.identity
            .mark_verified(&account.email, &stranger, at)
            .await,
        Err(stagepass_domain::IdentityStoreError::UnknownAccount)
    );
    assert_eq!(
        a.identity
            .set_password(&account.email, &stranger, "x", at)
            .await,
        Err(stagepass_domain::IdentityStoreError::UnknownAccount)
    );
    let unknown = Email::parse(&email()).unwrap();
    assert_eq!(
        a.identity.mark_verified(&unknown, &account.id, at).await,
        Err(stagepass_domain::IdentityStoreError::UnknownAccount)
    );
    a.identity
        .mark_verified(&account.email, &account.id, at)
        .await
        .unwrap();
    // A later proof keeps the first date; a password change counts and keeps it too.
    a.identity
        .mark_verified(&account.email, &account.id, at + Duration::days(1))
        .await
        .unwrap();
    a.identity
        .set_password(
            &account.email,
            &account.id,
            "new-hash",
            at + Duration::days(2),
        )
        .await
        .unwrap();
    let stored = a
        .identity
        .account_by_email(&account.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.email_verified_at.map(|t| t.timestamp_millis()),
        Some(at.timestamp_millis())
    );
    assert_eq!(stored.password_hash, "new-hash");
    assert_eq!(stored.password_changes, 1);
    assert_eq!(stored.roles, account.roles);
}
