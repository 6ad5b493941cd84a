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

/// Someone buying: who, and where their tickets go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub user: UserId,
    pub email: String,
}

impl Buyer {
    /// Whom a buyer's request rates count against: their account, or for a guest (a fresh
    /// user id with every guest token) the email their tickets go to.
    pub fn rate_key(&self) -> String {
        if is_guest(&self.user) {
            format!("email:{}", self.email.to_lowercase())
        } else {
            format!("user:{}", self.user)
        }
    }
}

/// Guest user ids start with this (`Accounts::guest` makes them).
pub const GUEST_PREFIX: &str = "guest-";

/// Whether a user id is a guest's (made by a guest token) rather than an account's.
pub fn is_guest(user: &UserId) -> bool {
    user.as_str().starts_with(GUEST_PREFIX)
}
