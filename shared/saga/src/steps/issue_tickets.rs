use super::going_ahead;
use crate::error::{StepError, unavailable};
use crate::{SagaStep, StepInput};
use async_trait::async_trait;
use stagepass_domain::bookings::changes::{change, load};
use stagepass_domain::bookings::models::ticket_id;
use stagepass_domain::{
    BookingStatus, BookingStore, Clock, PrintedTicket, Ticket, TicketClaims, TicketFiles,
    TicketRenderer, TicketSigner, TicketStatus,
};
use std::sync::Arc;

/// Renders one PDF ticket per seat into the file store and records the tickets.
pub struct IssueTickets {
    pub bookings: Arc<dyn BookingStore>,
    pub files: Arc<dyn TicketFiles>,
    pub signer: Arc<dyn TicketSigner>,
    pub renderer: Arc<dyn TicketRenderer>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SagaStep for IssueTickets {
    async fn run(&self, input: &StepInput) -> Result<(), StepError> {
        let booking = load(self.bookings.as_ref(), &input.booking).await?;
        going_ahead(&booking)?;
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
                .signer
                .sign_ticket(&claims)
                .await
                .map_err(unavailable)?;
            let pdf = self.renderer.render(&PrintedTicket {
                event_title: booking.event_title.clone(),
                venue: booking.venue.clone(),
                starts_at: booking.starts_at,
                seat: unit.to_string(),
                holder: booking.email.clone(),
                ticket_id: id.clone(),
                booking_id: booking.id.to_string(),
                qr_payload: qr.clone(),
            });
            let file_key = format!("tickets/{}/{id}.pdf", booking.id);
            self.files.put(&file_key, pdf).await.map_err(unavailable)?;
            tickets.push(Ticket {
                id,
                unit: unit.clone(),
                file_key,
                status: TicketStatus::Valid,
                checked_in: None,
                qr: Some(qr),
            });
        }
        change(
            self.bookings.as_ref(),
            self.clock.as_ref(),
            &input.booking,
            |b, now| {
                (b.tickets.is_empty() && b.status == BookingStatus::Pending)
                    .then(|| (b.next(now, |n| n.tickets = tickets.clone()), vec![]))
            },
        )
        .await?;
        Ok(())
    }
}
