//! What notifications need: a mailer.

use crate::error::InfraError;
use async_trait::async_trait;

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, to: &str, raw_mime: Vec<u8>) -> Result<String, InfraError>;
}
