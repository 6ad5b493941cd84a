//! Identity use cases: register, log in, refresh, log out, guest sessions, staff accounts, and
//! the brute-force limits around them. Access tokens are signed by the HTTP layer; this module
//! decides who someone is and hands back a [`Session`].

use super::error::IdentityError;
use super::models::{Account, Email, Password, RefreshToken, Role, hash_refresh_token};
use super::ports::{IdentityStore, IdentityStoreError, RateLimiter};
use crate::clock::Clock;
use crate::error::InfraError;
use crate::identity::Actor;
use crate::identity::actor::GUEST_PREFIX;
use crate::ids::UserId;
use crate::rate::{Rate, RateError};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// A refresh token lives this long; each refresh issues a new one with a fresh lifetime,
    /// up to the end of the session.
    pub refresh_ttl: Duration,
    /// A login lasts at most this long, however often it is refreshed: then log in again.
    pub session_max: Duration,
    /// The length of every rate-limit window.
    pub window: Duration,
    /// Wrong passwords per account from one client address per window; that address's next
    /// attempt at the account is refused, right or wrong. Other addresses are not affected.
    pub login_failures_per_window: u32,
    /// Wrong passwords per account from all addresses per window. Past it the account is under
    /// attack: an address may then try it only while it has no wrong password of its own in
    /// the window, so its owner, from a clean address, still logs in.
    pub account_failures_per_window: u32,
    /// Login, register and guest attempts per client address per window.
    pub client_attempts_per_window: u32,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            refresh_ttl: Duration::days(30),
            session_max: Duration::days(90),
            window: Duration::minutes(1),
            login_failures_per_window: 5,
            account_failures_per_window: 20,
            client_attempts_per_window: 30,
        }
    }
}

/// What a sign-up did. The client is answered the same either way; only the email differs.
#[derive(Debug, Clone, PartialEq)]
pub enum Registration {
    /// A new fan account: log in to use it.
    Created(Account),
    /// The email already had an account: nothing was made; its owner is told by email.
    EmailTaken(Email),
}

impl Registration {
    pub fn email(&self) -> &Email {
        match self {
            Self::Created(account) => &account.email,
            Self::EmailTaken(email) => email,
        }
    }
}

/// Who someone is after logging in, refreshing or taking a guest token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserId,
    pub roles: Vec<Role>,
    pub email: Email,
    /// The refresh-token family (one per login); guests have none.
    pub family: Option<String>,
    /// The new refresh token, shown to the client once and stored only as a hash.
    pub refresh_token: Option<String>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// Whether the email is proven to reach this person: a verified account, or a guest who
    /// opened the link emailed to them. Cancelling for a refund needs it.
    pub email_verified: bool,
}

pub struct Accounts {
    pub(super) store: Arc<dyn IdentityStore>,
    pub(super) rate: Rate,
    pub(super) clock: Arc<dyn Clock>,
    settings: IdentitySettings,
}

pub(super) fn parse_email(raw: &str) -> Result<Email, IdentityError> {
    Email::parse(raw).ok_or(IdentityError::InvalidEmail)
}

pub(super) fn parse_password(raw: &str) -> Result<Password, IdentityError> {
    Password::parse(raw).map_err(IdentityError::WeakPassword)
}

/// Argon2id with the crate defaults (19 MiB, 2 passes, 1 lane: the OWASP minimum). Runs on a
/// blocking thread so a busy local server keeps answering other requests.
pub async fn hash_password(password: &Password) -> Result<String, IdentityError> {
    let password = password.as_str().to_string();
    tokio::task::spawn_blocking(move || argon2id(&password))
        .await
        .map_err(|e| {
            IdentityError::Unavailable(InfraError(format!("password hashing failed: {e}")))
        })?
}

/// The PHC string of `password` with a fresh random salt.
fn argon2id(password: &str) -> Result<String, IdentityError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            IdentityError::Unavailable(InfraError(format!("password hashing failed: {e}")))
        })
}

/// True if `password` matches the PHC string. A hash that cannot be read never matches.
pub async fn verify_password(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// Roles an account may have, sorted and without repeats: one or more, never `guest`.
fn account_roles(roles: &[Role]) -> Result<Vec<Role>, IdentityError> {
    let mut roles = roles.to_vec();
    roles.sort_by_key(|r| *r as u8);
    roles.dedup();
    if roles.is_empty() || !roles.iter().all(|r| r.for_accounts()) {
        return Err(IdentityError::invalid(
            "roles",
            "give one or more of fan, organiser, door, admin",
        ));
    }
    Ok(roles)
}

/// A hash of nothing anyone knows, checked when the email is unknown so that a wrong email
/// takes as long as a wrong password and does not reveal which emails have accounts.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| argon2id(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

impl Accounts {
    pub fn new(
        store: Arc<dyn IdentityStore>,
        limiter: Arc<dyn RateLimiter>,
        clock: Arc<dyn Clock>,
        settings: IdentitySettings,
    ) -> Self {
        Self {
            store,
            rate: Rate::new(limiter, clock.clone(), settings.window),
            clock,
            settings,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// One more attempt from a client address at `action` (login, register, guest).
    pub(super) async fn count_client(
        &self,
        action: &str,
        client: &str,
    ) -> Result<(), IdentityError> {
        let limit = self.settings.client_attempts_per_window;
        self.rate.take(&format!("{action}:{client}"), limit).await?;
        Ok(())
    }

    async fn start_session(&self, account: &Account) -> Result<Session, IdentityError> {
        let family = uuid::Uuid::new_v4().to_string();
        let ends = self.clock.now() + self.settings.session_max;
        self.issue_refresh(account, family, ends).await
    }

    /// The next refresh token of a login, for the account as it is now (its roles may have
    /// changed since the login), living `refresh_ttl` but never past the session's end.
    async fn issue_refresh(
        &self,
        account: &Account,
        family: String,
        session_ends_at: DateTime<Utc>,
    ) -> Result<Session, IdentityError> {
        let (user, roles, email) = (account.id.clone(), account.roles.clone(), &account.email);
        use base64::Engine;
        use rand::Rng;
        let secret: [u8; 32] = rand::rng().random();
        let token = format!(
            "rt_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        );
        let now = self.clock.now();
        let stored = RefreshToken {
            token_hash: hash_refresh_token(&token),
            family: family.clone(),
            user: user.clone(),
            roles: roles.clone(),
            email: Some(email.clone()),
            issued_at: now,
            expires_at: (now + self.settings.refresh_ttl).min(session_ends_at),
            session_ends_at: Some(session_ends_at),
            password_changes: account.password_changes,
        };
        self.store.store_refresh(&stored).await?;
        Ok(Session {
            user,
            roles,
            email: email.clone(),
            family: Some(family),
            refresh_token: Some(token),
            refresh_expires_at: Some(stored.expires_at),
            email_verified: account.email_verified(),
        })
    }

    /// A new account; `vouched` when an admin makes it (the address counts as verified).
    async fn new_account(
        &self,
        email: Email,
        password: &Password,
        roles: Vec<Role>,
        vouched: bool,
    ) -> Result<Account, IdentityError> {
        let now = self.clock.now();
        let account = Account {
            id: UserId::new(uuid::Uuid::new_v4().to_string()),
            email,
            password_hash: hash_password(password).await?,
            roles,
            created_at: now,
            email_verified_at: vouched.then_some(now),
            password_changed_at: None,
            password_changes: 0,
        };
        self.store.create_account(&account).await?;
        Ok(account)
    }

    /// A fan signs up. Whether the email already had an account is for its owner to learn
    /// (by email), not for whoever asked: the caller answers both outcomes alike, and both
    /// take as long (the password is hashed either way). Errors: `InvalidEmail`,
    /// `WeakPassword`, `RateLimited` (per client address).
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<Registration, IdentityError> {
        let email = parse_email(email)?;
        let password = parse_password(password)?;
        self.count_client("register", client).await?;
        match self
            .new_account(email.clone(), &password, vec![Role::Fan], false)
            .await
        {
            Ok(account) => {
                tracing::info!(user = %account.id, "account registered");
                Ok(Registration::Created(account))
            }
            Err(IdentityError::EmailTaken) => {
                tracing::info!("sign-up with an email that has an account");
                Ok(Registration::EmailTaken(email))
            }
            Err(e) => Err(e),
        }
    }

    /// Errors: `InvalidCredentials` (unknown email and wrong password look the same),
    /// `RateLimited` for a client address with too many attempts, or too many wrong passwords
    /// for this account (then a right password from that address is refused too until the
    /// window ends; from another address it still works).
    ///
    /// The brute-force bound, per account and window: `login_failures_per_window` guesses from
    /// each address until the account has had `account_failures_per_window` wrong passwords,
    /// then one guess per address that has none yet. Nobody can lock the owner out: an address
    /// with no wrong password of its own may always try once.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<Session, IdentityError> {
        let email = Email::parse(email).ok_or(IdentityError::InvalidCredentials)?;
        self.count_client("login", client).await?;
        // Count the attempt first, atomically, and give it back if the password was right:
        // parallel guesses cannot slip past the limit between a check and an increment.
        let account_wide = format!("login-failures:{}", email.as_str());
        let (account_window, per_address) = match self
            .rate
            .take(&account_wide, self.settings.account_failures_per_window)
            .await
        {
            Ok(window) => (Some(window), self.settings.login_failures_per_window),
            Err(RateError::Limited { .. }) => {
                tracing::warn!("login: account under attack, one try per clean address");
                (None, 1)
            }
            Err(e) => return Err(e.into()),
        };
        let address = match self
            .rate
            .take(&format!("{account_wide}:{client}"), per_address)
            .await
        {
            Ok(window) => window,
            Err(e) => {
                if matches!(e, RateError::Limited { .. }) {
                    tracing::warn!("login refused: too many wrong passwords from one address");
                }
                // A refused attempt is no guess: it does not count against the account.
                if let Some(window) = &account_window {
                    self.rate.give_back(window).await?;
                }
                return Err(e.into());
            }
        };
        let account = self.store.account_by_email(&email).await?;
        let phc = account
            .as_ref()
            .map_or_else(|| decoy_hash().to_string(), |a| a.password_hash.clone());
        let matches = verify_password(password, &phc).await;
        match account {
            Some(account) if matches => {
                self.rate.give_back(&address).await?;
                if let Some(window) = &account_window {
                    self.rate.give_back(window).await?;
                }
                self.start_session(&account).await
            }
            _ => Err(IdentityError::InvalidCredentials),
        }
    }

    /// Spends a refresh token and issues the next one of its family. Errors:
    /// `RefreshTokenInvalid`, `RefreshTokenReused` (the family is revoked as a result),
    /// `SessionRevoked`.
    pub async fn refresh(&self, token: &str) -> Result<Session, IdentityError> {
        if token.is_empty() || token.len() > 256 {
            return Err(IdentityError::RefreshTokenInvalid);
        }
        let spent = self
            .store
            .use_refresh(&hash_refresh_token(token), self.clock.now())
            .await
            .map_err(|e| {
                if let IdentityStoreError::TokenReused { family } = &e {
                    tracing::warn!(%family, "refresh token reused: family revoked");
                }
                IdentityError::from(e)
            })?;
        let email = spent
            .email
            .clone()
            .ok_or(IdentityError::RefreshTokenInvalid)?;
        // The account as it is now: a demoted admin's next access token is not an admin's,
        // and a deleted account's session ends.
        // ... and a token issued before the password last changed (a reset) is dead: the reset
        // ends every session of whoever knew the old password.
        let account = match self.store.account_by_email(&email).await? {
            Some(account)
                if account.id == spent.user
                    && account.password_changes == spent.password_changes =>
            {
                account
            }
            _ => {
                self.store.revoke_family(&spent.family).await?;
                return Err(IdentityError::SessionRevoked);
            }
        };
        let ends = spent
            .session_ends_at
            .unwrap_or_else(|| self.clock.now() + self.settings.session_max);
        self.issue_refresh(&account, spent.family, ends).await
    }

    /// Revokes every refresh token of a login. Access tokens already issued stay valid until
    /// they expire (at most their lifetime), which is why that lifetime is short.
    pub async fn logout(&self, family: &str) -> Result<(), IdentityError> {
        self.store
            .revoke_family(family)
            .await
            .map_err(IdentityError::from)
    }

    /// A buyer without an account: a session bound to an email, with a fresh user id each
    /// time (nobody can take over another guest's holds by asking for their email), and no
    /// refresh token, whether or not the email has an account. Errors: `InvalidEmail`,
    /// `RateLimited`.
    pub async fn guest(&self, email: &str, client: &str) -> Result<Session, IdentityError> {
        let email = parse_email(email)?;
        // Whether the email has an account is not said: refusing would tell anyone which
        // emails do (undoing the login's decoy hash). A guest session reaches nothing of the
        // account's: bookings belong to the user id, and the tickets go to the email's owner.
        self.count_client("guest", client).await?;
        Ok(Session {
            user: UserId::new(format!("{GUEST_PREFIX}{}", uuid::Uuid::new_v4())),
            roles: vec![Role::Guest],
            email,
            family: None,
            refresh_token: None,
            refresh_expires_at: None,
            email_verified: false,
        })
    }

    /// An admin creates a staff or fan account with the given roles. Errors: `NotAllowed`
    /// unless the actor is an admin; `InvalidEmail`, `WeakPassword`, `EmailTaken`; an empty
    /// or guest role list is an `InvalidField`.
    pub async fn create_account(
        &self,
        actor: &Actor,
        email: &str,
        password: &str,
        roles: &[Role],
    ) -> Result<Account, IdentityError> {
        if !actor.admin {
            return Err(IdentityError::NotAllowed(
                "only an admin may create accounts".into(),
            ));
        }
        let email = parse_email(email)?;
        let password = parse_password(password)?;
        let roles = account_roles(roles)?;
        let account = self.new_account(email, &password, roles, true).await?;
        tracing::info!(user = %account.id, roles = ?account.roles, by = %actor.user, "account created");
        Ok(account)
    }

    /// An admin replaces an account's roles (a promotion, or a demotion that takes effect at
    /// the account's next refresh, within one access token's life). Errors: `NotAllowed`
    /// unless the actor is an admin; `InvalidEmail`; `UnknownAccount`; an empty or guest role
    /// list is an `InvalidField`.
    pub async fn set_roles(
        &self,
        actor: &Actor,
        email: &str,
        roles: &[Role],
    ) -> Result<(), IdentityError> {
        if !actor.admin {
            return Err(IdentityError::NotAllowed(
                "only an admin may change roles".into(),
            ));
        }
        let email = parse_email(email)?;
        let roles = account_roles(roles)?;
        self.store.set_roles(&email, &roles).await?;
        tracing::info!(roles = ?roles, by = %actor.user, "account roles changed");
        Ok(())
    }

    /// Creates an account unless its email is taken (for seeding a local run); returns it.
    pub async fn ensure_account(
        &self,
        email: &str,
        password: &str,
        roles: &[Role],
    ) -> Result<(Account, bool), IdentityError> {
        let parsed = parse_email(email)?;
        if let Some(existing) = self.store.account_by_email(&parsed).await? {
            return Ok((existing, false));
        }
        let account = self
            .new_account(parsed, &parse_password(password)?, roles.to_vec(), true)
            .await?;
        Ok((account, true))
    }
}
