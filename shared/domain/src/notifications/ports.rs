//! What notifications need: a mailer.

use super::models::Email;
use crate::error::InfraError;
use async_trait::async_trait;

/// Sends one email and returns the provider's message id.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<String, InfraError>;
}
