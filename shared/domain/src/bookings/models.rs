//! Bookings and tickets: what checkout makes of a hold, and what the saga turns it into.

use super::error::BookingError;
use crate::catalog::layout::UnitId;
use crate::holds::models::Hold;
use crate::ids::{EventId, HoldId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A booking's id is derived from its hold's id: one hold can only ever become one booking,
/// so a checkout retried without an Idempotency-Key still cannot book (or charge) twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingId(String);

impl BookingId {
    pub fn for_hold(hold: &HoldId) -> Self {
        Self(crate::ids::derived_id(&format!("booking\0{hold}")))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw)
            .ok()
            .filter(|u| u.hyphenated().to_string() == raw)
            .map(|_| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Checked out; the saga is running.
    Pending,
    Confirmed,
    /// The saga compensated: nothing is charged and the seats are free.
    Failed,
    /// The saga could not compensate (the refund or the release kept failing for about 40
    /// minutes): money or seats may be unsettled. The saga-failure alarm has fired; a person
    /// settles it.
    NeedsAttention,
    /// Being cancelled: its tickets are void already; the refund and the seats follow. A
    /// crash here is finished by a retry of the cancellation or by the sweeper.
    Cancelling,
    /// Cancelled after confirmation (by the fan or with the event): refunded, seats free.
    Cancelled,
}

impl BookingStatus {
    /// Confirmed at some point: from then on only its cancellation refunds it or frees its
    /// seats, never the saga's compensation.
    pub fn was_confirmed(self) -> bool {
        matches!(self, Self::Confirmed | Self::Cancelling | Self::Cancelled)
    }

    /// Still in motion: a saga or a cancellation has work left. The sweeper finishes these
    /// if they stop moving.
    pub fn is_unsettled(self) -> bool {
        matches!(self, Self::Pending | Self::Cancelling)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
            Self::NeedsAttention => "needs_attention",
            Self::Cancelling => "cancelling",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Where the money is. `Refunded` is also set when compensation starts before any charge: from
/// then on the charge step refuses to charge, so a late retry can never take money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PaymentState {
    NotCharged,
    Charged {
        charge_id: String,
    },
    Refunded {
        charge_id: Option<String>,
        refund_id: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Valid,
    Void,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    pub at: DateTime<Utc>,
    pub gate: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// `{booking id}-{n}`: stable, so issuing tickets twice makes the same tickets.
    pub id: String,
    pub unit: UnitId,
    /// Where the PDF is, in the ticket file store.
    pub file_key: String,
    pub status: TicketStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in: Option<CheckIn>,
    /// The QR payload printed on the PDF, kept as issued: showing it again must not re-sign
    /// it (after a key rotation a re-signed payload would differ from the printed one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<String>,
}

/// What a fan pays with: a payment method token made by the provider's client-side SDK in
/// the buyer's browser (Stripe's `pm_…` ids; its test ones such as `pm_card_visa` work with the
/// simulated provider too). Never a card number: the number goes from the browser to the
/// provider, and nothing of ours (tables, their streams and backups, logs) ever holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    /// `pm_` then letters, digits and `_`, as the provider makes them. Something that looks
    /// like a card number is refused with its own error, and never repeated back.
    pub fn parse(raw: &str) -> Result<Self, BookingError> {
        if looks_like_card_number(raw) {
            return Err(BookingError::CardNumberRefused);
        }
        let well_formed = raw.len() <= 255
            && raw.strip_prefix("pm_").is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if !well_formed {
            return Err(BookingError::InvalidPaymentMethod(
                "must be a payment method token from the payment provider, such as pm_card_visa"
                    .into(),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// The token, as the provider knows it.
    pub fn id(&self) -> &str {
        &self.0
    }

    /// What the booking shows about it.
    pub fn label(&self) -> String {
        match self.0.strip_prefix("pm_card_") {
            Some(kind) => format!("card ({kind})"),
            None => "card".into(),
        }
    }
}

/// Bookings stored before tokens held `{"card": "<test card number>"}`: each is read as the
/// token for the same test behaviour, and the number is gone at the booking's next write.
impl<'de> Deserialize<'de> for PaymentMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Token(String),
            Card { card: String },
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Token(token) => Self(token),
            Stored::Card { card } => Self(
                match card.as_str() {
                    "4000000000000002" => "pm_card_chargeDeclined",
                    "4000000000009995" => "pm_card_chargeDeclinedInsufficientFunds",
                    "4000000000000119" => "pm_card_chargeDeclinedProcessingError",
                    "4000000000000077" => "pm_sim_timeoutAfterCharge",
                    "4000000000000101" => "pm_sim_providerDown",
                    _ => "pm_card_visa",
                }
                .into(),
            ),
        })
    }
}

/// 13 to 19 digits, spaces or dashes between them allowed: what a card number looks like.
pub fn looks_like_card_number(raw: &str) -> bool {
    let digits = raw.bytes().filter(u8::is_ascii_digit).count();
    (13..=19).contains(&digits)
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: BookingId,
    pub hold_id: HoldId,
    pub event_id: EventId,
    pub buyer: UserId,
    /// Where tickets and news about the booking go.
    pub email: String,
    pub event_title: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub units: Vec<UnitId>,
    /// Minor units of `currency`.
    pub total: i64,
    pub currency: String,
    /// Kept only while the saga may still charge it; cleared once the booking is settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    pub payment_label: String,
    pub status: BookingStatus,
    /// Why the booking failed or was cancelled: a machine-readable code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set on a pending booking that must not go ahead (its event was cancelled), with the
    /// reason code: the saga's next step refuses, so it compensates instead of confirming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_requested: Option<String>,
    pub payment: PaymentState,
    #[serde(default)]
    pub tickets: Vec<Ticket>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; stores only accept a write made from the latest version.
    pub version: u64,
}

/// What a checkout needs beyond the hold.
pub struct BookingDraft<'a> {
    pub hold: &'a Hold,
    pub email: String,
    pub event_title: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub payment_method: PaymentMethod,
}

impl Booking {
    pub fn pending(draft: BookingDraft<'_>, now: DateTime<Utc>) -> Self {
        let hold = draft.hold;
        Self {
            id: BookingId::for_hold(&hold.id),
            hold_id: hold.id.clone(),
            event_id: hold.event_id.clone(),
            buyer: hold.holder.clone(),
            email: draft.email,
            event_title: draft.event_title,
            venue: draft.venue,
            starts_at: draft.starts_at,
            units: hold.units.clone(),
            total: hold.total,
            currency: hold.currency.clone(),
            payment_label: draft.payment_method.label(),
            payment_method: Some(draft.payment_method),
            status: BookingStatus::Pending,
            reason: None,
            cancel_requested: None,
            payment: PaymentState::NotCharged,
            tickets: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The next version of this booking, changed by `change`.
    pub fn next(&self, now: DateTime<Utc>, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        change(&mut next);
        next.version = self.version + 1;
        next.updated_at = now;
        next
    }

    pub fn charge_id(&self) -> Option<&str> {
        match &self.payment {
            PaymentState::Charged { charge_id } => Some(charge_id),
            PaymentState::Refunded { charge_id, .. } => charge_id.as_deref(),
            PaymentState::NotCharged => None,
        }
    }

    pub fn ticket(&self, id: &str) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.id == id)
    }
}

/// A ticket's stable id.
pub fn ticket_id(booking: &BookingId, n: usize) -> String {
    format!("{booking}-{n}")
}

/// The booking a ticket id belongs to (its id up to the last `-n`).
pub fn booking_of_ticket(ticket: &str) -> Option<BookingId> {
    let (booking, n) = ticket.rsplit_once('-')?;
    n.parse::<u16>().ok()?;
    BookingId::parse(booking)
}

/// What a ticket's QR code says, signed: a scanner holding the public keys can check it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClaims {
    pub ticket: String,
    pub event: String,
    pub seat: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_ids_follow_holds() {
        let h = HoldId::generate();
        assert_eq!(BookingId::for_hold(&h), BookingId::for_hold(&h));
        assert_ne!(
            BookingId::for_hold(&h),
            BookingId::for_hold(&HoldId::generate())
        );
        let b = BookingId::for_hold(&h);
        assert_eq!(booking_of_ticket(&ticket_id(&b, 3)), Some(b));
        assert_eq!(booking_of_ticket("nope-1"), None);
        assert_eq!(booking_of_ticket("x"), None);
    }

    #[test]
    fn payment_methods_are_tokens_and_card_numbers_are_refused() {
        let visa = PaymentMethod::parse("pm_card_visa").unwrap();
        assert_eq!(
            (visa.id(), visa.label().as_str()),
            ("pm_card_visa", "card (visa)")
        );
        for pan in [
            "4242424242424242",
            "4242 4242 4242 4242",
            "4000-0000-0000-0002",
        ] {
            assert_eq!(
                PaymentMethod::parse(pan),
                Err(BookingError::CardNumberRefused)
            );
        }
        for bad in [
            "",
            "pm_",
            "card_visa",
            "pm_card visa",
            "pm_<script>",
            &"pm_x".repeat(70),
        ] {
            let refused = PaymentMethod::parse(bad).unwrap_err();
            assert!(
                matches!(refused, BookingError::InvalidPaymentMethod(_)),
                "{bad}"
            );
        }
        // A booking stored before tokens is read as the same test behaviour's token.
        let stored: PaymentMethod =
            serde_json::from_str(r#"{"card": "4000000000000002"}"#).unwrap();
        assert_eq!(stored.id(), "pm_card_chargeDeclined");
        assert_eq!(
            serde_json::to_string(&stored).unwrap(),
            r#""pm_card_chargeDeclined""#
        );
    }
}

/// What a printed ticket shows: handed to a [`TicketRenderer`](super::ports::TicketRenderer).
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedTicket {
    pub event_title: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub seat: String,
    pub holder: String,
    pub ticket_id: String,
    pub booking_id: String,
    /// The signed ticket the QR code carries.
    pub qr_payload: String,
}
