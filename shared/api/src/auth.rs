//! Access tokens and tickets: EdDSA JWTs with a `kid`, signed by a [`Signer`] (a private
//! [`KeySet`]) and checked by a [`Verifier`] (public keys only). Verification pins the algorithm (no `none`, no HMAC with
//! a public key), needs a known `kid`, and checks `exp`, `nbf`, `iss` and `aud`.
//!
//! Behind API Gateway the authorizer function verifies the token once and passes the caller
//! on in the request context ([`AUTHORIZER_FIELDS`]); handlers read it with [`caller`].

use crate::error::ApiError;
use crate::keys::{KeySet, LoadedKey, PublicKey, PublicKeys, jwk, load_public};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header,
};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
pub use stagepass_domain::Role;
use stagepass_domain::queue::{Admission, AdmissionSigner, AdmissionVerifier};
use stagepass_domain::{
    Actor, Buyer, Email, InfraError, Link, LinkPurpose, LinkSigner, LinkVerifier, Session,
    TicketClaims, TicketSigner, TicketVerifier, UserId,
};
use std::collections::HashMap;
use std::sync::Arc;

pub const ISSUER: &str = "stagepass";
pub const AUDIENCE: &str = "stagepass-api";
/// Access tokens are short-lived: a stolen one is useful for minutes, and logout (which
/// revokes refresh tokens) takes full effect within this time.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Guests have no refresh token, so theirs lasts long enough to choose, hold and pay.
pub const GUEST_TTL_SECS: i64 = 60 * 60;
/// Clock skew tolerated between the signer and the verifier.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The refresh-token family this token came from (for logout); guests have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Whether the email was proven when the token was issued (a verified account, or a
    /// guest who opened their emailed link).
    #[serde(default)]
    pub ev: bool,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// Who made a request, from a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user: UserId,
    pub roles: Vec<Role>,
    pub email: Option<Email>,
    pub session: Option<String>,
    /// The token's `exp` (seconds since the epoch), when it came from a token.
    pub expires_at: Option<i64>,
    /// The email is proven to reach the caller (see [`Claims::ev`]).
    pub email_verified: bool,
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

    fn require_any(&self, roles: &[Role], what: &str) -> Result<Actor, ApiError> {
        if self.has(Role::Admin) || roles.iter().any(|r| self.has(*r)) {
            Ok(self.actor())
        } else {
            Err(ApiError::Forbidden(format!("this route needs {what}")))
        }
    }

    /// Organiser routes: organisers and admins.
    pub fn require_organiser(&self) -> Result<Actor, ApiError> {
        self.require_any(&[Role::Organiser], "the organiser role")
    }

    /// Check-in: door staff (for the events they are assigned to) and admins.
    pub fn require_door(&self) -> Result<Actor, ApiError> {
        self.require_any(&[Role::Door], "the door role")
    }

    /// Admin routes.
    pub fn require_admin(&self) -> Result<Actor, ApiError> {
        self.require_any(&[], "the admin role")
    }

    /// Buying (hold, release, later checkout): fans, guests and admins. Door staff only
    /// check tickets in; organisers sell, they do not buy with a staff account.
    pub fn require_buyer(&self) -> Result<Actor, ApiError> {
        self.require_any(&[Role::Fan, Role::Guest], "a fan account or a guest token")
    }

    /// The caller as a buyer: their account, and the email on the token (empty if none).
    pub fn buyer(&self) -> Buyer {
        Buyer {
            user: self.user.clone(),
            email: self.email.as_ref().map_or("", Email::as_str).to_string(),
        }
    }

    /// The context fields API Gateway passes from the authorizer to the function. Values
    /// must be strings: roles are comma-separated, absent values empty.
    pub fn context_fields(&self) -> Map<String, Value> {
        let roles: Vec<&str> = self.roles.iter().map(|r| role_name(*r)).collect();
        let mut fields = Map::new();
        fields.insert("principalId".into(), json!(self.user.as_str()));
        fields.insert("roles".into(), json!(roles.join(",")));
        fields.insert(
            "email".into(),
            json!(self.email.as_ref().map_or("", Email::as_str)),
        );
        fields.insert(
            "session".into(),
            json!(self.session.as_deref().unwrap_or("")),
        );
        fields.insert(
            "exp".into(),
            json!(self.expires_at.map_or(String::new(), |e| e.to_string())),
        );
        fields.insert("verified".into(), json!(self.email_verified.to_string()));
        fields
    }

    /// For the routes that change money or seats: API Gateway's authorizer cache vouches for a
    /// token for up to its TTL, even past the token's `exp` (or after logout); these routes
    /// refuse a token whose `exp` has passed (5 s leeway, as at verification), and one that
    /// came without an `exp`. On the real clock, as verification checks `exp`.
    pub fn require_unexpired(&self) -> Result<(), ApiError> {
        let now = chrono::Utc::now().timestamp();
        match self.expires_at {
            Some(exp) if exp + LEEWAY_SECS as i64 >= now => Ok(()),
            _ => Err(ApiError::TokenExpired),
        }
    }

    fn from_context_fields(fields: &HashMap<String, Value>) -> Option<Self> {
        let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("");
        let user = text("principalId");
        if user.is_empty() {
            return None;
        }
        let roles = text("roles")
            .split(',')
            .filter(|r| !r.is_empty())
            .map(|r| serde_json::from_value(json!(r)).ok())
            .collect::<Option<Vec<Role>>>()?;
        Some(Self {
            user: UserId::new(user),
            roles,
            email: Email::parse(text("email")),
            session: Some(text("session").to_string()).filter(|s| !s.is_empty()),
            expires_at: text("exp").parse().ok(),
            email_verified: text("verified") == "true",
        })
    }
}

pub const AUTHORIZER_FIELDS: [&str; 6] = [
    "principalId",
    "roles",
    "email",
    "session",
    "exp",
    "verified",
];

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Fan => "fan",
        Role::Organiser => "organiser",
        Role::Door => "door",
        Role::Admin => "admin",
        Role::Guest => "guest",
    }
}

/// The caller of a protected route, as the authorizer passed it on. Missing means the route
/// was deployed without the authorizer: refused, never treated as anonymous.
pub fn caller(req: &Request) -> Result<Principal, ApiError> {
    let fields = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => Some(&ctx.authorizer.fields),
        _ => None,
    };
    fields
        .and_then(Principal::from_context_fields)
        .ok_or_else(|| ApiError::Unauthorized("an Authorization: Bearer token is required".into()))
}

/// The caller of a route that changes money or seats: as [`caller`], and refused with
/// `401 token_expired` once the token's `exp` has passed, however long the authorizer's answer
/// is cached.
pub fn fresh_caller(req: &Request) -> Result<Principal, ApiError> {
    let who = caller(req)?;
    who.require_unexpired()?;
    Ok(who)
}

/// The client address API Gateway saw (for per-client rate limits).
pub fn client_address(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".into())
}

/// The token from `Authorization: Bearer <token>`; anything else is a 401.
pub fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let value = header.ok_or_else(|| {
        ApiError::Unauthorized("an Authorization: Bearer token is required".into())
    })?;
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty() && !t.contains(' '))
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })
}

/// Tickets are signed with their own key set and for another audience, so neither a ticket
/// nor an access token can stand in for the other. They carry no expiry: the event's date
/// bounds them, and their keys are kept until it is over.
pub const TICKET_AUDIENCE: &str = "stagepass-ticket";

#[derive(Serialize, Deserialize)]
struct TicketToken {
    sub: String,
    evt: String,
    seat: String,
    iss: String,
    aud: String,
}

/// An emailed link ([`Link`]): signed with the access keys, for an audience of its own.
#[derive(Serialize, Deserialize)]
struct LinkToken {
    sub: String,
    email: String,
    jti: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

/// The audience of admission tokens: the waiting room's, never an access token's or a link's.
pub const ADMISSION_AUDIENCE: &str = "stagepass-admission";

/// A waiting room's admission ([`Admission`]): signed with the access keys.
#[derive(Serialize, Deserialize)]
struct AdmissionToken {
    sub: String,
    evt: String,
    iss: String,
    aud: String,
    exp: i64,
}

struct SigningKey {
    kid: String,
    key: EncodingKey,
    signs_from: Option<chrono::DateTime<chrono::Utc>>,
}

/// Signs with a private key set: at any moment the newest key whose `signs_from` has come.
/// Only the functions that sign are given one.
pub struct Signer {
    keys: Vec<SigningKey>,
}

impl Signer {
    pub fn from_key_set(set: &KeySet) -> Result<Self, String> {
        let keys = set
            .load()?
            .into_iter()
            .filter_map(|k| {
                Some(SigningKey {
                    key: EncodingKey::from_ed_der(k.private_pkcs8.as_deref()?),
                    kid: k.kid,
                    signs_from: k.signs_from,
                })
            })
            .collect();
        Ok(Self { keys })
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        Self::from_key_set(&KeySet::parse(text)?)
    }

    /// The key that signs now: the active key once its time has come, the one it replaces
    /// until then (a key set's `load` checks there is one).
    fn current(&self) -> &SigningKey {
        let now = chrono::Utc::now();
        self.keys
            .iter()
            .filter(|k| k.signs_from.is_none_or(|from| from <= now))
            .max_by_key(|k| k.signs_from)
            .unwrap_or(&self.keys[0])
    }

    /// The id of the key that signs now.
    pub fn signing_kid(&self) -> &str {
        &self.current().kid
    }

    /// Signs any claims (tests use it to build hostile tokens).
    pub fn sign(&self, claims: &impl Serialize) -> String {
        let key = self.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.key).expect("Ed25519 signing cannot fail")
    }

    /// Signs an access token for a principal, valid `ttl_secs` from now.
    pub fn issue(&self, who: &Principal, ttl_secs: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: who.user.as_str().to_string(),
            roles: who.roles.clone(),
            email: who.email.as_ref().map(|e| e.as_str().to_string()),
            sid: who.session.clone(),
            ev: who.email_verified,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp: now + ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        self.sign(&claims)
    }

    /// The access token for a fresh session, and its lifetime in seconds.
    pub fn for_session(&self, session: &Session) -> (String, i64) {
        let ttl = if session.roles.contains(&Role::Guest) {
            GUEST_TTL_SECS
        } else {
            ACCESS_TTL_SECS
        };
        let who = Principal {
            user: session.user.clone(),
            roles: session.roles.clone(),
            email: Some(session.email.clone()),
            session: session.family.clone(),
            expires_at: None,
            email_verified: session.email_verified,
        };
        (self.issue(&who, ttl), ttl)
    }

    /// An emailed link's token: its own audience per purpose, expiring with the link.
    pub fn sign_link(&self, link: &Link) -> String {
        self.sign(&LinkToken {
            sub: link.user.as_str().to_string(),
            email: link.email.as_str().to_string(),
            jti: link.id.clone(),
            iss: ISSUER.into(),
            aud: link.purpose.audience().into(),
            iat: link.issued_at.timestamp(),
            exp: link.expires_at.timestamp(),
        })
    }

    /// An admission token: the fan (their rate key), the event, until when.
    pub fn sign_admission(&self, admission: &Admission) -> String {
        self.sign(&AdmissionToken {
            sub: admission.fan.clone(),
            evt: admission.event_id.to_string(),
            iss: ISSUER.into(),
            aud: ADMISSION_AUDIENCE.into(),
            exp: admission.expires_at.timestamp(),
        })
    }

    /// A ticket's QR payload.
    pub fn sign_ticket(&self, claims: &TicketClaims) -> String {
        self.sign(&TicketToken {
            sub: claims.ticket.clone(),
            evt: claims.event.clone(),
            seat: claims.seat.clone(),
            iss: ISSUER.into(),
            aud: TICKET_AUDIENCE.into(),
        })
    }
}

/// Verifies with public keys only. Built from the access keys it checks access tokens (and
/// publishes them as the JWKS); built from the ticket keys it checks QR payloads.
pub struct Verifier {
    verifiers: HashMap<String, DecodingKey>,
    jwks: Value,
    validation: Validation,
    ticket_validation: Validation,
}

impl Verifier {
    pub fn new(keys: &[PublicKey]) -> Result<Self, String> {
        Ok(Self::from_loaded(&load_public(keys)?))
    }

    /// The verifier of every key of a private set (tests, and `make run`'s first start).
    pub fn of_key_set(set: &KeySet) -> Result<Self, String> {
        Ok(Self::from_loaded(&set.load()?))
    }

    fn from_loaded(keys: &[LoadedKey]) -> Self {
        let verifiers = keys
            .iter()
            .map(|k| (k.kid.clone(), DecodingKey::from_ed_der(&k.public)))
            .collect();
        let jwks = json!({ "keys": keys.iter().map(jwk).collect::<Vec<_>>() });
        // Only EdDSA: a token claiming HS256 or RS256 is refused before any key is used.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let mut ticket_validation = Validation::new(Algorithm::EdDSA);
        ticket_validation.set_issuer(&[ISSUER]);
        ticket_validation.set_audience(&[TICKET_AUDIENCE]);
        ticket_validation.set_required_spec_claims(&["iss", "aud", "sub"]);
        ticket_validation.validate_exp = false;
        Self {
            verifiers,
            jwks,
            validation,
            ticket_validation,
        }
    }

    /// The public keys, as `GET /.well-known/jwks.json` serves them.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let invalid = |why: &str| ApiError::Unauthorized(format!("invalid token: {why}"));
        if token.len() > 4096 {
            return Err(invalid("too long"));
        }
        let header = decode_header(token).map_err(|e| invalid(&e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(invalid("algorithm not accepted"));
        }
        let kid = header.kid.ok_or_else(|| invalid("no key id"))?;
        let key = self
            .verifiers
            .get(&kid)
            .ok_or_else(|| invalid("unknown key id"))?;
        let claims = decode::<Claims>(token, key, &self.validation)
            .map_err(|e| invalid(&e.to_string()))?
            .claims;
        if claims.sub.is_empty() || claims.sub.len() > 128 {
            return Err(invalid("bad subject"));
        }
        let email = match claims.email.as_deref() {
            Some(raw) => Some(Email::parse(raw).ok_or_else(|| invalid("bad email"))?),
            None => None,
        };
        Ok(Principal {
            user: UserId::new(claims.sub),
            roles: claims.roles,
            email,
            session: claims.sid,
            expires_at: Some(claims.exp),
            email_verified: claims.ev,
        })
    }

    fn verification_key(&self, token: &str) -> Option<&DecodingKey> {
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA {
            return None;
        }
        self.verifiers.get(&header.kid?)
    }

    /// What the authorizer does with the `Authorization` header.
    pub fn authorize(&self, authorization: Option<&str>) -> Result<Principal, ApiError> {
        self.verify(bearer(authorization)?)
    }

    /// The caller of a public route if a token was sent; a bad token is still refused.
    pub fn optional_caller(&self, req: &Request) -> Result<Option<Principal>, ApiError> {
        match req.headers().get(http::header::AUTHORIZATION) {
            None => Ok(None),
            Some(value) => self.authorize(Some(value.to_str().unwrap_or(""))).map(Some),
        }
    }

    /// An emailed link, if one of these keys signed it for `purpose` and it has not expired.
    pub fn verify_link(&self, purpose: LinkPurpose, token: &str) -> Option<Link> {
        if token.len() > 2048 {
            return None;
        }
        let key = self.verification_key(token)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[purpose.audience()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let t = decode::<LinkToken>(token, key, &validation).ok()?.claims;
        let at = |secs: i64| chrono::DateTime::from_timestamp(secs, 0);
        Some(Link {
            id: t.jti,
            purpose,
            user: UserId::new(t.sub),
            email: Email::parse(&t.email)?,
            issued_at: at(t.iat)?,
            expires_at: at(t.exp)?,
        })
    }

    /// An admission, if one of these keys signed it as an admission token and it has not
    /// expired.
    pub fn verify_admission(&self, token: &str) -> Option<Admission> {
        if token.len() > 2048 {
            return None;
        }
        let key = self.verification_key(token)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ADMISSION_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let t = decode::<AdmissionToken>(token, key, &validation)
            .ok()?
            .claims;
        Some(Admission {
            event_id: stagepass_domain::EventId::parse(&t.evt)?,
            fan: t.sub,
            expires_at: chrono::DateTime::from_timestamp(t.exp, 0)?,
        })
    }

    /// A ticket's claims, if one of the ticket keys signed it as a ticket.
    pub fn verify_ticket(&self, token: &str) -> Option<TicketClaims> {
        if token.len() > 2048 {
            return None;
        }
        let key = self.verification_key(token)?;
        let t = decode::<TicketToken>(token, key, &self.ticket_validation)
            .ok()?
            .claims;
        Some(TicketClaims {
            ticket: t.sub,
            event: t.evt,
            seat: t.seat,
        })
    }
}

/// Reads a key document, as text.
pub type KeySource = Arc<dyn Fn() -> BoxFuture<'static, Result<String, String>> + Send + Sync>;
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Turns a key document's text into keys.
pub type Parse<T> = fn(&str) -> Result<T, String>;

/// A key document, parsed, read again once it is older than its lifetime: a rotation
/// reaches every warm container within that time without a redeploy. If reading it again
/// fails, the keys already held go on working (and the next request tries again).
pub struct Keyring<T> {
    source: Option<(KeySource, Parse<T>)>,
    ttl: std::time::Duration,
    held: tokio::sync::Mutex<(std::time::Instant, Arc<T>)>,
}

impl<T: Send + Sync + 'static> Keyring<T> {
    /// Reads the document now: a function without its keys must not start.
    pub async fn read(
        source: KeySource,
        parse: Parse<T>,
        ttl: std::time::Duration,
    ) -> Result<Self, String> {
        let value = parse(&source().await?)?;
        Ok(Self {
            source: Some((source, parse)),
            ttl,
            held: tokio::sync::Mutex::new((std::time::Instant::now(), Arc::new(value))),
        })
    }

    /// Keys that never change (tests).
    pub fn fixed(value: T) -> Self {
        Self {
            source: None,
            ttl: std::time::Duration::MAX,
            held: tokio::sync::Mutex::new((std::time::Instant::now(), Arc::new(value))),
        }
    }

    /// The keys, read again first if they are older than the lifetime.
    pub async fn get(&self) -> Arc<T> {
        let mut held = self.held.lock().await;
        if let Some((source, parse)) = &self.source
            && held.0.elapsed() >= self.ttl
        {
            match source().await.and_then(|text| parse(&text)) {
                Ok(value) => *held = (std::time::Instant::now(), Arc::new(value)),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the keys again failed; keeping the ones held")
                }
            }
        }
        held.1.clone()
    }
}

/// Every key a function may be given. Each function asks its wiring only for the ones it
/// uses, so a verifier never holds a private key.
#[derive(Clone)]
pub struct Keys {
    pub access_signer: Arc<Keyring<Signer>>,
    pub access_verifier: Arc<Keyring<Verifier>>,
    pub ticket_signer: Arc<Keyring<Signer>>,
    pub ticket_verifier: Arc<Keyring<Verifier>>,
}

impl Keys {
    /// Fixed keys from two private sets (tests).
    pub fn fixed(access: &KeySet, tickets: &KeySet) -> Result<Self, String> {
        Ok(Self {
            access_signer: Arc::new(Keyring::fixed(Signer::from_key_set(access)?)),
            access_verifier: Arc::new(Keyring::fixed(Verifier::of_key_set(access)?)),
            ticket_signer: Arc::new(Keyring::fixed(Signer::from_key_set(tickets)?)),
            ticket_verifier: Arc::new(Keyring::fixed(Verifier::of_key_set(tickets)?)),
        })
    }

    /// Keys read from three documents, each read again after `ttl`: the access set, the
    /// ticket set and the public keys of both.
    pub async fn read(
        access: KeySource,
        tickets: KeySource,
        public: KeySource,
        ttl: std::time::Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            access_signer: Arc::new(Keyring::read(access, Signer::from_json, ttl).await?),
            access_verifier: Arc::new(Keyring::read(public.clone(), access_verifier, ttl).await?),
            ticket_signer: Arc::new(Keyring::read(tickets, Signer::from_json, ttl).await?),
            ticket_verifier: Arc::new(Keyring::read(public, ticket_verifier, ttl).await?),
        })
    }
}

/// The access-token verifier of a public key document.
pub fn access_verifier(text: &str) -> Result<Verifier, String> {
    Verifier::new(&PublicKeys::parse(text)?.access).map_err(|e| format!("access keys: {e}"))
}

/// The ticket verifier of a public key document.
pub fn ticket_verifier(text: &str) -> Result<Verifier, String> {
    Verifier::new(&PublicKeys::parse(text)?.tickets).map_err(|e| format!("ticket keys: {e}"))
}

impl Keyring<Verifier> {
    /// Who is looking, on a public route: nobody without an `Authorization` header (the key
    /// set is not even read), the token's actor with a valid one; a bad token is refused.
    pub async fn optional_actor(
        &self,
        req: &Request,
    ) -> Result<Option<stagepass_domain::Actor>, ApiError> {
        if !req.headers().contains_key(http::header::AUTHORIZATION) {
            return Ok(None);
        }
        Ok(self.get().await.optional_caller(req)?.map(|p| p.actor()))
    }
}

#[async_trait::async_trait]
impl TicketSigner for Keyring<Signer> {
    async fn sign_ticket(&self, claims: &TicketClaims) -> Result<String, InfraError> {
        Ok(self.get().await.sign_ticket(claims))
    }
}

#[async_trait::async_trait]
impl TicketVerifier for Keyring<Verifier> {
    async fn verify_ticket(&self, token: &str) -> Option<TicketClaims> {
        self.get().await.verify_ticket(token)
    }
}

#[async_trait::async_trait]
impl LinkSigner for Keyring<Signer> {
    async fn sign_link(&self, link: &Link) -> Result<String, InfraError> {
        Ok(self.get().await.sign_link(link))
    }
}

#[async_trait::async_trait]
impl LinkVerifier for Keyring<Verifier> {
    async fn verify_link(&self, purpose: LinkPurpose, token: &str) -> Option<Link> {
        self.get().await.verify_link(purpose, token)
    }
}

#[async_trait::async_trait]
impl AdmissionSigner for Keyring<Signer> {
    async fn sign_admission(&self, admission: &Admission) -> Result<String, InfraError> {
        Ok(self.get().await.sign_admission(admission))
    }
}

#[async_trait::async_trait]
impl AdmissionVerifier for Keyring<Verifier> {
    async fn verify_admission(&self, token: &str) -> Option<Admission> {
        self.get().await.verify_admission(token)
    }
}
