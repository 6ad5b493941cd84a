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
}

pub struct Route {
    pub method: &'static str,
    /// API Gateway syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub function: Function,
}

pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/events",
        function: Function::CreateEvent,
    },
    Route {
        method: "GET",
        path: "/events",
        function: Function::SearchEvents,
    },
    Route {
        method: "GET",
        path: "/events/{eventId}",
        function: Function::GetEvent,
    },
    Route {
        method: "PATCH",
        path: "/events/{eventId}",
        function: Function::UpdateEvent,
    },
    Route {
        method: "POST",
        path: "/events/{eventId}/publish",
        function: Function::PublishEvent,
    },
    Route {
        method: "POST",
        path: "/events/{eventId}/holds",
        function: Function::HoldSeats,
    },
    Route {
        method: "DELETE",
        path: "/holds/{holdId}",
        function: Function::ReleaseHold,
    },
];

pub type HandlerFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

impl Function {
    pub const ALL: [Function; 7] = [
        Function::CreateEvent,
        Function::UpdateEvent,
        Function::PublishEvent,
        Function::SearchEvents,
        Function::GetEvent,
        Function::HoldSeats,
        Function::ReleaseHold,
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
        }
    }

    pub fn handle(self, app: Arc<App>, req: Request) -> HandlerFuture {
        match self {
            Self::CreateEvent => Box::pin(handlers::create_event(app, req)),
            Self::UpdateEvent => Box::pin(handlers::update_event(app, req)),
            Self::PublishEvent => Box::pin(handlers::publish_event(app, req)),
            Self::SearchEvents => Box::pin(handlers::search_events(app, req)),
            Self::GetEvent => Box::pin(handlers::get_event(app, req)),
            Self::HoldSeats => Box::pin(handlers::hold_seats(app, req)),
            Self::ReleaseHold => Box::pin(handlers::release_hold(app, req)),
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
