//! Bearer tokens: HS256 JWTs signed with a secret from configuration. Every check
//! `jsonwebtoken` offers is on: algorithm pinned, `exp`, `nbf`, `iss`, `aud` required.

use crate::error::ApiError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use lambda_http::Request;
use serde::{Deserialize, Serialize};
pub use stagepass_domain::Role;
use stagepass_domain::{Actor, UserId};

pub const ISSUER: &str = "stagepass";
pub const AUDIENCE: &str = "stagepass-api";
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<Role>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Who made a request, from a verified token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserId,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user.clone(),
            admin: self.has(Role::Admin),
        }
    }

    /// Organiser routes: organisers and admins only.
    pub fn require_organiser(&self) -> Result<Actor, ApiError> {
        if self.has(Role::Organiser) || self.has(Role::Admin) {
            Ok(self.actor())
        } else {
            Err(ApiError::Forbidden(
                "this route needs the organiser role".into(),
            ))
        }
    }
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Tokens {
    pub fn hs256(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the token secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    pub fn issue(&self, sub: &str, roles: &[Role], ttl: chrono::Duration) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_string(),
            roles: roles.to_vec(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp: now + ttl.num_seconds(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| ApiError::Unauthorized(format!("invalid token: {e}")))?;
        let claims = data.claims;
        if claims.sub.is_empty() || claims.sub.len() > 128 {
            return Err(ApiError::Unauthorized("invalid token: bad subject".into()));
        }
        Ok(Principal {
            user: UserId::new(claims.sub),
            roles: claims.roles,
        })
    }

    /// The caller, from `Authorization: Bearer <token>`; anything else is 401.
    pub fn authenticate(&self, req: &Request) -> Result<Principal, ApiError> {
        let header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized("an Authorization: Bearer token is required".into())
            })?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        self.verify(token)
    }

    /// The caller if a token was sent; a bad token is still refused.
    pub fn authenticate_optional(&self, req: &Request) -> Result<Option<Principal>, ApiError> {
        if req.headers().contains_key(http::header::AUTHORIZATION) {
            self.authenticate(req).map(Some)
        } else {
            Ok(None)
        }
    }
}
