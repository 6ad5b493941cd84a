//! Identifiers. Ids made by Stagepass are UUIDs; ids given in layouts are short names.

use serde::{Deserialize, Serialize};

/// The namespace of every id Stagepass derives from what it names (UUID v5, RFC 9562).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x9f3c_1d6e_7b2a_4c58_a1e0_5e7a_c3b9_d401);

/// An id that is the same every time it is derived from the same name: a retry finds what the
/// first attempt made instead of making a second one.
pub fn derived_id(name: &str) -> String {
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}
use crate::KeyUse;
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An event's id: a UUID made at creation.
    EventId
);
string_id!(
    /// A hold's id: a UUID, or derived from the holder and their Idempotency-Key.
    HoldId
);
string_id!(
    /// The `sub` of a verified token.
    UserId
);

/// Only the lower-case hyphenated UUID form Stagepass makes is accepted, so hostile path
/// segments never reach a store key.
fn canonical_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw)
        .ok()
        .filter(|u| u.hyphenated().to_string() == raw)
        .map(|_| raw.to_string())
}

impl EventId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        canonical_uuid(raw).map(Self)
    }
}

impl HoldId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// A hold id that is the same every time one holder retries with one Idempotency-Key.
    pub fn for_idempotency_key(holder: &UserId, key: &str) -> Self {
        Self(derived_id(&format!("hold\0{holder}\0{key}")))
    }

    /// The hold id of a later use of a key (used again after it expired), when the first
    /// use's hold still exists: it also names when this use began.
    pub fn for_key_reuse(holder: &UserId, key: &KeyUse) -> Self {
        Self(derived_id(&format!(
            "hold\0{holder}\0{}\0{}",
            key.key,
            key.since.timestamp_millis()
        )))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        canonical_uuid(raw).map(Self)
    }
}

impl UserId {
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str, since_ms: i64) -> KeyUse {
        KeyUse {
            key: key.into(),
            since: chrono::DateTime::from_timestamp_millis(since_ms).unwrap(),
        }
    }

    #[test]
    fn idempotent_hold_ids_are_stable_per_holder_and_key() {
        let a = UserId::new("fan-a");
        let b = UserId::new("fan-b");
        assert_eq!(
            HoldId::for_idempotency_key(&a, "k1"),
            HoldId::for_idempotency_key(&a, "k1")
        );
        assert_ne!(
            HoldId::for_idempotency_key(&a, "k1"),
            HoldId::for_idempotency_key(&b, "k1")
        );
        assert_ne!(
            HoldId::for_idempotency_key(&a, "k1"),
            HoldId::for_idempotency_key(&a, "k2")
        );
        assert_ne!(
            HoldId::for_key_reuse(&a, &key("k1", 0)),
            HoldId::for_key_reuse(&a, &key("k1", 1)),
            "each use of a key has its own"
        );
        assert_ne!(
            HoldId::for_key_reuse(&a, &key("k1", 0)),
            HoldId::for_idempotency_key(&a, "k1")
        );
        assert!(HoldId::parse(HoldId::for_idempotency_key(&a, "k1").as_str()).is_some());
        assert!(HoldId::parse(HoldId::for_key_reuse(&a, &key("k1", 0)).as_str()).is_some());
    }

    #[test]
    fn only_canonical_uuids_are_event_ids() {
        let id = EventId::generate();
        assert!(EventId::parse(id.as_str()).is_some());
        for bad in ["", "x", "../../etc", "EVT#1", &id.as_str().to_uppercase()] {
            assert!(EventId::parse(bad).is_none(), "{bad}");
        }
    }
}
