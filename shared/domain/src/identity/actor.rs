//! Who is asking, as the use cases see it (the HTTP layer makes one from a verified token).

use crate::catalog::Event;
use crate::ids::UserId;

/// Organisers see and change only their own events; admins any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub admin: bool,
}

impl Actor {
    pub fn may_manage(&self, event: &Event) -> bool {
        self.admin || event.organiser == self.user
    }
}
