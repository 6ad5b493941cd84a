//! The route table: the one list of (method, path, function) that the local server serves and
//! that `template.yaml` must match (a test checks both ways).

use crate::app::App;
use crate::handlers;
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// One Lambda function per use case; the name is its folder under `functions/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    CreateEvent,
    UpdateEvent,
    PublishEvent,
    SearchEvents,
    GetEvent,
    HoldSeats,
    ReleaseHold,
    Register,
    Login,
    Refresh,
    Logout,
    GuestToken,
    Jwks,
    CreateAccount,
    Checkout,
    GetBooking,
    MyBookings,
    CancelBooking,
    CancelEvent,
    CheckIn,
}

/// Whether API Gateway runs the authorizer before the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A valid access token is needed; the function gets the caller from the authorizer.
    Token,
}

pub struct Route {
    pub method: &'static str,
    /// API Gateway syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub function: Function,
    pub access: Access,
}

const fn route(
    method: &'static str,
    path: &'static str,
    function: Function,
    access: Access,
) -> Route {
    Route {
        method,
        path,
        function,
        access,
    }
}

use Access::{Public, Token};

pub const ROUTES: &[Route] = &[
    route("POST", "/events", Function::CreateEvent, Token),
    route("GET", "/events", Function::SearchEvents, Public),
    route("GET", "/events/{eventId}", Function::GetEvent, Public),
    route("PATCH", "/events/{eventId}", Function::UpdateEvent, Token),
    route(
        "POST",
        "/events/{eventId}/publish",
        Function::PublishEvent,
        Token,
    ),
    route(
        "POST",
        "/events/{eventId}/holds",
        Function::HoldSeats,
        Token,
    ),
    route("DELETE", "/holds/{holdId}", Function::ReleaseHold, Token),
    route("POST", "/auth/register", Function::Register, Public),
    route("POST", "/auth/login", Function::Login, Public),
    route("POST", "/auth/refresh", Function::Refresh, Public),
    route("POST", "/auth/logout", Function::Logout, Token),
    route("POST", "/auth/guest", Function::GuestToken, Public),
    route("GET", "/.well-known/jwks.json", Function::Jwks, Public),
    route("POST", "/admin/accounts", Function::CreateAccount, Token),
    route("POST", "/bookings", Function::Checkout, Token),
    route("GET", "/bookings/{bookingId}", Function::GetBooking, Token),
    route("GET", "/me/bookings", Function::MyBookings, Token),
    route(
        "POST",
        "/bookings/{bookingId}/cancel",
        Function::CancelBooking,
        Token,
    ),
    route(
        "POST",
        "/events/{eventId}/cancel",
        Function::CancelEvent,
        Token,
    ),
    route("POST", "/checkins", Function::CheckIn, Token),
];

/// The token authorizer: a Lambda of its own, with no route.
pub const AUTHORIZER_FUNCTION: &str = "authorizer";

pub type HandlerFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

impl Function {
    pub const ALL: [Function; 20] = [
        Function::CreateEvent,
        Function::UpdateEvent,
        Function::PublishEvent,
        Function::SearchEvents,
        Function::GetEvent,
        Function::HoldSeats,
        Function::ReleaseHold,
        Function::Register,
        Function::Login,
        Function::Refresh,
        Function::Logout,
        Function::GuestToken,
        Function::Jwks,
        Function::CreateAccount,
        Function::Checkout,
        Function::GetBooking,
        Function::MyBookings,
        Function::CancelBooking,
        Function::CancelEvent,
        Function::CheckIn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CreateEvent => "create-event",
            Self::UpdateEvent => "update-event",
            Self::PublishEvent => "publish-event",
            Self::SearchEvents => "search-events",
            Self::GetEvent => "get-event",
            Self::HoldSeats => "hold-seats",
            Self::ReleaseHold => "release-hold",
            Self::Register => "register",
            Self::Login => "login",
            Self::Refresh => "refresh",
            Self::Logout => "logout",
            Self::GuestToken => "guest-token",
            Self::Jwks => "jwks",
            Self::CreateAccount => "create-account",
            Self::Checkout => "checkout",
            Self::GetBooking => "get-booking",
            Self::MyBookings => "my-bookings",
            Self::CancelBooking => "cancel-booking",
            Self::CancelEvent => "cancel-event",
            Self::CheckIn => "check-in",
        }
    }

    /// Routes that change something, and so honour `Idempotency-Key`.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Self::HoldSeats
                | Self::ReleaseHold
                | Self::Checkout
                | Self::CancelBooking
                | Self::CancelEvent
                | Self::CheckIn
        )
    }

    /// Functions that sign or verify tokens, and so read the signing keys.
    pub fn uses_keys(self) -> bool {
        matches!(
            self,
            Self::GetEvent
                | Self::CheckIn
                | Self::Checkout
                | Self::GetBooking
                | Self::MyBookings
                | Self::CancelBooking
                | Self::Register
                | Self::Login
                | Self::Refresh
                | Self::GuestToken
                | Self::Jwks
        )
    }

    /// Functions that read or write accounts, refresh tokens or rate-limit counters.
    pub fn uses_identity(self) -> bool {
        matches!(
            self,
            Self::Register
                | Self::Login
                | Self::Refresh
                | Self::Logout
                | Self::GuestToken
                | Self::CreateAccount
        )
    }

    pub fn handle(self, app: Arc<App>, req: Request) -> HandlerFuture {
        if self.is_mutating() {
            Box::pin(crate::idempotency::run(app, req, move |app, req| {
                self.handler(app, req)
            }))
        } else {
            self.handler(app, req)
        }
    }

    fn handler(self, app: Arc<App>, req: Request) -> HandlerFuture {
        use handlers::{bookings, events, identity};
        match self {
            Self::CreateEvent => Box::pin(events::create_event(app, req)),
            Self::UpdateEvent => Box::pin(events::update_event(app, req)),
            Self::PublishEvent => Box::pin(events::publish_event(app, req)),
            Self::SearchEvents => Box::pin(events::search_events(app, req)),
            Self::GetEvent => Box::pin(events::get_event(app, req)),
            Self::HoldSeats => Box::pin(events::hold_seats(app, req)),
            Self::ReleaseHold => Box::pin(events::release_hold(app, req)),
            Self::Register => Box::pin(identity::register(app, req)),
            Self::Login => Box::pin(identity::login(app, req)),
            Self::Refresh => Box::pin(identity::refresh(app, req)),
            Self::Logout => Box::pin(identity::logout(app, req)),
            Self::GuestToken => Box::pin(identity::guest_token(app, req)),
            Self::Jwks => Box::pin(identity::jwks(app, req)),
            Self::CreateAccount => Box::pin(identity::create_account(app, req)),
            Self::Checkout => Box::pin(bookings::checkout(app, req)),
            Self::GetBooking => Box::pin(bookings::get_booking(app, req)),
            Self::MyBookings => Box::pin(bookings::my_bookings(app, req)),
            Self::CancelBooking => Box::pin(bookings::cancel_booking(app, req)),
            Self::CancelEvent => Box::pin(bookings::cancel_event(app, req)),
            Self::CheckIn => Box::pin(bookings::check_in(app, req)),
        }
    }
}

/// Matches a concrete path against a route path, returning its path parameters.
pub fn match_path(route: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut want = route.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                params.push((w[1..w.len() - 1].to_string(), g.to_string()));
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// What API Gateway would do with a request: the route's function and path parameters, or
/// whether the path exists at all (for 404 versus 405).
pub enum Resolved {
    Found(&'static Route, Vec<(String, String)>),
    MethodNotAllowed,
    NotFound,
}

pub fn resolve(method: &str, path: &str) -> Resolved {
    let mut path_known = false;
    for route in ROUTES {
        if let Some(params) = match_path(route.path, path) {
            if route.method == method {
                return Resolved::Found(route, params);
            }
            path_known = true;
        }
    }
    if path_known {
        Resolved::MethodNotAllowed
    } else {
        Resolved::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_parameters() {
        assert_eq!(match_path("/events", "/events"), Some(vec![]));
        assert_eq!(
            match_path("/events/{eventId}/holds", "/events/abc/holds"),
            Some(vec![("eventId".into(), "abc".into())])
        );
        assert_eq!(match_path("/events/{eventId}", "/events/"), None);
        assert_eq!(match_path("/events/{eventId}", "/events/a/b"), None);
        assert!(
            matches!(resolve("GET", "/events/x"), Resolved::Found(r, _) if r.function == Function::GetEvent)
        );
        assert!(matches!(
            resolve("PUT", "/events/x"),
            Resolved::MethodNotAllowed
        ));
        assert!(matches!(resolve("GET", "/nope"), Resolved::NotFound));
    }

    #[test]
    fn every_function_has_exactly_one_route() {
        for f in Function::ALL {
            assert_eq!(
                ROUTES.iter().filter(|r| r.function == f).count(),
                1,
                "{}",
                f.name()
            );
        }
    }
}
