//! Emails to buyers, sent by a bus subscriber. Each event is mailed at most once: the event id
//! is claimed before sending, so a redelivered event finds its claim and sends nothing.

use super::ports::Mailer;
use crate::bookings::models::{Booking, BookingStatus};
use crate::bookings::ports::{BookingStore, TicketFiles};
use crate::clock::Clock;
use crate::error::InfraError;
use crate::idempotency::{Claim, IdempotencyStore, SavedResponse};
use crate::identity::actor::is_guest;
use crate::identity::inbox::guest_link;
use crate::identity::{Email, Link, LinkPurpose, LinkSigner};
use crate::integration::consumer::REMEMBER_DAYS;
use crate::integration::events::{IntegrationEvent, booking_of};
use chrono::Duration;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent(String),
    /// This event was already mailed.
    Duplicate,
    /// Not an event buyers are mailed about.
    Ignored,
}

pub struct Notifier {
    pub bookings: Arc<dyn BookingStore>,
    pub files: Arc<dyn TicketFiles>,
    pub mailer: Arc<dyn Mailer>,
    pub dedupe: Arc<dyn IdempotencyStore>,
    pub clock: Arc<dyn Clock>,
    /// Signs a guest's link to their bookings (accounts just log in).
    pub links: Arc<dyn LinkSigner>,
    /// The From address (a verified SES identity when deployed).
    pub from: String,
    /// The web app: the email links to `<public_url>/#/bookings/<id>`, which mints fresh
    /// ticket links when opened. (A presigned link in an email would outlive the credentials
    /// that signed it; the PDFs are attached anyway.)
    pub public_url: String,
}

/// The event types buyers are mailed about: what `notify`'s rule passes, and all it takes.
pub const NOTIFY_KINDS: &[&str] = &["BookingConfirmed", "BookingFailed", "BookingCancelled"];

/// A consumer that crashed mid-send loses its claim after this long, so the event is retried.
const LEASE_MINUTES: i64 = 5;

impl Notifier {
    pub async fn handle(&self, event: &IntegrationEvent) -> Result<Delivery, InfraError> {
        if !NOTIFY_KINDS.contains(&event.kind.as_str()) {
            return Ok(Delivery::Ignored);
        }
        let Some(booking_id) = booking_of(event) else {
            return Ok(Delivery::Ignored);
        };
        let key = format!("notify#{}", event.id);
        let now = self.clock.now();
        let lease = match self
            .dedupe
            .claim(
                &key,
                "notify",
                now,
                now + Duration::minutes(LEASE_MINUTES),
                now + Duration::days(REMEMBER_DAYS),
            )
            .await?
        {
            Claim::Started(lease) => lease,
            Claim::Done(_) | Claim::Mismatch => return Ok(Delivery::Duplicate),
            Claim::InFlight => {
                return Err(InfraError(format!(
                    "event {} is being mailed by another consumer",
                    event.id
                )));
            }
        };
        let sent = self.compose_and_send(event, &booking_id).await;
        match sent {
            Ok(message_id) => {
                let saved = SavedResponse {
                    status: 200,
                    body: message_id.clone(),
                    location: None,
                };
                // Saved or not (another consumer took over a lapsed lease), this mail was sent.
                self.dedupe.complete(&key, &lease.token, &saved).await?;
                Ok(Delivery::Sent(message_id))
            }
            Err(e) => {
                // Nothing was sent: let the redelivery try again.
                let _ = self.dedupe.abandon(&key, &lease.token).await;
                Err(e)
            }
        }
    }

    fn booking_link(&self, booking: &Booking) -> String {
        format!(
            "{}/#/bookings/{}",
            self.public_url.trim_end_matches('/'),
            booking.id
        )
    }

    /// Where the buyer opens the booking later: an account logs in; a guest gets a signed
    /// link of their own, which opens their bookings without an account until after the
    /// event (and which they can revoke there).
    async fn where_to_open(&self, booking: &Booking) -> Result<String, InfraError> {
        if !is_guest(&booking.buyer) {
            return Ok(format!(
                "Your booking, with each ticket's QR code and PDF (log in to see it):\n{}",
                self.booking_link(booking)
            ));
        }
        let email = Email::parse(&booking.email)
            .ok_or_else(|| InfraError(format!("booking {} has no valid email", booking.id)))?;
        let token = guest_link(
            self.links.as_ref(),
            &booking.buyer,
            &email,
            booking.starts_at,
            self.clock.now(),
        )
        .await?;
        Ok(format!(
            "Your bookings, with each ticket's QR code and PDF, open without an account at this link until a week after the event. It is for you only: anyone with it can see and cancel them (you can revoke it there):\n{}",
            Link::url(&self.public_url, LinkPurpose::GuestBookings, &token)
        ))
    }

    async fn compose_and_send(
        &self,
        event: &IntegrationEvent,
        id: &crate::bookings::models::BookingId,
    ) -> Result<String, InfraError> {
        let booking = self
            .bookings
            .get(id)
            .await
            .map_err(|e| InfraError(e.to_string()))?
            .ok_or_else(|| InfraError(format!("booking {id} not found")))?;
        let mut message = super::models::Email::new(&self.from, &booking.email, "");
        match event.kind.as_str() {
            "BookingConfirmed" => {
                message.subject = format!("Your tickets: {}", booking.event_title);
                for t in &booking.tickets {
                    let pdf =
                        self.files.get(&t.file_key).await?.ok_or_else(|| {
                            InfraError(format!("ticket file {} missing", t.file_key))
                        })?;
                    message.attach(&format!("ticket-{}.pdf", t.id), "application/pdf", pdf);
                }
                let open = self.where_to_open(&booking).await?;
                message.set_body(format!(
                    "{}\n\nYour booking {} is confirmed: {} ticket(s), {} paid with {}.\n\nYour tickets are attached. {open}\n\nShow the QR code at the door.\n",
                    headline(&booking),
                    booking.id,
                    booking.tickets.len(),
                    money(&booking),
                    booking.payment_label,
                ));
            }
            "BookingFailed" => {
                message.subject = format!(
                    "Your booking could not be completed: {}",
                    booking.event_title
                );
                message.set_body(format!(
                    "{}\n\nWe could not complete booking {} ({}). You have not been charged: any payment taken was refunded, and the seats were released.\n",
                    headline(&booking),
                    booking.id,
                    booking.reason.as_deref().unwrap_or("unknown reason"),
                ));
            }
            _ => {
                debug_assert_eq!(booking.status, BookingStatus::Cancelled);
                message.subject = format!("Booking cancelled: {}", booking.event_title);
                let why = match booking.reason.as_deref() {
                    Some("event_cancelled") => "The organiser cancelled the event.",
                    _ => "You cancelled it.",
                };
                message.set_body(format!(
                    "{}\n\nBooking {} is cancelled. {why} {} has been refunded to your {}; the tickets are void.\n",
                    headline(&booking),
                    booking.id,
                    money(&booking),
                    booking.payment_label,
                ));
            }
        }
        message
            .headers
            .push(("X-Stagepass-Event-Id".into(), event.id.clone()));
        self.mailer.send(&message).await
    }
}

fn headline(b: &Booking) -> String {
    format!(
        "{} - {} - {}",
        b.event_title,
        b.venue,
        b.starts_at.format("%Y-%m-%d %H:%M UTC")
    )
}

fn money(b: &Booking) -> String {
    format!("{} {}.{:02}", b.currency, b.total / 100, b.total % 100)
}
