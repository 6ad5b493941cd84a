//! The simulated payment provider for `make run` and the tests: test payment method tokens
//! (Stripe's, plus two of its own) choose what happens, and every charge and refund is counted
//! so tests can prove nobody paid twice.
//!
//! It keeps Stripe's rule that one idempotency key acts once. A real provider is another
//! adapter of [`PaymentProvider`]; nothing else changes.

use super::ports::{PaymentError, PaymentProvider};
use crate::bookings::models::PaymentMethod;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedCharge {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub refund: Option<String>,
}

#[derive(Default)]
struct Ledger {
    charges: HashMap<String, SimulatedCharge>,
    attempts: HashMap<String, u32>,
    charge_calls: u64,
    refund_calls: u64,
    next: u64,
}

#[derive(Default)]
pub struct SimulatedPayments {
    ledger: Mutex<Ledger>,
}

/// What the provider has done, for tests and the benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTotals {
    /// Charges that took money (one per key at most, by construction of the key rule).
    pub charges: usize,
    pub refunds: usize,
    pub charge_calls: u64,
    pub refund_calls: u64,
}

impl SimulatedPayments {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn totals(&self) -> PaymentTotals {
        let l = self.ledger.lock().expect("ledger lock");
        PaymentTotals {
            charges: l.charges.len(),
            refunds: l.charges.values().filter(|c| c.refund.is_some()).count(),
            charge_calls: l.charge_calls,
            refund_calls: l.refund_calls,
        }
    }

    /// The charge made with `key`, if any.
    pub fn charge_for(&self, key: &str) -> Option<SimulatedCharge> {
        self.ledger
            .lock()
            .expect("ledger lock")
            .charges
            .get(key)
            .cloned()
    }

    /// Money kept for `key`: the charge unless refunded.
    pub fn net(&self, key: &str) -> i64 {
        self.charge_for(key)
            .filter(|c| c.refund.is_none())
            .map_or(0, |c| c.amount)
    }
}

#[async_trait]
impl PaymentProvider for SimulatedPayments {
    async fn charge(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        method: &PaymentMethod,
    ) -> Result<String, PaymentError> {
        let mut l = self.ledger.lock().expect("ledger lock");
        l.charge_calls += 1;
        if let Some(c) = l.charges.get(key) {
            return Ok(c.id.clone());
        }
        let attempt = {
            let a = l.attempts.entry(key.to_string()).or_insert(0);
            *a += 1;
            *a
        };
        match method.id() {
            cards::DECLINED => return Err(PaymentError::Declined("card_declined".into())),
            cards::INSUFFICIENT_FUNDS => {
                return Err(PaymentError::Declined("insufficient_funds".into()));
            }
            cards::PROVIDER_DOWN => {
                return Err(PaymentError::Transient("processing_error".into()));
            }
            cards::TRANSIENT_ERROR if attempt == 1 => {
                return Err(PaymentError::Transient("processing_error".into()));
            }
            _ => {}
        }
        l.next += 1;
        let id = format!("ch_sim_{:06}", l.next);
        l.charges.insert(
            key.to_string(),
            SimulatedCharge {
                id: id.clone(),
                amount,
                currency: currency.to_string(),
                refund: None,
            },
        );
        if method.id() == cards::TIMEOUT && attempt == 1 {
            return Err(PaymentError::Timeout);
        }
        Ok(id)
    }

    async fn refund(&self, key: &str) -> Result<Option<String>, PaymentError> {
        let mut l = self.ledger.lock().expect("ledger lock");
        l.refund_calls += 1;
        l.next += 1;
        let next = l.next;
        Ok(l.charges.get_mut(key).map(|c| {
            c.refund
                .get_or_insert_with(|| format!("re_sim_{next:06}"))
                .clone()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(n: &str) -> PaymentMethod {
        PaymentMethod::parse(n).unwrap()
    }

    #[tokio::test]
    async fn one_key_charges_once_and_refunds_once() {
        let p = SimulatedPayments::new();
        let a = p
            .charge("k", 100, "GBP", &card(cards::SUCCESS))
            .await
            .unwrap();
        let b = p
            .charge("k", 100, "GBP", &card(cards::SUCCESS))
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(p.net("k"), 100);
        let r1 = p.refund("k").await.unwrap();
        let r2 = p.refund("k").await.unwrap();
        assert_eq!(r1, r2);
        assert!(r1.is_some());
        assert_eq!(p.net("k"), 0);
        assert_eq!(p.refund("other").await.unwrap(), None);
        assert_eq!(p.totals().charges, 1);
        assert_eq!(p.totals().refunds, 1);
    }

    #[tokio::test]
    async fn test_cards_behave_as_documented() {
        let p = SimulatedPayments::new();
        for (n, want) in [
            (cards::DECLINED, "card_declined"),
            (cards::INSUFFICIENT_FUNDS, "insufficient_funds"),
        ] {
            assert_eq!(
                p.charge(n, 1, "GBP", &card(n)).await,
                Err(PaymentError::Declined(want.into()))
            );
        }
        let t = cards::TRANSIENT_ERROR;
        assert!(matches!(
            p.charge(t, 1, "GBP", &card(t)).await,
            Err(PaymentError::Transient(_))
        ));
        assert!(p.charge(t, 1, "GBP", &card(t)).await.is_ok());
        let t = cards::TIMEOUT;
        assert_eq!(
            p.charge(t, 5, "GBP", &card(t)).await,
            Err(PaymentError::Timeout)
        );
        assert_eq!(p.net(t), 5, "the timed-out attempt did charge");
        assert!(p.charge(t, 5, "GBP", &card(t)).await.is_ok());
        assert_eq!(p.net(t), 5, "and the retry did not charge again");
        let d = cards::PROVIDER_DOWN;
        for _ in 0..3 {
            assert!(p.charge(d, 1, "GBP", &card(d)).await.is_err());
        }
        assert_eq!(p.net(d), 0);
    }
}
