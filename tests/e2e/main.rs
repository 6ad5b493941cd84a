//! End-to-end tests over HTTP against the local server (the same handlers API Gateway calls),
//! plus checks that the local routes, `template.yaml` and `events/` agree.

mod attacks;
mod bookings;
mod concurrency;
mod cors;
mod errors;
mod identity;
mod integration_events;
mod journey;
mod saga_faults;
mod wiring;
