//! The Stripe adapter of the payment port over HTTP, against the fake Stripe server (Stripe's
//! documented request and response shapes): one PaymentIntent per booking however often a
//! charge is retried or from where, declines and errors mapped to the port's meanings,
//! Stripe's retry rules, and a refund that closes the order.

use stagepass_domain::bookings::payments::cards;
use stagepass_domain::{PaymentError, PaymentMethod, PaymentOrder, PaymentProvider};
use stagepass_stripe::{Retries, StripePayments};
use stagepass_tests::fake_stripe::{FakeStripe, Fault, SECRET_KEY};
use std::time::Duration;

fn client(fake: &FakeStripe) -> StripePayments {
    StripePayments::with_key(&fake.url, SECRET_KEY).with_retries(Retries {
        attempts: 3,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    })
}

fn order(amount: i64) -> PaymentOrder {
    PaymentOrder {
        key: uuid::Uuid::new_v4().to_string(),
        amount,
        currency: "GBP".into(),
        charge_id: None,
    }
}

fn method(id: &str) -> PaymentMethod {
    PaymentMethod::parse(id).unwrap()
}

fn count(fake: &FakeStripe, request: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.starts_with(request))
        .count()
}

#[tokio::test]
async fn a_booking_is_charged_once_and_refunded_once_from_any_container() {
    let fake = FakeStripe::start().await;
    let (one, other) = (client(&fake), client(&fake));
    let o = order(4500);
    let charge = one.charge(&o, &method(cards::SUCCESS)).await.unwrap();
    assert!(charge.starts_with("pi_"), "{charge}");
    // A retry from another container finds the same PaymentIntent, already paid.
    assert_eq!(
        other.charge(&o, &method(cards::SUCCESS)).await,
        Ok(charge.clone())
    );
    assert_eq!(fake.intents_for(&o.key).len(), 1);
    assert_eq!(fake.net(&o.key), 4500);
    assert_eq!(
        count(&fake, "POST /v1/payment_intents/"),
        1,
        "confirmed once"
    );
    // Refunded by key (nothing recorded), then again with the recorded id: one refund.
    let refund = other.refund(&o).await.unwrap().expect("a refund");
    assert!(refund.starts_with("re_"), "{refund}");
    let recorded = PaymentOrder {
        charge_id: Some(charge),
        ..o.clone()
    };
    assert_eq!(one.refund(&recorded).await, Ok(Some(refund)));
    assert_eq!(fake.net(&o.key), 0);
}

#[tokio::test]
async fn declines_and_processing_errors_mean_what_the_port_says() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake);
    for (card, want) in [
        (
            cards::DECLINED,
            PaymentError::Declined("card_declined".into()),
        ),
        (
            cards::INSUFFICIENT_FUNDS,
            PaymentError::Declined("insufficient_funds".into()),
        ),
        (
            cards::TRANSIENT_ERROR,
            PaymentError::Transient("processing_error".into()),
        ),
    ] {
        let o = order(1000);
        assert_eq!(stripe.charge(&o, &method(card)).await, Err(want), "{card}");
        // Compensation: nothing was charged, so the refund cancels the intent.
        assert_eq!(stripe.refund(&o).await, Ok(None), "{card}");
        assert_eq!(fake.intents_for(&o.key)[0]["status"], "canceled");
        assert_eq!(fake.net(&o.key), 0);
    }
    // A processing error passes on a later attempt with a card that works: the intent is
    // confirmed again under a fresh key (the old one would replay the error).
    let o = order(1000);
    assert!(
        stripe
            .charge(&o, &method(cards::TRANSIENT_ERROR))
            .await
            .is_err()
    );
    assert!(stripe.charge(&o, &method(cards::SUCCESS)).await.is_ok());
    assert_eq!(fake.net(&o.key), 1000);
}

#[tokio::test]
async fn a_lost_answer_is_found_again_by_the_key_never_charged_twice() {
    let fake = FakeStripe::start().await;
    let o = order(4500);
    // The confirm runs at Stripe and its answer is lost; this client does not retry.
    let once = StripePayments::with_key(&fake.url, SECRET_KEY).with_retries(Retries {
        attempts: 1,
        ..Retries::default()
    });
    fake.fail_next(&[Fault::Pass, Fault::LoseAnswer]);
    assert_eq!(
        once.charge(&o, &method(cards::SUCCESS)).await,
        Err(PaymentError::Timeout)
    );
    assert_eq!(fake.net(&o.key), 4500, "the card was charged");
    // The saga's retry (any container) replays the create, sees the intent paid, and
    // reports that charge instead of confirming again.
    let charge = client(&fake)
        .charge(&o, &method(cards::SUCCESS))
        .await
        .unwrap();
    assert_eq!(fake.intents_for(&o.key)[0]["id"], charge.as_str());
    assert_eq!(
        count(&fake, "POST /v1/payment_intents/"),
        1,
        "confirmed once"
    );
    assert_eq!(fake.net(&o.key), 4500);

    // The same with the adapter's own retries: the lost create is replayed under its key.
    let o = order(4500);
    fake.fail_next(&[Fault::LoseAnswer]);
    client(&fake)
        .charge(&o, &method(cards::SUCCESS))
        .await
        .unwrap();
    assert_eq!(fake.intents_for(&o.key).len(), 1, "one intent");
    assert_eq!(fake.net(&o.key), 4500);
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_and_then_reported_as_transient() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake);
    let o = order(2000);
    fake.fail_next(&[Fault::ServerError, Fault::RateLimited]);
    assert!(stripe.charge(&o, &method(cards::SUCCESS)).await.is_ok());
    assert_eq!(
        count(&fake, "POST /v1/payment_intents"),
        4,
        "2 failed + create + confirm"
    );
    assert_eq!(fake.net(&o.key), 2000);
    // Still failing after every try: transient, for the saga to retry later.
    let o = order(2000);
    fake.fail_next(&[Fault::ServerError; 3]);
    assert!(matches!(
        stripe.charge(&o, &method(cards::SUCCESS)).await,
        Err(PaymentError::Transient(_))
    ));
    assert_eq!(fake.net(&o.key), 0);
}

/// The charge/refund interleave at Stripe: the refund (compensation) comes first and finds
/// nothing charged; it cancels the booking's PaymentIntent, so the charge step arriving
/// late is refused by Stripe instead of taking money nobody will refund.
#[tokio::test]
async fn a_refund_before_the_charge_cancels_the_intent_and_the_late_charge_is_refused() {
    let fake = FakeStripe::start().await;
    let (charging, refunding) = (client(&fake), client(&fake));
    let o = order(4500);
    assert_eq!(refunding.refund(&o).await, Ok(None));
    assert_eq!(
        charging.charge(&o, &method(cards::SUCCESS)).await,
        Err(PaymentError::Declined("payment_cancelled".into()))
    );
    assert_eq!(fake.net(&o.key), 0);
    assert_eq!(
        count(&fake, "POST /v1/payment_intents/"),
        1,
        "only the cancel"
    );
}

#[tokio::test]
async fn a_wrong_key_or_changed_parameters_never_charge() {
    let fake = FakeStripe::start().await;
    let wrong = StripePayments::with_key(&fake.url, "sk_test_wrong");
    let o = order(4500);
    assert_eq!(
        wrong.charge(&o, &method(cards::SUCCESS)).await,
        Err(PaymentError::Transient(
            "stripe_authentication_failed".into()
        ))
    );
    let stripe = client(&fake);
    stripe.charge(&o, &method(cards::SUCCESS)).await.unwrap();
    // The same booking with another amount: Stripe refuses the reused key.
    let changed = PaymentOrder {
        amount: 9000,
        ..o.clone()
    };
    assert_eq!(
        stripe.charge(&changed, &method(cards::SUCCESS)).await,
        Err(PaymentError::Declined("idempotency_error".into()))
    );
    assert_eq!(fake.net(&o.key), 4500);
}
