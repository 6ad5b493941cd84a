use crate::{Item, Outcome, describe, get_s, n, s, transact};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use stagepass_domain::IntegrationEvent;
use stagepass_domain::{CatalogStoreError, EventCatalog, ListingQuery};
use stagepass_domain::{Event, EventId, EventStatus};
use std::collections::HashMap;

pub const BY_START_INDEX: &str = "by_start";
pub const BY_CITY_INDEX: &str = "by_city";
const LISTED: &str = "PUBLISHED";

#[derive(Clone)]
pub struct DynamoCatalog {
    client: Client,
    table: String,
    /// The bookings table, whose outbox gets `EventPublished` and `EventCancelled`; only the
    /// functions that publish or cancel are given it.
    outbox: Option<String>,
}

impl DynamoCatalog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            outbox: None,
        }
    }

    /// Lets writes put their events in the outbox of `bookings_table`.
    pub fn with_outbox(mut self, bookings_table: Option<String>) -> Self {
        self.outbox = bookings_table;
        self
    }
}

fn to_item(event: &Event) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(event.id.as_str())),
        (
            "data".to_string(),
            s(serde_json::to_string(event).expect("events serialise")),
        ),
        ("version".to_string(), n(event.version)),
        // Top level so a booking's confirmation can check it in its own transaction.
        ("status".to_string(), s(event.status.as_str())),
    ]);
    // Only published events carry the index keys, so the GSIs hold nothing else.
    if event.status == EventStatus::Published {
        item.insert("listing".into(), s(LISTED));
        item.insert("city_key".into(), s(event.city_key()));
        item.insert("start_key".into(), s(event.start_key()));
        item.insert("category".into(), s(event.category.as_str()));
    }
    item
}

fn from_item(item: &Item) -> Result<Event, CatalogStoreError> {
    let data = get_s(item, "data").map_err(CatalogStoreError::Unavailable)?;
    serde_json::from_str(data)
        .map_err(|e| CatalogStoreError::Unavailable(format!("stored event unreadable: {e}")))
}

fn put_failed(
    e: aws_sdk_dynamodb::error::SdkError<PutItemError>,
    on_condition: CatalogStoreError,
) -> CatalogStoreError {
    match e.into_service_error() {
        PutItemError::ConditionalCheckFailedException(_) => on_condition,
        other => CatalogStoreError::Unavailable(describe(other)),
    }
}

impl DynamoCatalog {
    /// The versioned put and the events' outbox items in one transaction.
    async fn replace_with_events(
        &self,
        event: &Event,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), CatalogStoreError> {
        let Some(outbox) = &self.outbox else {
            return Err(CatalogStoreError::Unavailable(
                "no outbox table (BOOKINGS_TABLE) configured".into(),
            ));
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(event)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .expect("table and item set");
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        items.extend(crate::outbox::outbox_items(outbox, events));
        match transact(&self.client, items)
            .await
            .map_err(CatalogStoreError::Unavailable)?
        {
            Outcome::Done => Ok(()),
            // The version moved (or a write raced ours): the caller reloads.
            Outcome::Cancelled(r) if r.first().is_some_and(|(f, c)| *f || *c) => {
                Err(CatalogStoreError::VersionConflict)
            }
            Outcome::Cancelled(r) => Err(CatalogStoreError::Unavailable(format!(
                "event write cancelled by its outbox items: {r:?}"
            ))),
        }
    }
}

#[async_trait]
impl EventCatalog for DynamoCatalog {
    async fn insert(&self, event: &Event) -> Result<(), CatalogStoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(event)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| put_failed(e, CatalogStoreError::AlreadyExists))?;
        Ok(())
    }

    async fn get(&self, id: &EventId) -> Result<Option<Event>, CatalogStoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| CatalogStoreError::Unavailable(describe(e.into_service_error())))?;
        out.item.as_ref().map(from_item).transpose()
    }

    async fn replace(
        &self,
        event: &Event,
        expected_version: u64,
        events: &[IntegrationEvent],
    ) -> Result<(), CatalogStoreError> {
        if !events.is_empty() {
            return self
                .replace_with_events(event, expected_version, events)
                .await;
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(event)))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await
            .map_err(|e| put_failed(e, CatalogStoreError::VersionConflict))?;
        Ok(())
    }

    async fn list_published(&self, query: &ListingQuery) -> Result<Vec<Event>, CatalogStoreError> {
        let mut out = Vec::new();
        if query.from_key > query.to_key {
            return Ok(out);
        }
        let (index, hash_attr, hash_value) = match &query.city_key {
            Some(city) => (BY_CITY_INDEX, "city_key", city.clone()),
            None => (BY_START_INDEX, "listing", LISTED.to_string()),
        };
        let mut start_key: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#h = :h AND start_key BETWEEN :from AND :to")
                .expression_attribute_names("#h", hash_attr)
                .expression_attribute_values(":h", s(&hash_value))
                .expression_attribute_values(":from", s(&query.from_key))
                .expression_attribute_values(":to", s(&query.to_key))
                .set_exclusive_start_key(start_key.take());
            if let Some(category) = query.category {
                request = request
                    .filter_expression("category = :category")
                    .expression_attribute_values(":category", s(category.as_str()));
            } else {
                request = request.limit(query.limit as i32);
            }
            let page = request
                .send()
                .await
                .map_err(|e| CatalogStoreError::Unavailable(describe(e.into_service_error())))?;
            for item in page.items() {
                out.push(from_item(item)?);
                if out.len() >= query.limit {
                    return Ok(out);
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start_key = Some(key),
                _ => return Ok(out),
            }
        }
    }
}
