//! Accounts and refresh-token families in DynamoDB (identity table, `pk`/`sk`, TTL on `ttl`):
//! - account: `EMAIL#<normalised email>` / `ACCOUNT`: the key makes emails unique.
//! - refresh token: `REFRESH#<sha256>` / `TOKEN`, with `data`, `used`, `expires_at`, `ttl`.
//! - family: `FAMILY#<id>` / `FAMILY`, with `status` (`active` or `revoked`).
//! - rate-limit window: `RATE#<bucket>` / `RATE`, with `uses` and `ttl`.
//! - spent emailed link (used once, or revoked): `LINK#<id>` / `SPENT`, with `ttl`.
//!
//! Spending a token is one transaction: set `used` if it is still unused and unexpired, and
//! check its family is active, so two concurrent refreshes with one token cannot both win.

use crate::{describe, get_s, n, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use stagepass_domain::identity::{Account, Email, RefreshToken, Role};
use stagepass_domain::{IdentityStore, IdentityStoreError, RateLimiter, RateWindow, UserId};

/// Family records outlive their longest token by a day, so a late reuse is still caught.
const FAMILY_GRACE_DAYS: i64 = 1;

#[derive(Clone)]
pub struct DynamoIdentity {
    client: Client,
    table: String,
}

impl DynamoIdentity {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<crate::Item>, IdentityStoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| IdentityStoreError::Unavailable(describe(e.into_service_error())))?;
        Ok(out.item)
    }

    /// A stored refresh token, whether it was spent, and by which call (see `use_refresh`).
    async fn stored_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, bool, Option<String>)>, IdentityStoreError> {
        let Some(item) = self.get(format!("REFRESH#{token_hash}"), "TOKEN").await? else {
            return Ok(None);
        };
        let data = get_s(&item, "data").map_err(IdentityStoreError::Unavailable)?;
        let token: RefreshToken = serde_json::from_str(data).map_err(|e| {
            IdentityStoreError::Unavailable(format!("stored token unreadable: {e}"))
        })?;
        let used = item
            .get("used")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(true);
        let spent_by = get_s(&item, "spent_by").ok().map(str::to_string);
        Ok(Some((token, used, spent_by)))
    }

    /// Rewrites the account item of `email` (if it is `user`'s, when one is named) with
    /// `change` applied, on condition that it was not rewritten since it was read: two writes
    /// at once (roles, a verification, a reset) never lose one silently. A lost race is read
    /// again and retried.
    async fn change_account(
        &self,
        email: &Email,
        user: Option<&UserId>,
        change: impl Fn(&mut Account),
    ) -> Result<(), IdentityStoreError> {
        let pk = format!("EMAIL#{}", email.as_str());
        for _ in 0..5 {
            let item = self
                .get(pk.clone(), "ACCOUNT")
                .await?
                .ok_or(IdentityStoreError::UnknownAccount)?;
            let data = get_s(&item, "data").map_err(IdentityStoreError::Unavailable)?;
            let mut account: Account = serde_json::from_str(data).map_err(|e| {
                IdentityStoreError::Unavailable(format!("stored account unreadable: {e}"))
            })?;
            if user.is_some_and(|u| *u != account.id) {
                return Err(IdentityStoreError::UnknownAccount);
            }
            change(&mut account);
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(pk.clone()))
                .item("sk", s("ACCOUNT"))
                .item(
                    "data",
                    s(serde_json::to_string(&account).expect("accounts serialise")),
                )
                .condition_expression("#data = :read")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":read", s(data))
                .send()
                .await;
            match result.map_err(SdkError::into_service_error) {
                Ok(_) => return Ok(()),
                Err(PutItemError::ConditionalCheckFailedException(_)) => continue,
                Err(e) => return Err(IdentityStoreError::Unavailable(describe(e))),
            }
        }
        Err(IdentityStoreError::Unavailable(
            "the account kept changing; retry".into(),
        ))
    }

    async fn family_active(&self, family: &str) -> Result<bool, IdentityStoreError> {
        let item = self.get(format!("FAMILY#{family}"), "FAMILY").await?;
        Ok(item.is_some_and(|i| get_s(&i, "status").is_ok_and(|s| s == "active")))
    }
}

#[async_trait]
impl IdentityStore for DynamoIdentity {
    async fn create_account(&self, account: &Account) -> Result<(), IdentityStoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("EMAIL#{}", account.email.as_str())))
            .item("sk", s("ACCOUNT"))
            .item(
                "data",
                s(serde_json::to_string(account).expect("accounts serialise")),
            )
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result.map_err(SdkError::into_service_error) {
            Ok(_) => Ok(()),
            Err(PutItemError::ConditionalCheckFailedException(_)) => {
                Err(IdentityStoreError::EmailTaken)
            }
            Err(e) => Err(IdentityStoreError::Unavailable(describe(e))),
        }
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, IdentityStoreError> {
        let Some(item) = self
            .get(format!("EMAIL#{}", email.as_str()), "ACCOUNT")
            .await?
        else {
            return Ok(None);
        };
        let data = get_s(&item, "data").map_err(IdentityStoreError::Unavailable)?;
        serde_json::from_str(data)
            .map(Some)
            .map_err(|e| IdentityStoreError::Unavailable(format!("stored account unreadable: {e}")))
    }

    async fn set_roles(&self, email: &Email, roles: &[Role]) -> Result<(), IdentityStoreError> {
        let roles = roles.to_vec();
        self.change_account(email, None, move |a| a.roles = roles.clone())
            .await
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
        self.change_account(email, Some(user), move |a| {
            a.password_hash = password_hash.to_string();
            a.password_changed_at = Some(at);
            a.password_changes += 1;
            a.email_verified_at.get_or_insert(at);
        })
        .await
    }

    /// `LINK#<id>` / `SPENT`, put only if absent, with a TTL at the link's expiry (after it, the
    /// signature refuses the link anyway).
    async fn spend_link(&self, id: &str, until: DateTime<Utc>) -> Result<bool, IdentityStoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("LINK#{id}")))
            .item("sk", s("SPENT"))
            .item("ttl", n(until.timestamp() + 60))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result.map_err(SdkError::into_service_error) {
            Ok(_) => Ok(true),
            Err(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
            Err(e) => Err(IdentityStoreError::Unavailable(describe(e))),
        }
    }

    async fn link_spent(&self, id: &str) -> Result<bool, IdentityStoreError> {
        Ok(self.get(format!("LINK#{id}"), "SPENT").await?.is_some())
    }

    async fn store_refresh(&self, token: &RefreshToken) -> Result<(), IdentityStoreError> {
        let family_ttl = (token.expires_at + Duration::days(FAMILY_GRACE_DAYS)).timestamp();
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", s(format!("REFRESH#{}", token.token_hash)))
            .item("sk", s("TOKEN"))
            .item(
                "data",
                s(serde_json::to_string(token).expect("tokens serialise")),
            )
            .item("used", aws_sdk_dynamodb::types::AttributeValue::Bool(false))
            .item("expires_at", n(token.expires_at.timestamp_millis()))
            .item("ttl", n(family_ttl))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table, item set");
        // A new family starts active; an existing one keeps its status (a revoked one stays so).
        let family = Update::builder()
            .table_name(&self.table)
            .key("pk", s(format!("FAMILY#{}", token.family)))
            .key("sk", s("FAMILY"))
            .update_expression("SET #status = if_not_exists(#status, :active), #ttl = :ttl")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":ttl", n(family_ttl))
            .build()
            .expect("table, key, expression set");
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(family).build())
            .send()
            .await
            .map_err(|e| IdentityStoreError::Unavailable(describe(e.into_service_error())))?;
        Ok(())
    }

    async fn use_refresh(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken, IdentityStoreError> {
        let (token, _, _) = self
            .stored_token(token_hash)
            .await?
            .ok_or(IdentityStoreError::UnknownToken)?;
        // One id per call, sent as the transaction's ClientRequestToken and written on the
        // token: the SDK resends the same request when an answer is lost, and DynamoDB answers
        // that retry as the success it was (within 10 minutes). Should the retry be refused
        // anyway, the token names the call that spent it, so this call's own spend is never
        // mistaken for a reuse that revokes the login. Another call has another id.
        let attempt = format!("{:032x}", rand::random::<u128>());
        let spend = Update::builder()
            .table_name(&self.table)
            .key("pk", s(format!("REFRESH#{token_hash}")))
            .key("sk", s("TOKEN"))
            .update_expression("SET used = :true, spent_by = :attempt")
            .expression_attribute_values(":attempt", s(&attempt))
            .condition_expression("used = :false AND expires_at > :now")
            .expression_attribute_values(
                ":true",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .expression_attribute_values(
                ":false",
                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
            )
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .build()
            .expect("table, key, expression set");
        let family_active = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(format!("FAMILY#{}", token.family)))
            .key("sk", s("FAMILY"))
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s("active"))
            .build()
            .expect("table, key, expression set");
        let result = self
            .client
            .transact_write_items()
            .client_request_token(&attempt)
            .transact_items(TransactWriteItem::builder().update(spend).build())
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(family_active)
                    .build(),
            )
            .send()
            .await;
        match result.map_err(SdkError::into_service_error) {
            Ok(_) => Ok(token),
            Err(TransactWriteItemsError::TransactionCanceledException(_)) => {
                let stored = self.stored_token(token_hash).await?;
                if let Some((_, _, Some(by))) = &stored
                    && *by == attempt
                {
                    return Ok(token);
                }
                // Find out which rule failed, in the order the port documents.
                if !self.family_active(&token.family).await? {
                    return Err(IdentityStoreError::FamilyRevoked);
                }
                match stored {
                    Some((_, true, _)) => {
                        self.revoke_family(&token.family).await?;
                        Err(IdentityStoreError::TokenReused {
                            family: token.family,
                        })
                    }
                    Some(_) if token.expires_at <= now => Err(IdentityStoreError::TokenExpired),
                    Some(_) => Err(IdentityStoreError::Unavailable(
                        "refresh collided with another; retry".into(),
                    )),
                    None => Err(IdentityStoreError::UnknownToken),
                }
            }
            Err(e) => Err(IdentityStoreError::Unavailable(describe(e))),
        }
    }

    async fn revoke_family(&self, family: &str) -> Result<(), IdentityStoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("FAMILY#{family}")))
            .key("sk", s("FAMILY"))
            .update_expression("SET #status = :revoked")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":revoked", s("revoked"))
            .send()
            .await
            .map_err(|e| IdentityStoreError::Unavailable(describe(e.into_service_error())))?;
        Ok(())
    }
}

/// Rate-limit windows: `RATE#<bucket>` / `RATE` with `uses` and a `ttl` a day after the window,
/// so DynamoDB deletes old counters itself. One conditional `UpdateItem` counts a use.
#[async_trait]
impl RateLimiter for DynamoIdentity {
    async fn acquire(&self, window: &RateWindow, limit: u32) -> Result<bool, IdentityStoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RATE#{}", window.bucket)))
            .key("sk", s("RATE"))
            .update_expression("SET #ttl = :ttl ADD uses :one")
            .condition_expression("attribute_not_exists(uses) OR uses < :limit")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(
                ":ttl",
                n((window.expires_at + Duration::days(1)).timestamp()),
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .send()
            .await;
        match result.map_err(SdkError::into_service_error) {
            Ok(_) => Ok(true),
            Err(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
            Err(e) => Err(IdentityStoreError::Unavailable(describe(e))),
        }
    }

    async fn give_back(&self, window: &RateWindow) -> Result<(), IdentityStoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RATE#{}", window.bucket)))
            .key("sk", s("RATE"))
            .update_expression("ADD uses :minus_one")
            .condition_expression("uses > :zero")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result.map_err(SdkError::into_service_error) {
            Ok(_) | Err(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(()),
            Err(e) => Err(IdentityStoreError::Unavailable(describe(e))),
        }
    }
}
