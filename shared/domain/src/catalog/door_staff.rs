//! An organiser (or admin) assigns door-staff accounts to an event, and takes them off it.
//! Check-in admits a ticket only for door staff assigned to its event (or an admin), so a
//! door account of one venue cannot admit — or burn — tickets of another organiser's event.

use super::error::CatalogError;
use super::event::{DoorStaff, Event};
use super::organise::managed_event;
use super::ports::{CatalogStoreError, EventCatalog};
use crate::clock::Clock;
use crate::error::{ErrorKind, Failure, InfraError, unavailable};
use crate::identity::{Actor, Email, IdentityStore, Role};
use crate::ids::{EventId, UserId};
use std::sync::Arc;
use thiserror::Error;

/// Door-staff accounts one event may have: a stadium's gates with room to spare, and a bound
/// on what the event item carries.
pub const MAX_DOOR_STAFF: usize = 200;

/// Tries of one change. A try fails only when another write to the event (an assignment, a
/// publish, an edit) landed between its read and its write, so a change always lands unless
/// this many other writes land while it runs: ten people staffing one event at once all
/// succeed. Past that the answer is 409 `concurrent_modification`, to retry.
const ATTEMPTS: usize = 10;

/// Why door staff could not be assigned or taken off.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DoorStaffError {
    #[error("email: not an email address")]
    InvalidEmail,
    /// Also what someone who may not manage the event is told.
    #[error("event {0} not found")]
    EventNotFound(String),
    /// No account has this email, or it has no door role: the two read the same, so an
    /// organiser cannot use the route to learn who has an account.
    #[error("no door-staff account has this email")]
    DoorAccountNotFound,
    #[error("the event already has {MAX_DOOR_STAFF} door-staff accounts")]
    TooManyDoorStaff,
    #[error("event is cancelled; its tickets no longer scan")]
    EventCancelled,
    #[error("the event was changed by other requests; try again")]
    ConcurrentModification,
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl Failure for DoorStaffError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidEmail => "invalid_field",
            Self::EventNotFound(_) => "event_not_found",
            Self::DoorAccountNotFound => "door_account_not_found",
            Self::TooManyDoorStaff => "door_staff_limit_reached",
            Self::EventCancelled => "event_cancelled",
            Self::ConcurrentModification => "concurrent_modification",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidEmail => ErrorKind::Invalid,
            Self::EventNotFound(_) | Self::DoorAccountNotFound => ErrorKind::NotFound,
            Self::TooManyDoorStaff | Self::EventCancelled | Self::ConcurrentModification => {
                ErrorKind::Conflict
            }
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }
}

impl From<CatalogError> for DoorStaffError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::EventNotFound(id) => Self::EventNotFound(id),
            CatalogError::EventCancelled => Self::EventCancelled,
            CatalogError::ConcurrentModification => Self::ConcurrentModification,
            CatalogError::Unavailable(e) => Self::Unavailable(e),
            // Reading an event or replacing its staff raises none of the others.
            other => Self::Unavailable(InfraError(other.to_string())),
        }
    }
}

pub struct AssignDoorStaff {
    pub catalog: Arc<dyn EventCatalog>,
    /// Where the door account is looked up by email.
    pub identity: Arc<dyn IdentityStore>,
    pub clock: Arc<dyn Clock>,
}

impl AssignDoorStaff {
    /// Assigns the door-staff account with this email to the event; assigning it again
    /// changes nothing. Returns the event as it now is.
    pub async fn assign(
        &self,
        actor: &Actor,
        id: &EventId,
        email: &str,
    ) -> Result<Event, DoorStaffError> {
        let email = Email::parse(email).ok_or(DoorStaffError::InvalidEmail)?;
        // Who may manage the event is checked before the account is looked up, so someone
        // else's event answers 404 whatever email is sent.
        managed_event(self.catalog.as_ref(), actor, id).await?;
        let account = self
            .identity
            .account_by_email(&email)
            .await
            .map_err(unavailable)?
            .filter(|a| a.roles.contains(&Role::Door))
            .ok_or(DoorStaffError::DoorAccountNotFound)?;
        let staff = DoorStaff {
            user: account.id,
            email: account.email.as_str().to_string(),
        };
        change_staff(
            self.catalog.as_ref(),
            self.clock.as_ref(),
            actor,
            id,
            |list| {
                if list.iter().any(|d| d.user == staff.user) {
                    return Ok(false);
                }
                if list.len() >= MAX_DOOR_STAFF {
                    return Err(DoorStaffError::TooManyDoorStaff);
                }
                list.push(staff.clone());
                Ok(true)
            },
        )
        .await
    }
}

pub struct RemoveDoorStaff {
    pub catalog: Arc<dyn EventCatalog>,
    pub clock: Arc<dyn Clock>,
}

impl RemoveDoorStaff {
    /// Takes the account with this user id off the event's door staff; taking off one who is
    /// not on it changes nothing. Returns the event as it now is.
    pub async fn remove(
        &self,
        actor: &Actor,
        id: &EventId,
        user: &UserId,
    ) -> Result<Event, DoorStaffError> {
        change_staff(
            self.catalog.as_ref(),
            self.clock.as_ref(),
            actor,
            id,
            |list| {
                let before = list.len();
                list.retain(|d| &d.user != user);
                Ok(list.len() != before)
            },
        )
        .await
    }
}

/// Reads the event, edits its list (`edit` says whether it changed anything) and writes it at
/// the version read, again from a fresh read if another write got in between.
async fn change_staff(
    catalog: &dyn EventCatalog,
    clock: &dyn Clock,
    actor: &Actor,
    id: &EventId,
    mut edit: impl FnMut(&mut Vec<DoorStaff>) -> Result<bool, DoorStaffError>,
) -> Result<Event, DoorStaffError> {
    for _ in 0..ATTEMPTS {
        let event = managed_event(catalog, actor, id).await?;
        let mut staff = event.door_staff.clone();
        if !edit(&mut staff)? {
            return Ok(event);
        }
        let next = event.with_door_staff(staff, clock.now())?;
        match catalog.replace(&next, event.version, &[]).await {
            Ok(()) => return Ok(next),
            Err(CatalogStoreError::VersionConflict) => continue,
            Err(e) => return Err(CatalogError::from(e).into()),
        }
    }
    Err(DoorStaffError::ConcurrentModification)
}
