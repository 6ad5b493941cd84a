//! `get-sales`: the organiser's view of an event's sales, from the subscriber's tally.

use super::models::{SalesCounts, SalesTally};
use super::ports::SalesLedger;
use crate::catalog::CatalogError;
use crate::catalog::EventCatalog;
use crate::catalog::organise::managed_event;
use crate::error::{ErrorKind, Failure, InfraError};
use crate::identity::Actor;
use crate::ids::EventId;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SalesError {
    /// Also what someone who may not manage the event is told.
    #[error("event {0} not found")]
    EventNotFound(String),
    #[error("storage is unavailable: {0}")]
    Unavailable(#[from] InfraError),
}

impl Failure for SalesError {
    fn code(&self) -> &'static str {
        match self {
            Self::EventNotFound(_) => "event_not_found",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::EventNotFound(_) => ErrorKind::NotFound,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }
}

pub struct ViewSales {
    pub catalog: Arc<dyn EventCatalog>,
    pub ledger: Arc<dyn SalesLedger>,
}

impl ViewSales {
    /// The event's tally and its capacity (seats and places), for its organiser or an admin;
    /// an event with no booking events counted yet has an all-zero tally.
    pub async fn view(&self, actor: &Actor, id: &EventId) -> Result<(SalesTally, u64), SalesError> {
        let event = managed_event(self.catalog.as_ref(), actor, id)
            .await
            .map_err(|e| match e {
                CatalogError::Unavailable(e) => SalesError::Unavailable(e),
                _ => SalesError::EventNotFound(id.to_string()),
            })?;
        let tally = self.ledger.tally(id).await?.unwrap_or(SalesTally {
            event_id: event.id.clone(),
            currency: event.currency.clone(),
            counts: SalesCounts::default(),
            updated_at: event.created_at,
        });
        Ok((tally, event.layout.unit_count()))
    }
}
