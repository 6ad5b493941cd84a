//! The booking sweeper: finishes bookings that stopped moving. A checkout that died between
//! storing its booking and starting the saga, a cancellation cut short after voiding the
//! tickets, a saga that ended without settling its booking: each would stay put until someone
//! retried. Deployed it runs every 2 minutes (`sweep-bookings`); locally, in the background.

use super::cancel_booking::Settlement;
use super::changes::change;
use super::models::{Booking, BookingStatus};
use super::ports::Workflow;
use crate::error::{InfraError, unavailable};
use chrono::Duration;
use serde::Serialize;
use std::sync::Arc;

/// A booking unchanged this long is looked at. Short, so a saga that never started still runs
/// well inside the time checkout keeps its seats. Nudging a live one is harmless: starting an
/// execution that is running is a no-op, and every cancellation step is idempotent.
pub const STUCK_AFTER: Duration = Duration::minutes(2);

/// A pending booking unchanged this long has outlived any saga (the forward path takes at most
/// minutes, compensation retries for about 40): its saga ended without settling it.
pub const SAGA_LIFETIME: Duration = Duration::hours(2);

/// Bookings read per page.
const PAGE: usize = 100;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Pending bookings whose saga was started (a no-op for one already running).
    pub sagas_started: usize,
    /// Cancellations finished: refunded, seats freed, `cancelled`.
    pub cancellations_finished: usize,
    /// Pending bookings no saga will settle now: marked `needs_attention`.
    pub marked_needs_attention: usize,
}

pub struct SweepBookings {
    pub workflow: Arc<dyn Workflow>,
    /// Its store and clock are the sweeper's too.
    pub settlement: Settlement,
}

impl SweepBookings {
    /// One pass over every booking unchanged for [`STUCK_AFTER`], oldest first. A failure on
    /// one booking is logged and the pass goes on; the next pass tries it again.
    pub async fn sweep(&self) -> Result<SweepReport, InfraError> {
        let s = &self.settlement;
        let now = s.clock.now();
        let mut report = SweepReport::default();
        let mut after: Option<Booking> = None;
        loop {
            let page = s
                .bookings
                .unsettled(now - STUCK_AFTER, after.as_ref(), PAGE)
                .await
                .map_err(unavailable)?;
            let Some(last) = page.last().cloned() else {
                return Ok(report);
            };
            for booking in page {
                let id = booking.id.clone();
                if let Err(e) = self.finish(booking, now, &mut report).await {
                    tracing::warn!(booking = %id, error = %e, "sweep could not finish it");
                }
            }
            after = Some(last);
        }
    }

    async fn finish(
        &self,
        booking: Booking,
        now: chrono::DateTime<chrono::Utc>,
        report: &mut SweepReport,
    ) -> Result<(), InfraError> {
        let s = &self.settlement;
        match booking.status {
            BookingStatus::Cancelling => {
                let reason = booking.reason.clone().unwrap_or_default();
                s.settle(booking, &reason).await?;
                report.cancellations_finished += 1;
            }
            BookingStatus::Pending if booking.updated_at <= now - SAGA_LIFETIME => {
                let marked = change(
                    s.bookings.as_ref(),
                    s.clock.as_ref(),
                    &booking.id,
                    |b, t| {
                        (b.status == BookingStatus::Pending && b.updated_at <= t - SAGA_LIFETIME)
                            .then(|| {
                                let next = b.next(t, |n| {
                                    n.status = BookingStatus::NeedsAttention;
                                    n.reason = Some("saga_lost".into());
                                });
                                (next, vec![])
                            })
                    },
                )
                .await
                .map_err(unavailable)?;
                if marked.status == BookingStatus::NeedsAttention {
                    tracing::error!(booking = %marked.id, "pending past any saga: needs attention");
                    report.marked_needs_attention += 1;
                }
            }
            BookingStatus::Pending => {
                self.workflow.start(&booking.id).await?;
                report.sagas_started += 1;
            }
            _ => {}
        }
        Ok(())
    }
}
