//! An organiser (or admin) cancels their event: it is off sale at once and the request is
//! answered; its bookings are then cancelled a page at a time by a worker
//! ([`CancelEventBookings`]), each page asking for the next through a queue, so an event of
//! any size finishes and its progress shows on the event.

use super::error::CatalogError;
use super::event::{Event, EventStatus};
use super::organise::managed_event;
use super::ports::{CancellationQueue, CatalogStoreError, EventCatalog};
use crate::bookings::changes::change;
use crate::bookings::{Booking, BookingStatus, Settlement};
use crate::clock::Clock;
use crate::error::{InfraError, unavailable};
use crate::identity::Actor;
use crate::ids::EventId;
use crate::integration::events as integration;
use std::sync::Arc;

/// The reason code a cancelled event's bookings carry.
pub const REASON: &str = "event_cancelled";

/// Bookings one worker invocation cancels: small enough to finish well inside its timeout
/// (a refund and four writes each, [`CONCURRENCY`] at a time).
pub const PAGE: usize = 100;

/// Bookings of a page cancelled at once.
const CONCURRENCY: usize = 16;

pub struct CancelEvent {
    pub catalog: Arc<dyn EventCatalog>,
    pub queue: Arc<dyn CancellationQueue>,
    pub clock: Arc<dyn Clock>,
}

impl CancelEvent {
    /// Takes the event off sale (status `cancelling`) and asks for its bookings to be
    /// cancelled; returns the event as it now is. Calling it again while the bookings are
    /// still being cancelled asks again (the worker ignores a request it has already done),
    /// which restarts a cancellation whose queue message was lost.
    pub async fn cancel_event(&self, actor: &Actor, id: &EventId) -> Result<Event, CatalogError> {
        let event = managed_event(self.catalog.as_ref(), actor, id).await?;
        let event = if event.status.is_cancelled() {
            event
        } else {
            let next = event.cancelled(self.clock.now())?;
            // Told to subscribers in the write that cancels it: never one without the other.
            let events = [integration::event_cancelled(&next, next.updated_at)];
            match self.catalog.replace(&next, event.version, &events).await {
                Ok(()) => next,
                Err(CatalogStoreError::VersionConflict) => {
                    return Err(CatalogError::ConcurrentModification);
                }
                Err(e) => return Err(e.into()),
            }
        };
        if event.status == EventStatus::Cancelling {
            self.queue.continue_cancellation(id).await?;
        }
        Ok(event)
    }
}

/// What one booking of a cancelled event ended as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Confirmed, now cancelled and refunded.
    Cancelled,
    /// In its saga, told to stop: the saga compensates.
    Stopped,
    /// Nothing to do (failed, cancelled before, or waiting for a person).
    Untouched,
}

/// What a worker invocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageDone {
    /// A page was cancelled and the next one asked for.
    Continued,
    /// The last page was cancelled: the event is `cancelled`.
    Finished,
    /// Nothing: the event is not being cancelled, or another delivery of the same request
    /// did this page first (and asked for the next).
    Skipped,
}

/// The worker: cancels the next page of a cancelling event's bookings.
pub struct CancelEventBookings {
    pub catalog: Arc<dyn EventCatalog>,
    pub settlement: Settlement,
    pub queue: Arc<dyn CancellationQueue>,
}

impl CancelEventBookings {
    /// Cancels the page after the event's progress, then records the progress with the
    /// event's version: of two deliveries working on the same page, one records it and asks
    /// for the next, the other stops. Every booking's cancellation is itself idempotent, so
    /// the page both worked on is cancelled once, and the counts come from where each booking
    /// ended, not from who moved it. If this fails part-way, the queue redelivers the request
    /// and the page is done again.
    pub async fn next_page(&self, id: &EventId) -> Result<PageDone, InfraError> {
        let Some(event) = self.catalog.get(id).await.map_err(unavailable)? else {
            return Ok(PageDone::Skipped);
        };
        if event.status != EventStatus::Cancelling {
            return Ok(PageDone::Skipped);
        }
        let mut progress = event.cancellation.clone().unwrap_or_default();
        let page = self
            .settlement
            .bookings
            .for_event(id, progress.after.as_ref(), PAGE)
            .await
            .map_err(unavailable)?;
        for outcome in self.cancel_all(&page).await? {
            match outcome {
                Outcome::Cancelled => progress.cancelled += 1,
                Outcome::Stopped => progress.stopped += 1,
                Outcome::Untouched => {}
            }
        }
        progress.bookings += page.len() as u64;
        if let Some(last) = page.last() {
            progress.after = Some(last.id.clone());
        }
        let now = self.settlement.clock.now();
        let finished = page.len() < PAGE;
        let mut next = event.clone();
        if finished {
            next.status = EventStatus::Cancelled;
            progress.finished_at = Some(now);
        }
        next.cancellation = Some(progress);
        next.version += 1;
        next.updated_at = now;
        match self.catalog.replace(&next, event.version, &[]).await {
            Ok(()) if finished => Ok(PageDone::Finished),
            Ok(()) => {
                self.queue.continue_cancellation(id).await?;
                Ok(PageDone::Continued)
            }
            Err(CatalogStoreError::VersionConflict) => Ok(PageDone::Skipped),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Cancels a page's bookings, [`CONCURRENCY`] at a time.
    async fn cancel_all(&self, page: &[Booking]) -> Result<Vec<Outcome>, InfraError> {
        let gate = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for booking in page {
            let (settlement, booking) = (self.settlement.clone(), booking.clone());
            let gate = gate.clone();
            tasks.spawn(async move {
                let _turn = gate.acquire_owned().await;
                cancel_one(&settlement, booking).await
            });
        }
        let mut outcomes = Vec::with_capacity(page.len());
        while let Some(done) = tasks.join_next().await {
            outcomes.push(done.map_err(unavailable)??);
        }
        Ok(outcomes)
    }
}

/// Cancels one booking of a cancelled event; safe to repeat. A pending booking is told to
/// stop: its saga's next step refuses and compensates (and its confirmation checks the event
/// anyway). A confirmed one (or one a failed attempt left cancelling) is settled.
async fn cancel_one(s: &Settlement, listed: Booking) -> Result<Outcome, InfraError> {
    let booking = change(
        s.bookings.as_ref(),
        s.clock.as_ref(),
        &listed.id,
        |b, now| {
            (b.status == BookingStatus::Pending && b.cancel_requested.is_none()).then(|| {
                let next = b.next(now, |n| n.cancel_requested = Some(REASON.into()));
                (next, vec![])
            })
        },
    )
    .await
    .map_err(unavailable)?;
    let booking = match booking.status {
        BookingStatus::Confirmed | BookingStatus::Cancelling => s.settle(booking, REASON).await?,
        _ => booking,
    };
    let ours = |r: &Option<String>| r.as_deref() == Some(REASON);
    Ok(match booking.status {
        BookingStatus::Cancelled if ours(&booking.reason) => Outcome::Cancelled,
        BookingStatus::Pending | BookingStatus::Failed if ours(&booking.cancel_requested) => {
            Outcome::Stopped
        }
        _ => Outcome::Untouched,
    })
}
