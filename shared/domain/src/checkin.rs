//! Check-in: door staff scan a ticket's QR payload; valid once, and only by door staff the
//! organiser assigned to the ticket's event (or an admin).

use crate::bookings::BookingStatus;
use crate::bookings::changes::{ChangeError, change};
use crate::bookings::models::{Booking, CheckIn as CheckedIn, TicketStatus, booking_of_ticket};
use crate::bookings::ports::{BookingStore, TicketVerifier};
use crate::catalog::EventCatalog;
use crate::clock::Clock;
use crate::error::{ErrorKind, Failure, InfraError, unavailable};
use crate::identity::Actor;
use crate::ids::EventId;
use crate::integration::events as integration;
use std::sync::Arc;

/// Why a scanned ticket is refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum CheckInError {
    #[error("not a Stagepass ticket (unreadable, forged or for another key)")]
    TicketNotRecognised,
    /// A door account scanned a ticket of an event it is not assigned to. The ticket is not
    /// touched: it still scans at its own event's doors.
    #[error("this ticket is for an event you are not assigned to")]
    NotAssignedToEvent,
    #[error("ticket is void: {0}")]
    TicketVoid(String),
    #[error("ticket already checked in at {at} (gate {gate})")]
    TicketAlreadyUsed { at: String, gate: String },
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl Failure for CheckInError {
    fn code(&self) -> &'static str {
        match self {
            Self::TicketNotRecognised => "ticket_not_recognised",
            Self::NotAssignedToEvent => "not_assigned_to_event",
            Self::TicketVoid(_) => "ticket_void",
            Self::TicketAlreadyUsed { .. } => "ticket_already_used",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            // A payload that is not ours is a bad request, not a missing ticket.
            Self::TicketNotRecognised => ErrorKind::Invalid,
            Self::NotAssignedToEvent => ErrorKind::Forbidden,
            Self::TicketVoid(_) | Self::TicketAlreadyUsed { .. } => ErrorKind::Conflict,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }
}

pub struct CheckIn {
    /// Whom each event's tickets may be checked in by.
    pub catalog: Arc<dyn EventCatalog>,
    pub bookings: Arc<dyn BookingStore>,
    pub verifier: Arc<dyn TicketVerifier>,
    pub clock: Arc<dyn Clock>,
}

impl CheckIn {
    /// Valid once; a second scan says when and where the first one was. `door` must be an
    /// admin or assigned to the ticket's event. Returns the booking and the ticket id.
    pub async fn check_in(
        &self,
        door: &Actor,
        qr: &str,
        gate: &str,
    ) -> Result<(Booking, String), CheckInError> {
        let claims = self
            .verifier
            .verify_ticket(qr)
            .await
            .ok_or(CheckInError::TicketNotRecognised)?;
        let booking_id =
            booking_of_ticket(&claims.ticket).ok_or(CheckInError::TicketNotRecognised)?;
        if !door.admin {
            // The event named in the signed payload (signed with the ticket id, so they agree).
            let event = EventId::parse(&claims.event).ok_or(CheckInError::TicketNotRecognised)?;
            let staffed = self
                .catalog
                .get(&event)
                .await
                .map_err(unavailable)?
                .is_some_and(|e| e.is_staffed_by(&door.user));
            if !staffed {
                return Err(CheckInError::NotAssignedToEvent);
            }
        }
        let gate = gate.to_string();
        let ticket = claims.ticket.clone();
        let mut refusal = None;
        let outcome = change(
            self.bookings.as_ref(),
            self.clock.as_ref(),
            &booking_id,
            |b, now| {
                let Some(t) = b.ticket(&ticket) else {
                    refusal = Some(CheckInError::TicketNotRecognised);
                    return None;
                };
                if t.status == TicketStatus::Void || b.status != BookingStatus::Confirmed {
                    refusal = Some(CheckInError::TicketVoid(
                        b.reason.clone().unwrap_or_else(|| b.status.as_str().into()),
                    ));
                    return None;
                }
                if let Some(c) = &t.checked_in {
                    refusal = Some(CheckInError::TicketAlreadyUsed {
                        at: c.at.to_rfc3339(),
                        gate: c.gate.clone(),
                    });
                    return None;
                }
                let next = b.next(now, |n| {
                    for t in &mut n.tickets {
                        if t.id == ticket {
                            t.checked_in = Some(CheckedIn {
                                at: now,
                                gate: gate.clone(),
                            });
                        }
                    }
                });
                let events = vec![integration::ticket_checked_in(b, &ticket, &gate, now)];
                Some((next, events))
            },
        )
        .await;
        match (outcome, refusal) {
            (_, Some(refused)) => Err(refused),
            (Ok(b), None) => Ok((b, claims.ticket)),
            (Err(ChangeError::NotFound(_)), None) => Err(CheckInError::TicketNotRecognised),
            (Err(e), None) => Err(CheckInError::Unavailable(unavailable(e))),
        }
    }
}
