//! Signing keys: Ed25519 (JWT `alg` EdDSA), each with a `kid`. Two private key sets, kept
//! outside the repo (Secrets Manager in AWS, files under the data folder locally), one for
//! access tokens and one for tickets, and one public document with the public halves of both:
//!
//! ```json
//! {"active": "k2", "keys": [
//!   {"kid": "k2", "private_key": "<base64 PKCS#8>", "signs_from": "2026-11-24T10:10:00Z"},
//!   {"kid": "k1", "private_key": "<base64 PKCS#8>", "retired_at": "2026-11-24T10:10:00Z"}
//! ]}
//! ```
//!
//! Only the functions that sign read a private set; everything that only verifies reads
//! [`PublicKeys`]. A rotation adds a key that starts signing [`ACTIVATION_DELAY`] later, so
//! every verifier has reloaded the public keys (they cache them for at most
//! [`KEY_CACHE_TTL`]) before the first token signed with it reaches them. Until then the
//! previous key signs. Retired access keys are kept while tokens they signed can be alive;
//! retired ticket keys until every event they signed tickets for is over.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration as StdDuration;

/// How long a function keeps a key document before reading it again.
pub const KEY_CACHE_TTL: StdDuration = StdDuration::from_secs(300);
/// How long after a rotation the new key starts signing: twice the cache lifetime, so a
/// verifier that read the keys just before the rotation has read them again.
pub const ACTIVATION_DELAY: StdDuration = StdDuration::from_secs(600);
/// A retired access key verifies for this long after it stopped signing: the longest token
/// lifetime (a guest's hour) and the clock leeway.
pub const ACCESS_KEY_RETENTION_SECS: i64 = 60 * 60 + 60;
/// A retired ticket key verifies for this long after it stopped signing: events start at
/// most [`stagepass_domain::catalog::MAX_DAYS_AHEAD`] days after their tickets are sold, and a
/// day is left for the event itself.
pub const TICKET_KEY_RETENTION_DAYS: i64 = stagepass_domain::catalog::MAX_DAYS_AHEAD + 1;

/// Which key set: their retired keys are kept for different times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    Access,
    Tickets,
}

/// Two years of monthly ticket-key rotations fit.
pub const MAX_KEYS: usize = 32;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySet {
    pub active: String,
    pub keys: Vec<KeyEntry>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub kid: String,
    /// Base64 PKCS#8 (v1 or v2) Ed25519 private key. Only keys that sign need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// Base64url raw public key (the JWK `x`). Derived from the private key when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// When the key starts signing (absent: it already does). Set by a rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signs_from: Option<DateTime<Utc>>,
    /// When the key stopped signing (a later key took over): it verifies for a while longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
}

/// Never prints key material, so a key set can be logged by mistake without harm.
impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A checked key: its id, raw public key, and PKCS#8 private key if it has one.
pub struct LoadedKey {
    pub kid: String,
    pub public: Vec<u8>,
    pub private_pkcs8: Option<Vec<u8>>,
    pub signs_from: Option<DateTime<Utc>>,
}

fn valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl KeySet {
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("signing key set is not valid: {e}"))
    }

    /// Checks every key and returns them, active first. Errors name what is wrong (never the
    /// key material).
    pub fn load(&self) -> Result<Vec<LoadedKey>, String> {
        let mut loaded = self.load_entries()?;
        let active = loaded
            .iter()
            .position(|k| k.kid == self.active)
            .ok_or_else(|| format!("active key {} is not in the set", self.active))?;
        if loaded[active].private_pkcs8.is_none() {
            return Err(format!("active key {} has no private_key", self.active));
        }
        // An active key that is not signing yet needs one that signs meanwhile.
        if loaded[active].signs_from.is_some()
            && !loaded
                .iter()
                .any(|k| k.kid != self.active && k.private_pkcs8.is_some())
        {
            return Err(format!(
                "active key {} signs later and no other key has a private_key",
                self.active
            ));
        }
        loaded.swap(0, active);
        Ok(loaded)
    }

    fn load_entries(&self) -> Result<Vec<LoadedKey>, String> {
        if self.keys.is_empty() || self.keys.len() > MAX_KEYS {
            return Err(format!("a key set holds 1 to {MAX_KEYS} keys"));
        }
        let mut loaded: Vec<LoadedKey> = Vec::new();
        for entry in &self.keys {
            if !valid_kid(&entry.kid) {
                return Err(format!(
                    "key id {:?} must be 1-64 of A-Z a-z 0-9 - _ .",
                    entry.kid
                ));
            }
            if loaded.iter().any(|k| k.kid == entry.kid) {
                return Err(format!("key id {} appears twice", entry.kid));
            }
            let private_pkcs8 = entry
                .private_key
                .as_deref()
                .map(|b64| {
                    STANDARD
                        .decode(b64.trim())
                        .map_err(|_| format!("key {}: private_key is not base64", entry.kid))
                })
                .transpose()?;
            let derived = private_pkcs8
                .as_deref()
                .map(|der| {
                    Ed25519KeyPair::from_pkcs8(der)
                        .map(|pair| pair.public_key().as_ref().to_vec())
                        .map_err(|_| {
                            format!(
                                "key {}: private_key is not an Ed25519 PKCS#8 key",
                                entry.kid
                            )
                        })
                })
                .transpose()?;
            let given = entry
                .public_key
                .as_deref()
                .map(|b64| {
                    URL_SAFE_NO_PAD
                        .decode(b64.trim())
                        .ok()
                        .filter(|raw| raw.len() == 32)
                        .ok_or_else(|| {
                            format!("key {}: public_key is not 32 base64url bytes", entry.kid)
                        })
                })
                .transpose()?;
            let public = match (derived, given) {
                (Some(d), Some(g)) if d != g => {
                    return Err(format!(
                        "key {}: public_key does not match private_key",
                        entry.kid
                    ));
                }
                (Some(d), _) => d,
                (None, Some(g)) => g,
                (None, None) => {
                    return Err(format!(
                        "key {} needs a private_key or a public_key",
                        entry.kid
                    ));
                }
            };
            loaded.push(LoadedKey {
                kid: entry.kid.clone(),
                public,
                private_pkcs8,
                signs_from: entry.signs_from,
            });
        }
        Ok(loaded)
    }

    /// A new set with one fresh key.
    pub fn generate() -> Self {
        let entry = new_key();
        Self {
            active: entry.kid.clone(),
            keys: vec![entry],
        }
    }

    /// Rotation at `now`: a fresh key becomes active, signing from `now + delay`
    /// ([`ACTIVATION_DELAY`] deployed); the key it replaces keeps its private key and signs
    /// until then. Keys retired before keep only their public half, and are dropped once
    /// nothing they signed can still be valid (see [`KeyUse`]). A rotation while the last one
    /// is still waiting to activate is refused: that key has not signed yet.
    pub fn rotated(
        &self,
        use_: KeyUse,
        now: DateTime<Utc>,
        delay: StdDuration,
    ) -> Result<Self, String> {
        let loaded = self.load()?;
        if let Some(from) = loaded[0].signs_from.filter(|from| *from > now) {
            return Err(format!(
                "key {} starts signing at {from}: rotate again after that",
                self.active
            ));
        }
        let activates = now + Duration::from_std(delay).map_err(|e| e.to_string())?;
        let keep_for = match use_ {
            KeyUse::Access => Duration::seconds(ACCESS_KEY_RETENTION_SECS),
            KeyUse::Tickets => Duration::days(TICKET_KEY_RETENTION_DAYS),
        };
        let mut fresh = new_key();
        fresh.signs_from = Some(activates);
        let mut keys = vec![fresh.clone()];
        for entry in &self.keys {
            let key = loaded
                .iter()
                .find(|k| k.kid == entry.kid)
                .expect("load returns every entry");
            let public_key = Some(URL_SAFE_NO_PAD.encode(&key.public));
            if entry.kid == self.active {
                keys.push(KeyEntry {
                    kid: entry.kid.clone(),
                    private_key: entry.private_key.clone(),
                    public_key,
                    signs_from: None,
                    retired_at: Some(activates),
                });
            } else if entry.retired_at.is_none_or(|at| at + keep_for > now) {
                keys.push(KeyEntry {
                    kid: entry.kid.clone(),
                    private_key: None,
                    public_key,
                    signs_from: None,
                    retired_at: entry.retired_at.or(Some(now)),
                });
            }
        }
        if keys.len() > MAX_KEYS {
            return Err(format!(
                "a key set holds at most {MAX_KEYS} keys: rotate less often"
            ));
        }
        Ok(Self {
            active: fresh.kid,
            keys,
        })
    }

    /// The public halves, for [`PublicKeys`].
    pub fn public_keys(&self) -> Result<Vec<PublicKey>, String> {
        Ok(self
            .load()?
            .iter()
            .map(|k| PublicKey {
                kid: k.kid.clone(),
                public_key: URL_SAFE_NO_PAD.encode(&k.public),
            })
            .collect())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("key sets serialise")
    }
}

fn new_key() -> KeyEntry {
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("the OS random source works");
    let kid = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%d"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    KeyEntry {
        kid,
        private_key: Some(STANDARD.encode(pkcs8.as_ref())),
        public_key: None,
        signs_from: None,
        retired_at: None,
    }
}

/// One public key of the verification document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    pub kid: String,
    /// Base64url raw 32 bytes (the JWK `x`).
    pub public_key: String,
}

/// What functions that only verify are given: the public halves of both key sets, never a
/// private key. `{"access": [{kid, public_key}], "tickets": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeys {
    pub access: Vec<PublicKey>,
    pub tickets: Vec<PublicKey>,
}

impl PublicKeys {
    pub fn of(access: &KeySet, tickets: &KeySet) -> Result<Self, String> {
        Ok(Self {
            access: access.public_keys()?,
            tickets: tickets.public_keys()?,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("public key document is not valid: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("public keys serialise")
    }
}

/// Checks public keys (ids, lengths, no repeats) and loads them.
pub fn load_public(keys: &[PublicKey]) -> Result<Vec<LoadedKey>, String> {
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(format!("a key list holds 1 to {MAX_KEYS} keys"));
    }
    let set = KeySet {
        active: String::new(),
        keys: keys
            .iter()
            .map(|k| KeyEntry {
                kid: k.kid.clone(),
                private_key: None,
                public_key: Some(k.public_key.clone()),
                signs_from: None,
                retired_at: None,
            })
            .collect(),
    };
    set.load_entries()
}

/// The public JWK of a key (RFC 8037: `kty` OKP, `crv` Ed25519).
pub fn jwk(key: &LoadedKey) -> Value {
    json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(&key.public),
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: StdDuration = StdDuration::ZERO;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::days(days)
    }

    #[test]
    fn generated_sets_load_and_rotation_keeps_the_old_key_until_the_new_one_signs() {
        let set = KeySet::generate();
        let keys = KeySet::parse(&set.to_json()).unwrap().load().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].public.len(), 32);
        let rotated = set
            .rotated(KeyUse::Access, at(0), ACTIVATION_DELAY)
            .unwrap();
        let loaded = rotated.load().unwrap();
        assert_eq!(loaded[0].kid, rotated.active);
        assert_ne!(loaded[0].kid, set.active);
        assert_eq!(loaded[0].signs_from, Some(at(0) + Duration::minutes(10)));
        // The replaced key still signs until then, so it keeps its private half.
        assert_eq!(loaded[1].kid, set.active);
        assert_eq!(loaded[1].public, keys[0].public);
        assert!(loaded[1].private_pkcs8.is_some());
        // Rotating again before the new key signs would throw away a key that signs.
        assert!(
            rotated
                .rotated(KeyUse::Access, at(0) + Duration::minutes(5), NOW)
                .unwrap_err()
                .contains("rotate again after")
        );
        let again = rotated
            .rotated(KeyUse::Access, at(0) + Duration::minutes(20), NOW)
            .unwrap();
        let loaded = again.load().unwrap();
        assert_eq!(loaded.len(), 3);
        assert!(
            loaded[2].private_pkcs8.is_none(),
            "retired keys verify only"
        );
    }

    #[test]
    fn retired_access_keys_go_after_a_guest_token_lifetime_ticket_keys_after_any_event() {
        let mut access = KeySet::generate();
        let mut tickets = KeySet::generate();
        let first_access = access.active.clone();
        let first_ticket = tickets.active.clone();
        // Monthly rotations for two years: the first ticket key is still there (a ticket it
        // signed may be for an event up to 730 days after it stopped signing).
        for month in 0..24 {
            access = access.rotated(KeyUse::Access, at(30 * month), NOW).unwrap();
            tickets = tickets
                .rotated(KeyUse::Tickets, at(30 * month), NOW)
                .unwrap();
        }
        let kids = |set: &KeySet| set.keys.iter().map(|k| k.kid.clone()).collect::<Vec<_>>();
        assert_eq!(kids(&access).len(), 2, "the active key and the one before");
        assert!(!kids(&access).contains(&first_access));
        assert!(kids(&tickets).contains(&first_ticket));
        assert_eq!(kids(&tickets).len(), 25);
        // Past the horizon it goes.
        let later = tickets
            .rotated(KeyUse::Tickets, at(TICKET_KEY_RETENTION_DAYS + 1), NOW)
            .unwrap();
        assert!(!kids(&later).contains(&first_ticket));
    }

    #[test]
    fn the_public_document_has_no_private_key() {
        let (access, tickets) = (KeySet::generate(), KeySet::generate());
        let public = PublicKeys::of(&access, &tickets).unwrap();
        let text = public.to_json();
        assert!(!text.contains("private_key"));
        assert_eq!(PublicKeys::parse(&text).unwrap(), public);
        assert_eq!(load_public(&public.access).unwrap()[0].kid, access.active);
        // A private set is not a public document.
        assert!(PublicKeys::parse(&access.to_json()).is_err());
    }

    #[test]
    fn broken_sets_are_refused_with_a_reason() {
        let good = KeySet::generate();
        let mut no_active = good.clone();
        no_active.active = "other".into();
        assert!(no_active.load().unwrap_err().contains("not in the set"));
        let mut public_only = good.clone();
        public_only.keys[0].public_key = Some(
            PublicKeys::of(&good, &good).unwrap().access[0]
                .public_key
                .clone(),
        );
        public_only.keys[0].private_key = None;
        assert!(public_only.load().unwrap_err().contains("no private_key"));
        // A key that signs later needs another that signs meanwhile.
        let mut waiting = good.clone();
        waiting.keys[0].signs_from = Some(Utc::now() + Duration::minutes(10));
        assert!(waiting.load().unwrap_err().contains("signs later"));
        let mut bad_kid = good.clone();
        bad_kid.keys[0].kid = "a b".into();
        bad_kid.active = "a b".into();
        assert!(bad_kid.load().is_err());
        let mut garbage = good.clone();
        garbage.keys[0].private_key = Some("bm90IGEga2V5".into());
        assert!(garbage.load().unwrap_err().contains("not an Ed25519"));
        assert!(KeySet::parse(r#"{"active":"a","keys":[],"extra":1}"#).is_err());
        assert!(
            KeySet::parse(r#"{"active":"a","keys":[]}"#)
                .unwrap()
                .load()
                .is_err()
        );
    }
}
