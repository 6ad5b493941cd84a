//! Accounts, refresh-token families and rate-limit counters in the embedded store.

use crate::{EmbeddedStore, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use stagepass_domain::identity::{Account, Email, RefreshToken};
use stagepass_domain::{IdentityError, IdentityStore, RateLimiter, RateWindow};

/// Normalised email → account JSON: the key makes emails unique.
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// Refresh-token hash → stored token JSON.
pub(crate) const REFRESH: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh_tokens");
/// Family id → "active" or "revoked".
pub(crate) const FAMILIES: TableDefinition<&str, &str> = TableDefinition::new("token_families");
/// `<expiry ms, zero-padded>|<bucket>` → uses counted in that window.
pub(crate) const RATES: TableDefinition<&str, u32> = TableDefinition::new("rate_limits");

#[derive(Serialize, Deserialize)]
struct Stored {
    token: RefreshToken,
    used: bool,
}

pub(crate) struct WrapIdentity(pub IdentityError);

impl From<String> for WrapIdentity {
    fn from(s: String) -> Self {
        Self(IdentityError::Unavailable(s))
    }
}

#[async_trait]
impl IdentityStore for EmbeddedStore {
    async fn create_account(&self, account: &Account) -> Result<(), IdentityError> {
        let account = account.clone();
        self.write(move |txn| -> Result<(), WrapIdentity> {
            let mut accounts = txn.open_table(ACCOUNTS).map_err(fail)?;
            if accounts
                .get(account.email.as_str())
                .map_err(fail)?
                .is_some()
            {
                return Err(WrapIdentity(IdentityError::EmailTaken));
            }
            accounts
                .insert(account.email.as_str(), encode(&account).as_slice())
                .map_err(fail)?;
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, IdentityError> {
        let email = email.clone();
        self.run(move |db| -> Result<Option<Account>, WrapIdentity> {
            let txn = db.begin_read().map_err(fail)?;
            let accounts = txn.open_table(ACCOUNTS).map_err(fail)?;
            let found = accounts.get(email.as_str()).map_err(fail)?;
            Ok(found.map(|v| decode(v.value())).transpose()?)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn store_refresh(&self, token: &RefreshToken) -> Result<(), IdentityError> {
        let token = token.clone();
        self.write(move |txn| -> Result<(), WrapIdentity> {
            let mut families = txn.open_table(FAMILIES).map_err(fail)?;
            if families.get(token.family.as_str()).map_err(fail)?.is_none() {
                families
                    .insert(token.family.as_str(), "active")
                    .map_err(fail)?;
            }
            let stored = Stored {
                token: token.clone(),
                used: false,
            };
            txn.open_table(REFRESH)
                .map_err(fail)?
                .insert(token.token_hash.as_str(), encode(&stored).as_slice())
                .map_err(fail)?;
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }

    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken, IdentityError> {
        let token_hash = token_hash.to_string();
        // The outer result aborts the transaction; the inner one is committed either way,
        // because a reuse must leave the family revoked.
        self.write(
            move |txn| -> Result<Result<RefreshToken, IdentityError>, WrapIdentity> {
                let mut refresh = txn.open_table(REFRESH).map_err(fail)?;
                let mut families = txn.open_table(FAMILIES).map_err(fail)?;
                let Some(mut stored) = refresh
                    .get(token_hash.as_str())
                    .map_err(fail)?
                    .map(|v| decode::<Stored>(v.value()))
                    .transpose()?
                else {
                    return Err(WrapIdentity(IdentityError::UnknownToken));
                };
                let family = stored.token.family.clone();
                let revoked = families
                    .get(family.as_str())
                    .map_err(fail)?
                    .is_some_and(|s| s.value() == "revoked");
                if revoked {
                    return Err(WrapIdentity(IdentityError::FamilyRevoked));
                }
                if stored.used {
                    families.insert(family.as_str(), "revoked").map_err(fail)?;
                    return Ok(Err(IdentityError::TokenReused { family }));
                }
                if stored.token.expires_at <= now {
                    return Err(WrapIdentity(IdentityError::TokenExpired));
                }
                stored.used = true;
                refresh
                    .insert(token_hash.as_str(), encode(&stored).as_slice())
                    .map_err(fail)?;
                Ok(Ok(stored.token))
            },
        )
        .await
        .map_err(|w| w.0)?
    }

    async fn revoke_family(&self, family: &str) -> Result<(), IdentityError> {
        let family = family.to_string();
        self.write(move |txn| -> Result<(), WrapIdentity> {
            txn.open_table(FAMILIES)
                .map_err(fail)?
                .insert(family.as_str(), "revoked")
                .map_err(fail)?;
            Ok(())
        })
        .await
        .map_err(|w| w.0)
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
    async fn acquire(&self, window: &RateWindow, limit: u32) -> Result<bool, IdentityError> {
        let key = rate_key(window);
        let sweep_before = format!(
            "{:020}",
            (window.expires_at.timestamp_millis() - RATE_SWEEP_AFTER_MS).max(0)
        );
        self.write(move |txn| -> Result<bool, WrapIdentity> {
            let mut rates = txn.open_table(RATES).map_err(fail)?;
            rates
                .retain_in(..sweep_before.as_str(), |_, _| false)
                .map_err(fail)?;
            let count = rates
                .get(key.as_str())
                .map_err(fail)?
                .map_or(0, |v| v.value());
            if count >= limit {
                return Ok(false);
            }
            rates.insert(key.as_str(), count + 1).map_err(fail)?;
            Ok(true)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn give_back(&self, window: &RateWindow) -> Result<(), IdentityError> {
        let key = rate_key(window);
        self.write(move |txn| -> Result<(), WrapIdentity> {
            let mut rates = txn.open_table(RATES).map_err(fail)?;
            let count = rates
                .get(key.as_str())
                .map_err(fail)?
                .map_or(0, |v| v.value());
            if count > 0 {
                rates.insert(key.as_str(), count - 1).map_err(fail)?;
            }
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }
}
