//! One file per step, each holding only the ports it uses.

mod charge_payment;
mod confirm_booking;
mod fail_booking;
mod issue_tickets;
mod refund_payment;
mod release_seats;
mod sell_seats;

pub use charge_payment::ChargePayment;
pub use confirm_booking::ConfirmBooking;
pub use fail_booking::FailBooking;
pub use issue_tickets::IssueTickets;
pub use refund_payment::RefundPayment;
pub use release_seats::ReleaseSeats;
pub use sell_seats::SellSeats;

use crate::error::{StepError, unavailable};
use stagepass_domain::{Booking, BookingStatus, EventCatalog};

/// Whether a forward step may act on this booking: it must still be pending, and nobody may
/// have asked for it to stop (the organiser cancelling its event marks it so).
pub(crate) fn going_ahead(booking: &Booking) -> Result<(), StepError> {
    if booking.cancel_requested.is_some() {
        return Err(StepError::EventCancelled);
    }
    match booking.status {
        BookingStatus::Pending => Ok(()),
        _ => Err(StepError::BookingCompensated),
    }
}

/// Refuses with `EventCancelled` if the booking's event is cancelled (a strongly consistent
/// read; a missing event is a store failure, to retry).
pub(crate) async fn event_not_cancelled(
    catalog: &dyn EventCatalog,
    booking: &Booking,
) -> Result<(), StepError> {
    let event = catalog
        .get(&booking.event_id)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| unavailable(format!("event {} is missing", booking.event_id)))?;
    match event.status.is_cancelled() {
        true => Err(StepError::EventCancelled),
        false => Ok(()),
    }
}
