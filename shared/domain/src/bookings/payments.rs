//! The simulated payment provider for `make run`, the tests and a demo deployment: test
//! payment method tokens (Stripe's, plus two of its own) choose what happens.
//!
//! Its ledger is kept in the store ([`PaymentLedger`]: DynamoDB deployed, redb locally), one
//! entry per order, changed only by compare-and-set: charge-payment and refund-payment run in
//! different functions and containers and still see one ledger, and it keeps Stripe's rules
//! (one order takes money once; a refund closes the order, so a late charge is refused).
//! A real provider is another adapter of [`PaymentProvider`]; nothing else changes.

use super::ports::{PaymentError, PaymentOrder, PaymentProvider};
use crate::bookings::models::PaymentMethod;
use crate::error::InfraError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Test payment methods (any other `pm_…` token is also accepted and succeeds). The first
/// four are Stripe's test ids; the last two exist only here, for failures Stripe's test mode
/// cannot be asked for.
pub mod cards {
    pub const SUCCESS: &str = "pm_card_visa";
    pub const DECLINED: &str = "pm_card_chargeDeclined";
    pub const INSUFFICIENT_FUNDS: &str = "pm_card_chargeDeclinedInsufficientFunds";
    /// The first attempt of each charge fails with a processing error; a retry succeeds.
    pub const TRANSIENT_ERROR: &str = "pm_card_chargeDeclinedProcessingError";
    /// The first attempt charges the card but the answer times out; a retry with the same
    /// key returns that charge (the case idempotency keys exist for).
    pub const TIMEOUT: &str = "pm_sim_timeoutAfterCharge";
    /// The provider is down for this method: every attempt fails.
    pub const PROVIDER_DOWN: &str = "pm_sim_providerDown";
}

/// What the simulated provider knows about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub amount: i64,
    pub currency: String,
    /// Charge attempts so far (the methods that fail a first attempt count them).
    pub attempts: u32,
    pub charge: Option<String>,
    pub refund: Option<String>,
    /// Closed by a refund: no money is taken for this order any more.
    pub closed: bool,
}

impl LedgerEntry {
    fn open(order: &PaymentOrder) -> Self {
        Self {
            amount: order.amount,
            currency: order.currency.clone(),
            attempts: 0,
            charge: None,
            refund: None,
            closed: false,
        }
    }

    /// Money kept: the charge unless refunded.
    pub fn net(&self) -> i64 {
        match (&self.charge, &self.refund) {
            (Some(_), None) => self.amount,
            _ => 0,
        }
    }
}

/// Where the simulator keeps its ledger.
#[async_trait]
pub trait PaymentLedger: Send + Sync {
    /// The entry for `key` and its version, if there is one.
    async fn entry(&self, key: &str) -> Result<Option<(LedgerEntry, u64)>, InfraError>;

    /// Stores `entry` as version `version + 1` if `key` is still at `version` (`None`: has no
    /// entry): false, and nothing written, if another writer got there first.
    async fn put(
        &self,
        key: &str,
        entry: &LedgerEntry,
        version: Option<u64>,
    ) -> Result<bool, InfraError>;

    /// Every entry (tests and the benchmark count them).
    async fn entries(&self) -> Result<Vec<(String, LedgerEntry)>, InfraError>;
}

pub struct SimulatedPayments {
    ledger: Arc<dyn PaymentLedger>,
    charge_calls: AtomicU64,
    refund_calls: AtomicU64,
}

/// What the provider has done, for tests and the benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTotals {
    /// Orders that took money (one charge per order at most, by the ledger's rule).
    pub charges: usize,
    pub refunds: usize,
    /// Calls made through this instance.
    pub charge_calls: u64,
    pub refund_calls: u64,
}

/// What one call decided: the entry to store (if it changed) and the answer.
type Decision<T> = (Option<LedgerEntry>, Result<T, PaymentError>);

fn new_id(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_sim_{}", &id[..16])
}

/// The charge rules, on the order's entry as it is now.
fn decide_charge(
    entry: Option<LedgerEntry>,
    order: &PaymentOrder,
    method: &str,
) -> Decision<String> {
    let mut e = entry.unwrap_or_else(|| LedgerEntry::open(order));
    if e.closed {
        return (
            None,
            Err(PaymentError::Declined("payment_cancelled".into())),
        );
    }
    if let Some(id) = &e.charge {
        return (None, Ok(id.clone()));
    }
    e.attempts += 1;
    let failed = match method {
        cards::DECLINED => Some(PaymentError::Declined("card_declined".into())),
        cards::INSUFFICIENT_FUNDS => Some(PaymentError::Declined("insufficient_funds".into())),
        cards::PROVIDER_DOWN => Some(PaymentError::Transient("processing_error".into())),
        cards::TRANSIENT_ERROR if e.attempts == 1 => {
            Some(PaymentError::Transient("processing_error".into()))
        }
        _ => None,
    };
    if let Some(failed) = failed {
        return (Some(e), Err(failed));
    }
    let id = new_id("ch");
    e.charge = Some(id.clone());
    let answer = match method == cards::TIMEOUT && e.attempts == 1 {
        // Charged, but the caller never hears it.
        true => Err(PaymentError::Timeout),
        false => Ok(id),
    };
    (Some(e), answer)
}

/// The refund rules: close the order, refund a charge once.
fn decide_refund(entry: Option<LedgerEntry>, order: &PaymentOrder) -> Decision<Option<String>> {
    let mut e = entry.unwrap_or_else(|| LedgerEntry::open(order));
    if e.closed && (e.charge.is_none() || e.refund.is_some()) {
        return (None, Ok(e.refund));
    }
    e.closed = true;
    if e.charge.is_some() {
        e.refund = Some(new_id("re"));
    }
    let refund = e.refund.clone();
    (Some(e), Ok(refund))
}

impl SimulatedPayments {
    pub fn new(ledger: Arc<dyn PaymentLedger>) -> Self {
        Self {
            ledger,
            charge_calls: AtomicU64::new(0),
            refund_calls: AtomicU64::new(0),
        }
    }

    /// Applies `decide` to the order's entry with compare-and-set, again if another call
    /// changed the entry meanwhile.
    async fn change<T>(
        &self,
        key: &str,
        decide: impl Fn(Option<LedgerEntry>) -> Decision<T>,
    ) -> Result<T, PaymentError> {
        let unavailable = |e: InfraError| PaymentError::Transient(format!("ledger: {}", e.0));
        for _ in 0..20 {
            let current = self.ledger.entry(key).await.map_err(unavailable)?;
            let version = current.as_ref().map(|(_, v)| *v);
            let (write, answer) = decide(current.map(|(e, _)| e));
            match write {
                None => return answer,
                Some(entry) => {
                    if self
                        .ledger
                        .put(key, &entry, version)
                        .await
                        .map_err(unavailable)?
                    {
                        return answer;
                    }
                }
            }
        }
        Err(PaymentError::Transient("ledger entry kept changing".into()))
    }

    pub async fn totals(&self) -> PaymentTotals {
        let entries = self.entries().await;
        PaymentTotals {
            charges: entries.iter().filter(|(_, e)| e.charge.is_some()).count(),
            refunds: entries.iter().filter(|(_, e)| e.refund.is_some()).count(),
            charge_calls: self.charge_calls.load(Ordering::Relaxed),
            refund_calls: self.refund_calls.load(Ordering::Relaxed),
        }
    }

    async fn entries(&self) -> Vec<(String, LedgerEntry)> {
        self.ledger.entries().await.expect("the ledger is readable")
    }

    /// The ledger entry of the order with `key`, if any.
    pub async fn entry(&self, key: &str) -> Option<LedgerEntry> {
        let entry = self.ledger.entry(key).await;
        entry.expect("the ledger is readable").map(|(e, _)| e)
    }

    /// Money kept for `key`: the charge unless refunded.
    pub async fn net(&self, key: &str) -> i64 {
        self.entry(key).await.map_or(0, |e| e.net())
    }
}

#[async_trait]
impl PaymentProvider for SimulatedPayments {
    async fn charge(
        &self,
        order: &PaymentOrder,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError> {
        self.charge_calls.fetch_add(1, Ordering::Relaxed);
        self.change(&order.key, |e| decide_charge(e, order, method.id()))
            .await
    }

    async fn refund(&self, order: &PaymentOrder) -> Result<Option<String>, PaymentError> {
        self.refund_calls.fetch_add(1, Ordering::Relaxed);
        self.change(&order.key, |e| decide_refund(e, order)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> PaymentOrder {
        PaymentOrder {
            key: "k".into(),
            amount: 100,
            currency: "GBP".into(),
            charge_id: None,
        }
    }

    /// The rules on their own (the ledgers are contract-tested in `tests/contract`).
    #[test]
    fn a_refund_closes_the_order_even_before_any_charge() {
        let (closed, answer) = decide_refund(None, &order());
        assert_eq!(answer, Ok(None));
        let closed = closed.unwrap();
        assert!(closed.closed);
        let (write, answer) = decide_charge(Some(closed), &order(), cards::SUCCESS);
        assert_eq!(write, None);
        assert_eq!(
            answer,
            Err(PaymentError::Declined("payment_cancelled".into()))
        );
    }

    #[test]
    fn test_methods_fail_as_documented() {
        for (method, want) in [
            (
                cards::DECLINED,
                PaymentError::Declined("card_declined".into()),
            ),
            (
                cards::INSUFFICIENT_FUNDS,
                PaymentError::Declined("insufficient_funds".into()),
            ),
            (
                cards::PROVIDER_DOWN,
                PaymentError::Transient("processing_error".into()),
            ),
        ] {
            let (write, answer) = decide_charge(None, &order(), method);
            assert_eq!(answer, Err(want));
            assert_eq!(write.unwrap().net(), 0);
        }
        let (first, answer) = decide_charge(None, &order(), cards::TRANSIENT_ERROR);
        assert!(matches!(answer, Err(PaymentError::Transient(_))));
        let (second, answer) = decide_charge(first, &order(), cards::TRANSIENT_ERROR);
        assert!(answer.is_ok());
        assert_eq!(second.unwrap().net(), 100);
        let (first, answer) = decide_charge(None, &order(), cards::TIMEOUT);
        assert_eq!(answer, Err(PaymentError::Timeout));
        let first = first.unwrap();
        assert_eq!(first.net(), 100, "the timed-out attempt did charge");
        let (write, answer) = decide_charge(Some(first.clone()), &order(), cards::TIMEOUT);
        assert_eq!(write, None, "and the retry did not charge again");
        assert_eq!(answer.ok(), first.charge);
    }
}
