//! Accounts and refresh-token families in the embedded store.

use crate::{EmbeddedStore, decode, encode, fail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use stagepass_domain::identity::{Account, Email, RefreshToken};
use stagepass_domain::ports::{IdentityError, IdentityStore};

/// Normalised email → account JSON: the key makes emails unique.
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// Refresh-token hash → stored token JSON.
pub(crate) const REFRESH: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh_tokens");
/// Family id → "active" or "revoked".
pub(crate) const FAMILIES: TableDefinition<&str, &str> = TableDefinition::new("token_families");

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
        self.run(move |db| -> Result<(), WrapIdentity> {
            let txn = db.begin_write().map_err(fail)?;
            {
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
            }
            txn.commit().map_err(fail)?;
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
        self.run(move |db| -> Result<(), WrapIdentity> {
            let txn = db.begin_write().map_err(fail)?;
            {
                let mut families = txn.open_table(FAMILIES).map_err(fail)?;
                if families.get(token.family.as_str()).map_err(fail)?.is_none() {
                    families
                        .insert(token.family.as_str(), "active")
                        .map_err(fail)?;
                }
                let mut refresh = txn.open_table(REFRESH).map_err(fail)?;
                let stored = Stored {
                    token: token.clone(),
                    used: false,
                };
                refresh
                    .insert(token.token_hash.as_str(), encode(&stored).as_slice())
                    .map_err(fail)?;
            }
            txn.commit().map_err(fail)?;
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
        self.run(move |db| -> Result<RefreshToken, WrapIdentity> {
            let txn = db.begin_write().map_err(fail)?;
            let outcome = {
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
                    // A copy of a spent token: revoke the family, and keep that revocation.
                    families.insert(family.as_str(), "revoked").map_err(fail)?;
                    Err(IdentityError::TokenReused { family })
                } else if stored.token.expires_at <= now {
                    return Err(WrapIdentity(IdentityError::TokenExpired));
                } else {
                    stored.used = true;
                    refresh
                        .insert(token_hash.as_str(), encode(&stored).as_slice())
                        .map_err(fail)?;
                    Ok(stored.token)
                }
            };
            txn.commit().map_err(fail)?;
            outcome.map_err(WrapIdentity)
        })
        .await
        .map_err(|w| w.0)
    }

    async fn revoke_family(&self, family: &str) -> Result<(), IdentityError> {
        let family = family.to_string();
        self.run(move |db| -> Result<(), WrapIdentity> {
            let txn = db.begin_write().map_err(fail)?;
            txn.open_table(FAMILIES)
                .map_err(fail)?
                .insert(family.as_str(), "revoked")
                .map_err(fail)?;
            txn.commit().map_err(fail)?;
            Ok(())
        })
        .await
        .map_err(|w| w.0)
    }
}
