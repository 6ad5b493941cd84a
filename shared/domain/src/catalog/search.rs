//! Search parameters for published events, and the opaque pagination cursor.

use super::error::CatalogError;
use super::ports::ListingQuery;
use crate::catalog::event::{Category, city_key, timestamp_key};
use crate::ids::EventId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// Raw query-string values, as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub city: Option<String>,
    pub category: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, CatalogError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            CatalogError::invalid(
                field,
                "must be an RFC 3339 time such as 2027-03-01T19:30:00Z",
            )
        })
}

impl SearchParams {
    /// Builds the store query. `limit + 1` events are asked for so the caller knows whether
    /// another page exists. Without `from`, only events that have not started are listed.
    pub fn to_query(&self, now: DateTime<Utc>) -> Result<(ListingQuery, usize), CatalogError> {
        let city_key = match self.city.as_deref().map(city_key) {
            Some(c) if c.is_empty() || c.chars().count() > 100 => {
                return Err(CatalogError::invalid("city", "must be 1-100 characters"));
            }
            other => other,
        };
        let category = self
            .category
            .as_deref()
            .map(|c| {
                Category::parse(c).ok_or_else(|| {
                    CatalogError::invalid(
                        "category",
                        "must be one of concert, sports, theatre, comedy, festival, other",
                    )
                })
            })
            .transpose()?;
        let from = match &self.from {
            Some(raw) => parse_time("from", raw)?,
            None => now,
        };
        let to = self
            .to
            .as_deref()
            .map(|raw| parse_time("to", raw))
            .transpose()?;
        if let Some(to) = to
            && to < from
        {
            return Err(CatalogError::invalid("to", "must not be before from"));
        }
        let limit = match &self.limit {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    CatalogError::invalid(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                    )
                })?,
        };
        let mut from_key = timestamp_key(from);
        if let Some(cursor) = &self.cursor {
            // Start keys are fixed width, so appending the lowest printable character gives the
            // smallest key after the cursor: the page starts strictly after the last one seen.
            let after = format!("{} ", decode_cursor(cursor)?);
            from_key = from_key.max(after);
        }
        // '~' sorts after '#' and every id character: the whole last second is included.
        let to_key = to.map_or_else(|| "9999".to_string(), |t| format!("{}~", timestamp_key(t)));
        let query = ListingQuery {
            city_key,
            category,
            from_key,
            to_key,
            limit: limit + 1,
        };
        Ok((query, limit))
    }
}

pub fn encode_cursor(start_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(start_key)
}

/// A cursor is only ever a start key we made: anything else is refused, not passed to a store.
pub fn decode_cursor(cursor: &str) -> Result<String, CatalogError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| CatalogError::InvalidCursor)?;
    let key = String::from_utf8(bytes).map_err(|_| CatalogError::InvalidCursor)?;
    let (time, id) = key.split_once('#').ok_or(CatalogError::InvalidCursor)?;
    let valid = DateTime::parse_from_rfc3339(time).is_ok()
        && time.len() == 20
        && EventId::parse(id).is_some();
    if valid {
        Ok(key)
    } else {
        Err(CatalogError::InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::event::start_key;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let key = start_key(Utc::now(), &EventId::generate());
        assert_eq!(decode_cursor(&encode_cursor(&key)).unwrap(), key);
        for junk in [
            "",
            "!!!",
            &encode_cursor("hello"),
            &encode_cursor("2027-01-01T00:00:00Z#x"),
        ] {
            assert_eq!(
                decode_cursor(junk),
                Err(CatalogError::InvalidCursor),
                "{junk}"
            );
        }
    }

    #[test]
    fn params_are_validated() {
        let now = Utc::now();
        let bad = [
            SearchParams {
                limit: Some("0".into()),
                ..Default::default()
            },
            SearchParams {
                limit: Some("101".into()),
                ..Default::default()
            },
            SearchParams {
                limit: Some("ten".into()),
                ..Default::default()
            },
            SearchParams {
                category: Some("opera!".into()),
                ..Default::default()
            },
            SearchParams {
                from: Some("yesterday".into()),
                ..Default::default()
            },
            SearchParams {
                city: Some("   ".into()),
                ..Default::default()
            },
            SearchParams {
                from: Some("2027-02-01T00:00:00Z".into()),
                to: Some("2027-01-01T00:00:00Z".into()),
                ..Default::default()
            },
        ];
        for p in bad {
            assert!(p.to_query(now).is_err(), "{p:?}");
        }
        let (q, limit) = SearchParams {
            city: Some(" LONDON ".into()),
            category: Some("concert".into()),
            ..Default::default()
        }
        .to_query(now)
        .unwrap();
        assert_eq!(limit, DEFAULT_PAGE_SIZE);
        assert_eq!(q.limit, DEFAULT_PAGE_SIZE + 1);
        assert_eq!(q.city_key.as_deref(), Some("london"));
        assert_eq!(q.category, Some(Category::Concert));
    }

    #[test]
    fn cursor_moves_the_lower_bound_past_the_last_key() {
        let now = Utc::now();
        let last = start_key(now + chrono::Duration::days(3), &EventId::generate());
        let (q, _) = SearchParams {
            cursor: Some(encode_cursor(&last)),
            ..Default::default()
        }
        .to_query(now)
        .unwrap();
        assert!(q.from_key.as_str() > last.as_str());
        let next = start_key(now + chrono::Duration::days(3), &EventId::generate());
        if next > last {
            assert!(next >= q.from_key);
        }
    }
}
