//! Accounts, refresh-token families and rate-limit counters in the embedded store.

use crate::StoreFailure;
use crate::{EmbeddedStore, decode, encode};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use stagepass_domain::identity::{Account, Email, RefreshToken, Role};
use stagepass_domain::{IdentityStore, IdentityStoreError, RateLimiter, RateWindow, UserId};

/// Normalised email → account JSON: the key makes emails unique.
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// Refresh-token hash → stored token JSON.
pub(crate) const REFRESH: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh_tokens");
/// Family id → "active" or "revoked".
pub(crate) const FAMILIES: TableDefinition<&str, &str> = TableDefinition::new("token_families");
/// Emailed link id → when it may be forgotten (ms): links used once, or revoked.
pub(crate) const SPENT_LINKS: TableDefinition<&str, i64> = TableDefinition::new("spent_links");
/// `<expiry ms, zero-padded>|<bucket>` → uses counted in that window.
pub(crate) const RATES: TableDefinition<&str, u32> = TableDefinition::new("rate_limits");

#[derive(Serialize, Deserialize)]
struct Stored {
    token: RefreshToken,
    used: bool,
}

#[async_trait]
impl IdentityStore for EmbeddedStore {
    async fn create_account(&self, account: &Account) -> Result<(), IdentityStoreError> {
        let account = account.clone();
        self.write(move |txn| -> Result<(), IdentityStoreError> {
            let mut accounts = txn
                .open_table(ACCOUNTS)
                .map_err(IdentityStoreError::store)?;
            if accounts
                .get(account.email.as_str())
                .map_err(IdentityStoreError::store)?
                .is_some()
            {
                return Err(IdentityStoreError::EmailTaken);
            }
            accounts
                .insert(account.email.as_str(), encode(&account).as_slice())
                .map_err(IdentityStoreError::store)?;
            Ok(())
        })
        .await
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, IdentityStoreError> {
        let email = email.clone();
        self.run(move |db| -> Result<Option<Account>, IdentityStoreError> {
            let txn = db.begin_read().map_err(IdentityStoreError::store)?;
            let accounts = txn
                .open_table(ACCOUNTS)
                .map_err(IdentityStoreError::store)?;
            let found = accounts
                .get(email.as_str())
                .map_err(IdentityStoreError::store)?;
            found
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(IdentityStoreError::store)
        })
        .await
    }

    async fn set_roles(&self, email: &Email, roles: &[Role]) -> Result<(), IdentityStoreError> {
        let roles = roles.to_vec();
        self.change_account(email, None, move |a| a.roles = roles)
            .await
    }

    async fn store_refresh(&self, token: &RefreshToken) -> Result<(), IdentityStoreError> {
        let token = token.clone();
        self.write(move |txn| -> Result<(), IdentityStoreError> {
            let mut families = txn
                .open_table(FAMILIES)
                .map_err(IdentityStoreError::store)?;
            if families
                .get(token.family.as_str())
                .map_err(IdentityStoreError::store)?
                .is_none()
            {
                families
                    .insert(token.family.as_str(), "active")
                    .map_err(IdentityStoreError::store)?;
            }
            let stored = Stored {
                token: token.clone(),
                used: false,
            };
            txn.open_table(REFRESH)
                .map_err(IdentityStoreError::store)?
                .insert(token.token_hash.as_str(), encode(&stored).as_slice())
                .map_err(IdentityStoreError::store)?;
            Ok(())
        })
        .await
    }

    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken, IdentityStoreError> {
        let token_hash = token_hash.to_string();
        // The outer result aborts the transaction; the inner one is committed either way,
        // because a reuse must leave the family revoked.
        self.write(
            move |txn| -> Result<Result<RefreshToken, IdentityStoreError>, IdentityStoreError> {
                let mut refresh = txn.open_table(REFRESH).map_err(IdentityStoreError::store)?;
                let mut families = txn
                    .open_table(FAMILIES)
                    .map_err(IdentityStoreError::store)?;
                let Some(mut stored) = refresh
                    .get(token_hash.as_str())
                    .map_err(IdentityStoreError::store)?
                    .map(|v| decode::<Stored>(v.value()))
                    .transpose()
                    .map_err(IdentityStoreError::store)?
                else {
                    return Err(IdentityStoreError::UnknownToken);
                };
                let family = stored.token.family.clone();
                let revoked = families
                    .get(family.as_str())
                    .map_err(IdentityStoreError::store)?
                    .is_some_and(|s| s.value() == "revoked");
                if revoked {
                    return Err(IdentityStoreError::FamilyRevoked);
                }
                if stored.used {
                    families
                        .insert(family.as_str(), "revoked")
                        .map_err(IdentityStoreError::store)?;
                    return Ok(Err(IdentityStoreError::TokenReused { family }));
                }
                if stored.token.expires_at <= now {
                    return Err(IdentityStoreError::TokenExpired);
                }
                stored.used = true;
                refresh
                    .insert(token_hash.as_str(), encode(&stored).as_slice())
                    .map_err(IdentityStoreError::store)?;
                Ok(Ok(stored.token))
            },
        )
        .await?
    }

    async fn mark_verified(
        &self,
        email: &Email,
        user: &UserId,
        at: DateTime<Utc>,
    ) -> Result<(), IdentityStoreError> {
        self.change_account(email, Some(user), move |a| {
            a.email_verified_at.get_or_insert(at);
        })
        .await
    }

    async fn set_password(
        &self,
        email: &Email,
        user: &UserId,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), IdentityStoreError> {
        let hash = password_hash.to_string();
        self.change_account(email, Some(user), move |a| {
            a.password_hash = hash;
            a.password_changed_at = Some(at);
            a.password_changes += 1;
            a.email_verified_at.get_or_insert(at);
        })
        .await
    }

    async fn spend_link(&self, id: &str, until: DateTime<Utc>) -> Result<bool, IdentityStoreError> {
        let id = id.to_string();
        self.write(move |txn| -> Result<bool, IdentityStoreError> {
            let mut spent = txn
                .open_table(SPENT_LINKS)
                .map_err(IdentityStoreError::store)?;
            if spent
                .get(id.as_str())
                .map_err(IdentityStoreError::store)?
                .is_some()
            {
                return Ok(false);
            }
            spent
                .insert(id.as_str(), until.timestamp_millis())
                .map_err(IdentityStoreError::store)?;
            Ok(true)
        })
        .await
    }

    async fn link_spent(&self, id: &str) -> Result<bool, IdentityStoreError> {
        let id = id.to_string();
        self.run(move |db| -> Result<bool, IdentityStoreError> {
            let txn = db.begin_read().map_err(IdentityStoreError::store)?;
            let spent = txn
                .open_table(SPENT_LINKS)
                .map_err(IdentityStoreError::store)?;
            Ok(spent
                .get(id.as_str())
                .map_err(IdentityStoreError::store)?
                .is_some())
        })
        .await
    }

    async fn revoke_family(&self, family: &str) -> Result<(), IdentityStoreError> {
        let family = family.to_string();
        self.write(move |txn| -> Result<(), IdentityStoreError> {
            txn.open_table(FAMILIES)
                .map_err(IdentityStoreError::store)?
                .insert(family.as_str(), "revoked")
                .map_err(IdentityStoreError::store)?;
            Ok(())
        })
        .await
    }
}

impl EmbeddedStore {
    /// Changes the account of `email` in one write transaction (if it is `user`'s, when one
    /// is named). Errors: `UnknownAccount`.
    async fn change_account(
        &self,
        email: &Email,
        user: Option<&UserId>,
        change: impl FnOnce(&mut Account) + Send + 'static,
    ) -> Result<(), IdentityStoreError> {
        let (email, user) = (email.clone(), user.cloned());
        self.write(move |txn| -> Result<(), IdentityStoreError> {
            let mut accounts = txn
                .open_table(ACCOUNTS)
                .map_err(IdentityStoreError::store)?;
            let mut account: Account = accounts
                .get(email.as_str())
                .map_err(IdentityStoreError::store)?
                .map(|v| decode(v.value()))
                .transpose()
                .map_err(IdentityStoreError::store)?
                .filter(|a: &Account| user.as_ref().is_none_or(|u| *u == a.id))
                .ok_or(IdentityStoreError::UnknownAccount)?;
            change(&mut account);
            accounts
                .insert(email.as_str(), encode(&account).as_slice())
                .map_err(IdentityStoreError::store)?;
            Ok(())
        })
        .await
    }
}

/// Keys sort by expiry first, so expired windows are swept with one range delete.
fn rate_key(window: &RateWindow) -> String {
    format!(
        "{:020}|{}",
        window.expires_at.timestamp_millis().max(0),
        window.bucket
    )
}

/// Windows that ended more than this long ago are deleted on the next acquire.
const RATE_SWEEP_AFTER_MS: i64 = 3_600_000;

#[async_trait]
impl RateLimiter for EmbeddedStore {
    async fn acquire(&self, window: &RateWindow, limit: u32) -> Result<bool, IdentityStoreError> {
        let key = rate_key(window);
        let sweep_before = format!(
            "{:020}",
            (window.expires_at.timestamp_millis() - RATE_SWEEP_AFTER_MS).max(0)
        );
        self.write(move |txn| -> Result<bool, IdentityStoreError> {
            let mut rates = txn.open_table(RATES).map_err(IdentityStoreError::store)?;
            rates
                .retain_in(..sweep_before.as_str(), |_, _| false)
                .map_err(IdentityStoreError::store)?;
            let count = rates
                .get(key.as_str())
                .map_err(IdentityStoreError::store)?
                .map_or(0, |v| v.value());
            if count >= limit {
                return Ok(false);
            }
            rates
                .insert(key.as_str(), count + 1)
                .map_err(IdentityStoreError::store)?;
            Ok(true)
        })
        .await
    }

    async fn give_back(&self, window: &RateWindow) -> Result<(), IdentityStoreError> {
        let key = rate_key(window);
        self.write(move |txn| -> Result<(), IdentityStoreError> {
            let mut rates = txn.open_table(RATES).map_err(IdentityStoreError::store)?;
            let count = rates
                .get(key.as_str())
                .map_err(IdentityStoreError::store)?
                .map_or(0, |v| v.value());
            if count > 0 {
                rates
                    .insert(key.as_str(), count - 1)
                    .map_err(IdentityStoreError::store)?;
            }
            Ok(())
        })
        .await
    }
}
