//! What every function that answers with a session shares (register, login, refresh, guest):
//! the identity use cases, the keys that sign the session's access token, the body limit, and
//! the answer itself.

use crate::auth::{Keyring, Signer, client_address};
use crate::request::json_body;
use crate::response::{respond, session_reply};
use crate::wiring::{Handler, Limits, Wiring, WiringError, accounts, http};
use lambda_http::Request;
use serde::de::DeserializeOwned;
use stagepass_domain::{Accounts, IdentityError, Session};
use std::future::Future;
use std::sync::Arc;

pub struct Sessions {
    pub accounts: Accounts,
    pub signer: Arc<Keyring<Signer>>,
    pub limits: Limits,
}

impl Sessions {
    pub async fn wire(w: &dyn Wiring) -> Result<Arc<Self>, WiringError> {
        Ok(Arc::new(Self {
            accounts: accounts(w)?,
            signer: w.access_signer().await?,
            limits: w.limits(),
        }))
    }

    /// The handler: reads the body as `T`, lets `start` make the session (given the client's
    /// address, for per-client limits) and answers it with `status` and the tokens.
    pub fn answer<T, F, Fut>(self: Arc<Self>, status: u16, start: F) -> Handler
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Arc<Self>, T, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Session, IdentityError>> + Send + 'static,
    {
        let start = Arc::new(start);
        http(move |req: Request| {
            let (sessions, start) = (self.clone(), start.clone());
            async move {
                respond(
                    async {
                        let input: T = json_body(&req, sessions.limits.max_body_bytes)?;
                        let session = start(sessions.clone(), input, client_address(&req)).await?;
                        session_reply(&*sessions.signer.get().await, status, &session)
                    }
                    .await,
                )
            }
        })
    }
}
