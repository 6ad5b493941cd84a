//! Events, seat maps and holds.

use super::respond;
use crate::app::App;
use crate::auth::caller;
use crate::error::ApiError;
use crate::request::{idempotency_key, json_body, path_param, query_param};
use crate::response::json;
use crate::views::{EventSummary, EventView, HoldView};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use stagepass_domain::search::SearchParams;
use stagepass_domain::{DomainError, EventChanges, EventId, HoldId, HoldRequest, NewEvent};
use std::sync::Arc;

/// A malformed id cannot name an event: report it as not found, never pass it to a store.
fn event_id(req: &Request) -> Result<EventId, ApiError> {
    let raw = path_param(req, "eventId").unwrap_or_default();
    EventId::parse(&raw).ok_or_else(|| DomainError::EventNotFound(raw).into())
}

fn hold_id(req: &Request) -> Result<HoldId, ApiError> {
    let raw = path_param(req, "holdId").unwrap_or_default();
    HoldId::parse(&raw).ok_or_else(|| DomainError::HoldNotFound(raw).into())
}

/// POST /events — an organiser creates a draft.
pub async fn create_event(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let input: NewEvent = json_body(&req, app.max_body_bytes)?;
            let event = app.service.create_event(&organiser, input).await?;
            let mut response = json(201, &EventView::new(&event, None));
            response.headers_mut().insert(
                "location",
                format!("/events/{}", event.id)
                    .parse()
                    .expect("uuid path is a valid header"),
            );
            Ok(response)
        }
        .await,
    )
}

/// PATCH /events/{eventId} — change fields of a draft.
pub async fn update_event(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let changes: EventChanges = json_body(&req, app.max_body_bytes)?;
            let event = app.service.update_event(&organiser, &id, changes).await?;
            Ok(json(200, &EventView::new(&event, None)))
        }
        .await,
    )
}

/// POST /events/{eventId}/publish — validate the layout and put the event on sale.
pub async fn publish_event(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let organiser = caller(&req)?.require_organiser()?;
            let id = event_id(&req)?;
            let event = app.service.publish_event(&organiser, &id).await?;
            Ok(json(200, &EventView::new(&event, None)))
        }
        .await,
    )
}

/// GET /events — search published events.
pub async fn search_events(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let params = SearchParams {
                city: query_param(&req, "city"),
                category: query_param(&req, "category"),
                from: query_param(&req, "from"),
                to: query_param(&req, "to"),
                limit: query_param(&req, "limit"),
                cursor: query_param(&req, "cursor"),
            };
            let page = app.service.search(&params).await?;
            let events: Vec<EventSummary> = page.events.iter().map(EventSummary::from).collect();
            Ok(json(
                200,
                &json!({ "events": events, "next_cursor": page.next_cursor }),
            ))
        }
        .await,
    )
}

/// GET /events/{eventId} — details and live seat map. Drafts only for their organiser.
pub async fn get_event(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            // A public route: the authorizer does not run, so a token sent is checked here.
            let viewer = if req.headers().contains_key(http::header::AUTHORIZATION) {
                app.tokens()?.optional_caller(&req)?.map(|p| p.actor())
            } else {
                None
            };
            let id = event_id(&req)?;
            let (event, map) = app.service.event_detail(viewer.as_ref(), &id).await?;
            Ok(json(200, &EventView::new(&event, Some(&map))))
        }
        .await,
    )
}

/// POST /events/{eventId}/holds — hold seats and/or GA places, all or nothing.
pub async fn hold_seats(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let holder = caller(&req)?;
            holder.require_buyer()?;
            let id = event_id(&req)?;
            let key = idempotency_key(&req)?;
            let request: HoldRequest = json_body(&req, app.max_body_bytes)?;
            let outcome = app
                .service
                .hold(&holder.user, &id, &request, key.as_deref())
                .await?;
            let status = if outcome.created { 201 } else { 200 };
            Ok(json(
                status,
                &HoldView::new(&outcome.hold, app.service.now()),
            ))
        }
        .await,
    )
}

/// DELETE /holds/{holdId} — the holder gives the seats back.
pub async fn release_hold(app: Arc<App>, req: Request) -> Response<Body> {
    respond(
        async {
            let holder = caller(&req)?;
            holder.require_buyer()?;
            let id = hold_id(&req)?;
            let hold = app.service.release(&holder.user, &id).await?;
            Ok(json(200, &HoldView::new(&hold, app.service.now())))
        }
        .await,
    )
}
