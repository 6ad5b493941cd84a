//! Signing keys: Ed25519 (JWT `alg` EdDSA), each with a `kid`. A key set is a JSON document
//! kept outside the repo (Secrets Manager in AWS, a file under the data folder locally):
//!
//! ```json
//! {"active": "k2", "keys": [
//!   {"kid": "k2", "private_key": "<base64 PKCS#8>"},
//!   {"kid": "k1", "public_key": "<base64url raw 32 bytes>"}
//! ]}
//! ```
//!
//! The active key signs; every key verifies, so tokens signed before a rotation keep working
//! until they expire. Rotation: add a new key, make it active, and keep the old one (public
//! part is enough) for one access-token lifetime.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const MAX_KEYS: usize = 4;

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
            });
        }
        let active = loaded
            .iter()
            .position(|k| k.kid == self.active)
            .ok_or_else(|| format!("active key {} is not in the set", self.active))?;
        if loaded[active].private_pkcs8.is_none() {
            return Err(format!("active key {} has no private_key", self.active));
        }
        loaded.swap(0, active);
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

    /// Rotation: a fresh key becomes active; the previous active key stays for verification
    /// (public part only); older keys are dropped.
    pub fn rotated(&self) -> Result<Self, String> {
        let previous = self
            .load()?
            .into_iter()
            .next()
            .expect("load returns the active key");
        let entry = new_key();
        Ok(Self {
            active: entry.kid.clone(),
            keys: vec![
                entry,
                KeyEntry {
                    kid: previous.kid,
                    private_key: None,
                    public_key: Some(URL_SAFE_NO_PAD.encode(previous.public)),
                },
            ],
        })
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
    }
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

    #[test]
    fn generated_sets_load_and_rotation_keeps_the_old_public_key() {
        let set = KeySet::generate();
        let keys = KeySet::parse(&set.to_json()).unwrap().load().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].public.len(), 32);
        let rotated = set.rotated().unwrap();
        let loaded = rotated.load().unwrap();
        assert_eq!(loaded[0].kid, rotated.active);
        assert_ne!(loaded[0].kid, set.active);
        assert_eq!(loaded[1].kid, set.active);
        assert_eq!(loaded[1].public, keys[0].public);
        assert!(loaded[1].private_pkcs8.is_none());
    }

    #[test]
    fn broken_sets_are_refused_with_a_reason() {
        let good = KeySet::generate();
        let mut no_active = good.clone();
        no_active.active = "other".into();
        assert!(no_active.load().unwrap_err().contains("not in the set"));
        let mut public_only = good.rotated().unwrap();
        public_only.active = good.active.clone();
        assert!(public_only.load().unwrap_err().contains("no private_key"));
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
