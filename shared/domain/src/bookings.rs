//! Checkout, the booking saga's steps, cancellation and check-in: plain Rust over the ports.
//!
//! Every saga step loads the booking, does its one thing and saves it, and is safe to run
//! again: a step that already happened is skipped, calls to the payment provider carry the
//! booking id as idempotency key, and ticket files are overwritten with the same bytes. So
//! Step Functions may retry any step, and a crashed run may be started again from the top.

use crate::booking::{
    Booking, BookingDraft, BookingId, BookingStatus, CheckIn, PaymentMethod, PaymentState, Ticket,
    TicketClaims, TicketStatus, booking_of_ticket, ticket_id,
};
use crate::error::{DomainError, Result};
use crate::event::{Event, EventStatus};
use crate::hold::Hold;
use crate::ids::{EventId, HoldId, UserId};
use crate::integration::{self, IntegrationEvent};
use crate::ports::{
    BookingError, BookingStore, CatalogError, Clock, EventCatalog, InventoryError, PaymentError,
    PaymentProvider, SeatInventory, TicketFiles, TicketSigner, Workflow,
};
use crate::service::Actor;
use crate::tickets::render_ticket;
use std::sync::Arc;
use thiserror::Error;

/// How a saga step failed. The name is what the state machine matches in Retry and Catch.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The card was refused: compensate (nothing to retry).
    #[error("payment declined: {0}")]
    PaymentDeclined(String),
    /// The provider failed or timed out: retry with the same key, then compensate.
    #[error("payment provider unavailable: {0}")]
    PaymentUnavailable(String),
    /// Another buyer has a seat now (the payment came after the hold expired): compensate.
    #[error("seats taken: {0}")]
    SeatsTaken(String),
    /// The booking is already being compensated: continue compensating.
    #[error("booking is being compensated")]
    BookingCompensated,
    /// A store, file or bus call failed: retry.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    /// The organiser cancelled the event while the saga ran: compensate.
    #[error("the event was cancelled")]
    EventCancelled,
    /// The input names no booking we know: a bug or a hand-made execution.
    #[error("booking not found: {0}")]
    BookingNotFound(String),
}

impl StepError {
    pub fn name(&self) -> &'static str {
        match self {
            Self::PaymentDeclined(_) => "PaymentDeclined",
            Self::PaymentUnavailable(_) => "PaymentUnavailable",
            Self::SeatsTaken(_) => "SeatsTaken",
            Self::BookingCompensated => "BookingCompensated",
            Self::EventCancelled => "EventCancelled",
            Self::Unavailable(_) => "DependencyUnavailable",
            Self::BookingNotFound(_) => "BookingNotFound",
        }
    }

    /// The reason a failed booking shows its buyer.
    /// `cause` is the step's message, or (from Step Functions) the Lambda error as JSON.
    pub fn reason_code(name: &str, cause: &str) -> String {
        let message = serde_json::from_str::<serde_json::Value>(cause)
            .ok()
            .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_string))
            .unwrap_or_else(|| cause.to_string());
        match name {
            "PaymentDeclined" => message
                .rsplit(": ")
                .next()
                .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .unwrap_or("payment_declined")
                .to_string(),
            "PaymentUnavailable" => "payment_unavailable".into(),
            "SeatsTaken" => "seats_taken".into(),
            "EventCancelled" => "event_cancelled".into(),
            _ => "booking_error".into(),
        }
    }
}

fn step_unavailable(e: impl std::fmt::Display) -> StepError {
    StepError::Unavailable(e.to_string())
}

impl From<BookingError> for DomainError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::VersionConflict | BookingError::Exists(_) => {
                DomainError::ConcurrentModification
            }
            BookingError::Unavailable(m) => DomainError::Unavailable(m),
        }
    }
}

/// The ports bookings need.
#[derive(Clone)]
pub struct BookingPorts {
    pub catalog: Arc<dyn EventCatalog>,
    pub inventory: Arc<dyn SeatInventory>,
    pub bookings: Arc<dyn BookingStore>,
    pub payments: Arc<dyn PaymentProvider>,
    pub files: Arc<dyn TicketFiles>,
    pub signer: Arc<dyn TicketSigner>,
    pub workflow: Arc<dyn Workflow>,
    pub clock: Arc<dyn Clock>,
}

/// A buyer as checkout sees them: who, and where their tickets go.
pub struct Buyer {
    pub user: UserId,
    pub email: String,
}

pub struct CheckoutOutcome {
    pub booking: Booking,
    /// False when the hold was already checked out: this is that booking.
    pub created: bool,
}

/// Tries to apply a change to the latest booking, reloading on a version conflict.
const UPDATE_ATTEMPTS: usize = 5;

pub struct Bookings {
    ports: BookingPorts,
}

impl Bookings {
    pub fn new(ports: BookingPorts) -> Self {
        Self { ports }
    }

    pub fn ports(&self) -> &BookingPorts {
        &self.ports
    }

    // ---- What fans, organisers and door staff do -----------------------------------------

    /// Turns the buyer's live hold into a pending booking and starts the saga. One hold makes
    /// at most one booking: checking it out again returns that booking.
    pub async fn checkout(
        &self,
        buyer: &Buyer,
        hold_id: &HoldId,
        method: PaymentMethod,
    ) -> Result<CheckoutOutcome> {
        let p = &self.ports;
        let hold = match p.inventory.find_hold(hold_id).await.map_err(unavailable)? {
            Some(h) if h.holder == buyer.user => h,
            _ => return Err(DomainError::HoldNotFound(hold_id.to_string())),
        };
        let booking_id = BookingId::for_hold(&hold.id);
        if let Some(existing) = p.bookings.get(&booking_id).await? {
            p.workflow.start(&existing.id).await.map_err(unavailable)?;
            return Ok(CheckoutOutcome {
                booking: existing,
                created: false,
            });
        }
        let event = self.event(&hold.event_id).await?;
        let now = p.clock.now();
        if !event.is_on_sale(now) {
            return Err(match event.status {
                EventStatus::Cancelled => DomainError::EventCancelled,
                _ if event.starts_at <= now => DomainError::EventStarted,
                _ => DomainError::EventNotOnSale,
            });
        }
        // The hold is marked first, so its holder cannot release the seats from under the saga.
        let hold = match p.inventory.check_out_hold(hold_id, now).await {
            Ok(h) => h,
            Err(InventoryError::HoldExpired) => {
                return Err(DomainError::HoldExpired(hold.expires_at.to_rfc3339()));
            }
            Err(InventoryError::HoldNotActive) => {
                return Err(DomainError::HoldNotActive("released".into()));
            }
            Err(InventoryError::HoldNotFound) => {
                return Err(DomainError::HoldNotFound(hold_id.to_string()));
            }
            Err(e) => return Err(unavailable(e)),
        };
        let booking = Booking::pending(
            BookingDraft {
                hold: &hold,
                email: buyer.email.clone(),
                event_title: event.title.clone(),
                venue: format!("{}, {}", event.venue.name, event.venue.city),
                starts_at: event.starts_at,
                payment_method: method,
            },
            now,
        );
        let (booking, created) = match p.bookings.create(&booking).await {
            Ok(()) => (booking, true),
            // A concurrent checkout of the same hold got there first.
            Err(BookingError::Exists(stored)) => (*stored, false),
            Err(e) => return Err(e.into()),
        };
        p.workflow.start(&booking.id).await.map_err(unavailable)?;
        Ok(CheckoutOutcome { booking, created })
    }

    /// One booking, for its buyer (or an admin); anyone else is told it does not exist.
    pub async fn get(&self, viewer: &Actor, id: &BookingId) -> Result<Booking> {
        match self.ports.bookings.get(id).await? {
            Some(b) if viewer.admin || b.buyer == viewer.user => Ok(b),
            _ => Err(DomainError::BookingNotFound(id.to_string())),
        }
    }

    pub async fn mine(&self, viewer: &UserId, limit: usize) -> Result<Vec<Booking>> {
        Ok(self.ports.bookings.for_buyer(viewer, limit).await?)
    }

    /// The buyer cancels a confirmed booking before the event: refund, seats back on sale,
    /// tickets void, `BookingCancelled`. Safe to retry: each part happens once.
    pub async fn cancel(&self, viewer: &Actor, id: &BookingId) -> Result<Booking> {
        let booking = self.get(viewer, id).await?;
        if booking.status == BookingStatus::Cancelled {
            // A retry: make sure the money and seats are settled, then answer the same.
            return self
                .settle_cancellation(booking, "cancelled_by_buyer")
                .await;
        }
        if booking.status != BookingStatus::Confirmed {
            return Err(DomainError::BookingNotCancellable(
                booking.status.as_str().into(),
            ));
        }
        if booking.starts_at <= self.ports.clock.now() {
            return Err(DomainError::EventStarted);
        }
        self.settle_cancellation(booking, "cancelled_by_buyer")
            .await
    }

    /// Refund, free the seats, void the tickets and record the cancellation. Refund and
    /// release come first and are idempotent, so a crash part-way is finished by a retry.
    async fn settle_cancellation(&self, booking: Booking, reason: &str) -> Result<Booking> {
        let p = &self.ports;
        let refund_id = match booking.charge_id() {
            Some(_) => p
                .payments
                .refund(booking.id.as_str())
                .await
                .map_err(|e| DomainError::Unavailable(e.to_string()))?,
            None => None,
        };
        let hold = self
            .hold_of(&booking)
            .await
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        p.inventory
            .free_hold_units(&hold)
            .await
            .map_err(unavailable)?;
        let reason = reason.to_string();
        self.change(&booking.id, |b, now| {
            if b.status == BookingStatus::Cancelled {
                return None;
            }
            let next = b.next(now, |n| {
                n.status = BookingStatus::Cancelled;
                n.reason = Some(reason.clone());
                n.payment = PaymentState::Refunded {
                    charge_id: b.charge_id().map(str::to_string),
                    refund_id: refund_id.clone(),
                };
                for t in &mut n.tickets {
                    t.status = TicketStatus::Void;
                }
            });
            let events = vec![integration::booking_cancelled(&next)];
            Some((next, events))
        })
        .await
        .map_err(|e| DomainError::Unavailable(e.to_string()))
    }

    /// An organiser (or admin) cancels their event: off sale at once, then every booking is
    /// refunded and cancelled. Retrying finishes whatever a failed attempt left.
    pub async fn cancel_event(&self, actor: &Actor, id: &EventId) -> Result<(Event, usize)> {
        let p = &self.ports;
        let event = match p.catalog.get(id).await? {
            Some(e) if actor.admin || e.organiser == actor.user => e,
            _ => return Err(DomainError::EventNotFound(id.to_string())),
        };
        let now = p.clock.now();
        let event = if event.status == EventStatus::Cancelled {
            event
        } else {
            let next = event.cancelled(now)?;
            match p.catalog.replace(&next, event.version).await {
                Ok(()) => next,
                Err(CatalogError::VersionConflict) => {
                    return Err(DomainError::ConcurrentModification);
                }
                Err(e) => return Err(e.into()),
            }
        };
        p.bookings
            .record_events(&[integration::event_cancelled(&event, event.updated_at)])
            .await?;
        let mut cancelled = 0;
        for booking in p.bookings.for_event(id).await? {
            match booking.status {
                BookingStatus::Confirmed | BookingStatus::Cancelled => {
                    let was = booking.status;
                    self.settle_cancellation(booking, "event_cancelled").await?;
                    if was == BookingStatus::Confirmed {
                        cancelled += 1;
                    }
                }
                // Pending sagas fail at their next step (the event is off sale) or, if they
                // confirm first, are caught by a retry of this call.
                BookingStatus::Pending | BookingStatus::Failed => {}
            }
        }
        Ok((event, cancelled))
    }

    /// Door staff scan a ticket's QR payload. Valid once; a second scan says when and where
    /// the first one was.
    pub async fn check_in(&self, qr: &str, gate: &str) -> Result<(Booking, String)> {
        let claims = self
            .ports
            .signer
            .verify_ticket(qr)
            .ok_or(DomainError::TicketNotRecognised)?;
        let booking_id =
            booking_of_ticket(&claims.ticket).ok_or(DomainError::TicketNotRecognised)?;
        let gate = gate.to_string();
        let ticket = claims.ticket.clone();
        let mut refusal = None;
        let outcome = self
            .change(&booking_id, |b, now| {
                let Some(t) = b.ticket(&ticket) else {
                    refusal = Some(DomainError::TicketNotRecognised);
                    return None;
                };
                if t.status == TicketStatus::Void || b.status != BookingStatus::Confirmed {
                    refusal = Some(DomainError::TicketVoid(
                        b.reason.clone().unwrap_or_else(|| b.status.as_str().into()),
                    ));
                    return None;
                }
                if let Some(c) = &t.checked_in {
                    refusal = Some(DomainError::TicketAlreadyUsed {
                        at: c.at.to_rfc3339(),
                        gate: c.gate.clone(),
                    });
                    return None;
                }
                let next = b.next(now, |n| {
                    for t in &mut n.tickets {
                        if t.id == ticket {
                            t.checked_in = Some(CheckIn {
                                at: now,
                                gate: gate.clone(),
                            });
                        }
                    }
                });
                let events = vec![integration::ticket_checked_in(b, &ticket, &gate, now)];
                Some((next, events))
            })
            .await;
        match (outcome, refusal) {
            (_, Some(refused)) => Err(refused),
            (Ok(b), None) => Ok((b, claims.ticket)),
            (Err(StepError::BookingNotFound(_)), None) => Err(DomainError::TicketNotRecognised),
            (Err(e), None) => Err(DomainError::Unavailable(e.to_string())),
        }
    }

    // ---- The saga's steps (one Lambda each) ----------------------------------------------

    /// Charges the booking's total, once (the booking id is the provider's idempotency key).
    pub async fn charge_payment(&self, id: &BookingId) -> Result<(), StepError> {
        let booking = self.load(id).await?;
        match (&booking.payment, booking.status) {
            (PaymentState::Charged { .. }, _) => return Ok(()),
            (PaymentState::Refunded { .. }, _) => return Err(StepError::BookingCompensated),
            (PaymentState::NotCharged, BookingStatus::Pending) => {}
            (PaymentState::NotCharged, _) => return Err(StepError::BookingCompensated),
        }
        self.ensure_event_not_cancelled(&booking.event_id).await?;
        let method = booking
            .payment_method
            .clone()
            .ok_or(StepError::BookingCompensated)?;
        let charge_id = self
            .ports
            .payments
            .charge(
                booking.id.as_str(),
                booking.total,
                &booking.currency,
                &method,
            )
            .await
            .map_err(|e| match e {
                PaymentError::Declined(code) => StepError::PaymentDeclined(code),
                PaymentError::Transient(m) => StepError::PaymentUnavailable(m),
                PaymentError::Timeout => StepError::PaymentUnavailable("timeout".into()),
            })?;
        self.change(id, |b, now| match b.payment {
            PaymentState::NotCharged => Some((
                b.next(now, |n| {
                    n.payment = PaymentState::Charged {
                        charge_id: charge_id.clone(),
                    }
                }),
                vec![],
            )),
            _ => None,
        })
        .await?;
        Ok(())
    }

    /// Marks the seats sold. A payment that arrived after the hold expired still gets its
    /// seats if nobody took them; if someone did, this fails and the saga refunds.
    pub async fn sell_seats(&self, id: &BookingId) -> Result<(), StepError> {
        let booking = self.load(id).await?;
        if booking.status != BookingStatus::Pending || booking.charge_id().is_none() {
            return Err(StepError::BookingCompensated);
        }
        if matches!(booking.payment, PaymentState::Refunded { .. }) {
            return Err(StepError::BookingCompensated);
        }
        let hold = self.hold_of(&booking).await?;
        match self
            .ports
            .inventory
            .sell_hold(&hold, self.ports.clock.now())
            .await
        {
            Ok(()) => Ok(()),
            Err(InventoryError::Taken(units)) => Err(StepError::SeatsTaken(
                units
                    .iter()
                    .map(|u| u.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
            Err(e) => Err(step_unavailable(e)),
        }
    }

    /// Renders one PDF ticket per seat into the file store and records the tickets.
    pub async fn issue_tickets(&self, id: &BookingId) -> Result<(), StepError> {
        let booking = self.load(id).await?;
        if booking.status != BookingStatus::Pending {
            return Err(StepError::BookingCompensated);
        }
        if booking.tickets.len() == booking.units.len() {
            return Ok(());
        }
        let mut tickets = Vec::new();
        for (n, unit) in booking.units.iter().enumerate() {
            let id = ticket_id(&booking.id, n + 1);
            let claims = TicketClaims {
                ticket: id.clone(),
                event: booking.event_id.to_string(),
                seat: unit.to_string(),
            };
            let qr = self
                .ports
                .signer
                .sign_ticket(&claims)
                .map_err(step_unavailable)?;
            let pdf = render_ticket(&booking, unit.as_str(), &id, &qr);
            let file_key = format!("tickets/{}/{id}.pdf", booking.id);
            self.ports
                .files
                .put(&file_key, pdf)
                .await
                .map_err(step_unavailable)?;
            tickets.push(Ticket {
                id,
                unit: unit.clone(),
                file_key,
                status: TicketStatus::Valid,
                checked_in: None,
            });
        }
        self.change(id, |b, now| {
            (b.tickets.is_empty() && b.status == BookingStatus::Pending)
                .then(|| (b.next(now, |n| n.tickets = tickets.clone()), vec![]))
        })
        .await?;
        Ok(())
    }

    /// Confirms the booking and records `BookingConfirmed` and `TicketIssued` in the outbox,
    /// in the same write.
    pub async fn confirm_booking(&self, id: &BookingId) -> Result<(), StepError> {
        let booking = self
            .change(id, |b, now| {
                if b.status != BookingStatus::Pending {
                    return None;
                }
                let next = b.next(now, |n| {
                    n.status = BookingStatus::Confirmed;
                    n.payment_method = None;
                });
                let mut events = vec![integration::booking_confirmed(&next)];
                events.extend(integration::ticket_issued(&next));
                Some((next, events))
            })
            .await?;
        match booking.status {
            BookingStatus::Confirmed => Ok(()),
            _ => Err(StepError::BookingCompensated),
        }
    }

    /// Compensation: refunds whatever was charged, and stops any later charge.
    pub async fn refund_payment(&self, id: &BookingId) -> Result<(), StepError> {
        let booking = self.load(id).await?;
        if booking.status == BookingStatus::Confirmed {
            // Confirmed bookings are only refunded by cancelling them.
            return Ok(());
        }
        if matches!(booking.payment, PaymentState::Refunded { .. }) {
            return Ok(());
        }
        // Fence first: from here on the charge step refuses, even if it is retried.
        let fenced = self
            .change(id, |b, now| match &b.payment {
                PaymentState::Refunded { .. } => None,
                p => Some((
                    b.next(now, |n| {
                        n.payment = PaymentState::Refunded {
                            charge_id: match p {
                                PaymentState::Charged { charge_id } => Some(charge_id.clone()),
                                _ => None,
                            },
                            refund_id: None,
                        }
                    }),
                    vec![],
                )),
            })
            .await?;
        // Refund by key, not by charge id: a charge that timed out may exist unrecorded.
        let refund_id = self
            .ports
            .payments
            .refund(fenced.id.as_str())
            .await
            .map_err(|e| StepError::PaymentUnavailable(e.to_string()))?;
        if let Some(refund_id) = refund_id {
            self.change(id, |b, now| match &b.payment {
                PaymentState::Refunded {
                    charge_id,
                    refund_id: None,
                } => Some((
                    b.next(now, |n| {
                        n.payment = PaymentState::Refunded {
                            charge_id: charge_id.clone(),
                            refund_id: Some(refund_id.clone()),
                        }
                    }),
                    vec![],
                )),
                _ => None,
            })
            .await?;
        }
        Ok(())
    }

    /// Compensation: puts the booking's seats back on sale.
    pub async fn release_seats(&self, id: &BookingId) -> Result<(), StepError> {
        let booking = self.load(id).await?;
        if booking.status == BookingStatus::Confirmed {
            return Ok(());
        }
        let hold = self.hold_of(&booking).await?;
        self.ports
            .inventory
            .free_hold_units(&hold)
            .await
            .map_err(step_unavailable)
    }

    /// Compensation: marks the booking failed with a reason and records `BookingFailed`.
    pub async fn fail_booking(&self, id: &BookingId, reason: &str) -> Result<(), StepError> {
        let reason = reason.to_string();
        self.change(id, |b, now| {
            if b.status != BookingStatus::Pending {
                return None;
            }
            let next = b.next(now, |n| {
                n.status = BookingStatus::Failed;
                n.reason = Some(reason.clone());
                n.payment_method = None;
                for t in &mut n.tickets {
                    t.status = TicketStatus::Void;
                }
            });
            let events = vec![integration::booking_failed(&next)];
            Some((next, events))
        })
        .await?;
        Ok(())
    }

    // ---- Helpers ----------------------------------------------------------------------------

    async fn load(&self, id: &BookingId) -> Result<Booking, StepError> {
        self.ports
            .bookings
            .get(id)
            .await
            .map_err(step_unavailable)?
            .ok_or_else(|| StepError::BookingNotFound(id.to_string()))
    }

    async fn ensure_event_not_cancelled(&self, id: &EventId) -> Result<(), StepError> {
        let event = self
            .ports
            .catalog
            .get(id)
            .await
            .map_err(step_unavailable)?
            .ok_or_else(|| step_unavailable(format!("event {id} is missing")))?;
        match event.status {
            EventStatus::Cancelled => Err(StepError::EventCancelled),
            _ => Ok(()),
        }
    }

    async fn event(&self, id: &EventId) -> Result<Event> {
        self.ports
            .catalog
            .get(id)
            .await?
            .ok_or_else(|| DomainError::EventNotFound(id.to_string()))
    }

    async fn hold_of(&self, booking: &Booking) -> Result<Hold, StepError> {
        self.ports
            .inventory
            .find_hold(&booking.hold_id)
            .await
            .map_err(step_unavailable)?
            .ok_or_else(|| step_unavailable(format!("hold {} is missing", booking.hold_id)))
    }

    /// Applies `change` to the latest stored booking and saves it with its events; `None`
    /// from `change` means nothing to do. Returns the booking as stored afterwards.
    async fn change(
        &self,
        id: &BookingId,
        mut change: impl FnMut(
            &Booking,
            chrono::DateTime<chrono::Utc>,
        ) -> Option<(Booking, Vec<IntegrationEvent>)>,
    ) -> Result<Booking, StepError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self.load(id).await?;
            let Some((next, events)) = change(&current, self.ports.clock.now()) else {
                return Ok(current);
            };
            match self
                .ports
                .bookings
                .update(&next, current.version, &events)
                .await
            {
                Ok(()) => return Ok(next),
                Err(BookingError::VersionConflict) => continue,
                Err(e) => return Err(step_unavailable(e)),
            }
        }
        Err(step_unavailable("booking kept changing under this step"))
    }
}

fn unavailable(e: impl std::fmt::Display) -> DomainError {
    DomainError::Unavailable(e.to_string())
}
