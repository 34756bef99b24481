//! OAuth 2.0 for the SCIM API: per-tenant clients and the client
//! credentials grant (RFC 6749 §4.4), this server's signed access tokens,
//! and JWTs of external issuers a tenant trusts.
//!
//! Three kinds of bearer token authenticate (see
//! [`AuthService::authenticate`]):
//!
//! - static tokens, looked up by hash (`auth.rs`);
//! - this server's access tokens: HS256 JWTs signed with a random key kept
//!   in storage ([`TenantStore::server_key`]), so that every replica
//!   verifies what any replica issued. Each request also reads the client,
//!   so that a revoked client's tokens stop working at once;
//! - external JWTs: the `iss` and `aud` claims find the tenant's
//!   [`JwtTrust`], whose JWKS verifies the signature.
//!
//! JWKS documents behind URLs are fetched through the [`JwksSource`] port
//! and cached here per URL: for [`OAuthConfig::jwks_cache_ttl`], refetched
//! earlier when a token names an unknown `kid` (key rotation), but never
//! more often than [`OAuthConfig::jwks_refetch_interval`], so that tokens
//! with made-up key ids cannot make the server hammer an issuer. When a
//! refetch fails, the keys fetched before stay in use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use crate::auth::{AuthService, generate_token, hash_token, hex, unauthorized};
use crate::error::{Error, ErrorKind};
use crate::model::{Client, JwksLocation, JwtTrust, NewClient, Principal, ServerKey, StoredClient};
#[cfg(doc)]
use crate::ports::TenantStore;
use crate::ports::{JwksSource, StoreError};

/// The shortest access-token lifetime the server accepts, in minutes.
pub const MIN_ACCESS_TOKEN_MINUTES: u32 = 5;
/// The longest access-token lifetime the server accepts, in minutes (a day).
pub const MAX_ACCESS_TOKEN_MINUTES: u32 = 1440;
/// The default access-token lifetime, in minutes.
pub const DEFAULT_ACCESS_TOKEN_MINUTES: u32 = 60;
/// The longest issuer or audience a trust may name, in characters.
pub const MAX_TRUST_CHARS: usize = 255;
/// The longest client name, in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 100;
/// The largest JWKS document stored with a trust, in bytes.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The [`ServerKey`] that signs this server's access tokens; also the
/// `kid` of their header, so that a later key can live beside it.
const SIGNING_KEY_NAME: &str = "access-token-hs256";

/// How the OAuth side of [`AuthService`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// The `iss` of this server's access tokens, e.g. its public URL.
    /// No trust may name it.
    pub issuer: String,
    /// How long an access token is valid.
    pub access_token_lifetime: Duration,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// How long a fetched JWKS is used before it is fetched again.
    pub jwks_cache_ttl: Duration,
    /// The least time between two fetches of one JWKS URL, whatever asks
    /// for them (an unknown `kid`, an expired cache entry, a failure).
    pub jwks_refetch_interval: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            issuer: "scim-server".to_owned(),
            access_token_lifetime: Duration::minutes(i64::from(DEFAULT_ACCESS_TOKEN_MINUTES)),
            leeway: Duration::seconds(60),
            jwks_cache_ttl: Duration::minutes(10),
            jwks_refetch_interval: Duration::seconds(30),
        }
    }
}

impl OAuthConfig {
    /// An access-token lifetime of `minutes`, which must lie within
    /// [`MIN_ACCESS_TOKEN_MINUTES`]..=[`MAX_ACCESS_TOKEN_MINUTES`]
    /// ([`ErrorKind::InvalidValue`] otherwise).
    pub fn lifetime_minutes(minutes: u32) -> Result<Duration, Error> {
        if !(MIN_ACCESS_TOKEN_MINUTES..=MAX_ACCESS_TOKEN_MINUTES).contains(&minutes) {
            return Err(Error::invalid_value(format!(
                "the access-token lifetime must be {MIN_ACCESS_TOKEN_MINUTES} to \
                 {MAX_ACCESS_TOKEN_MINUTES} minutes, not {minutes}"
            )));
        }
        Ok(Duration::minutes(i64::from(minutes)))
    }
}

/// A client made by [`AuthService::create_client`], with its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedClient {
    /// The client as stored.
    pub client: Client,
    /// The client secret, to hand over once; only its hash is stored.
    pub secret: String,
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedClient")
            .field("client", &self.client)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An access token from [`AuthService::issue_access_token`].
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The signed token (a JWT), for `Authorization: Bearer`.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Why [`AuthService::issue_access_token`] issued nothing.
#[derive(Debug)]
pub enum TokenError {
    /// RFC 6749 §5.2 `invalid_client`: an unknown or revoked client, or a
    /// wrong secret; which one is not said.
    InvalidClient,
    /// The server could not decide (storage unavailable, no randomness).
    Failed(Error),
}

impl TokenError {
    /// The RFC 6749 §5.2 `error` code: `invalid_client`, or
    /// `temporarily_unavailable` when the server failed.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidClient => "invalid_client",
            TokenError::Failed(_) => "temporarily_unavailable",
        }
    }
}

/// The OAuth state of an [`AuthService`]: settings, the JWKS source, the
/// signing key once read, and the JWKS cache.
pub(crate) struct OAuth {
    pub(crate) config: OAuthConfig,
    jwks: Option<Arc<dyn JwksSource>>,
    signing_key: RwLock<Option<Arc<Vec<u8>>>>,
    cache: Mutex<HashMap<String, CachedJwks>>,
}

impl OAuth {
    pub(crate) fn new(config: OAuthConfig, jwks: Option<Arc<dyn JwksSource>>) -> Self {
        OAuth {
            config,
            jwks,
            signing_key: RwLock::new(None),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<String, CachedJwks>> {
        // Plain data: a panic elsewhere leaves it usable.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The keys of one JWKS URL.
struct CachedJwks {
    keys: Arc<Vec<Jwk>>,
    /// The last successful fetch; `None` before the first.
    fetched: Option<DateTime<Utc>>,
    /// The last fetch started, successful or not.
    attempted: DateTime<Utc>,
}

impl AuthService {
    /// The `iss` of this server's access tokens.
    pub fn issuer(&self) -> &str {
        &self.oauth.config.issuer
    }

    /// How long the access tokens this server issues are valid.
    pub fn access_token_lifetime(&self) -> Duration {
        self.oauth.config.access_token_lifetime
    }

    /// Creates an OAuth client for the tenant called `tenant`, named `name`
    /// (default `client`; 1 to [`MAX_CLIENT_NAME_CHARS`] characters without
    /// control characters, else [`ErrorKind::InvalidValue`]). Returns its
    /// generated secret once; only the secret's hash is stored.
    pub async fn create_client(
        &self,
        tenant: &str,
        name: Option<&str>,
    ) -> Result<CreatedClient, Error> {
        let name = name.unwrap_or("client");
        if name.trim().is_empty()
            || name.chars().count() > MAX_CLIENT_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(Error::invalid_value(format!(
                "a client name is 1 to {MAX_CLIENT_NAME_CHARS} characters without control characters"
            )));
        }
        let owner = self.tenant(tenant).await?;
        let secret = generate_token()?;
        let new = NewClient {
            id: self.ids.new_id(),
            tenant_id: owner.id,
            name: name.to_owned(),
            secret_hash: hash_token(&secret),
            created: self.clock.now(),
        };
        match self.tenants.create_client(new).await {
            Ok(client) => Ok(CreatedClient { client, secret }),
            Err(StoreError::NotFound) => Err(no_tenant(tenant)),
            Err(other) => Err(other.into()),
        }
    }

    /// Every OAuth client of the tenant called `tenant`, revoked ones
    /// included, oldest first. Never their secrets.
    pub async fn clients(&self, tenant: &str) -> Result<Vec<Client>, Error> {
        let owner = self.tenant(tenant).await?;
        Ok(self.tenants.list_clients(&owner.id).await?)
    }

    /// Revokes the client `client_id` of the tenant called `tenant`: its
    /// secret and every access token issued to it stop working at once.
    /// Revoking it again changes nothing. [`ErrorKind::NotFound`] for an
    /// unknown tenant, or a client that is not the tenant's.
    pub async fn revoke_client(&self, tenant: &str, client_id: &str) -> Result<Client, Error> {
        let owner = self.tenant(tenant).await?;
        match self
            .tenants
            .revoke_client(&owner.id, client_id, self.clock.now())
            .await
        {
            Ok(client) => Ok(client),
            Err(StoreError::NotFound) => Err(Error::new(
                ErrorKind::NotFound,
                format!("tenant {tenant:?} has no client {client_id:?}"),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The client credentials grant (RFC 6749 §4.4): checks the client's
    /// secret (in constant time) and issues an access token for the
    /// client's tenant, valid for [`OAuthConfig::access_token_lifetime`].
    pub async fn issue_access_token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<AccessToken, TokenError> {
        if client_id.is_empty() || client_secret.is_empty() {
            return Err(TokenError::InvalidClient);
        }
        let stored = self
            .tenants
            .find_client(client_id)
            .await
            .map_err(|e| TokenError::Failed(e.into()))?
            .ok_or(TokenError::InvalidClient)?;
        let given = hash_token(client_secret);
        if !constant_time_eq(given.as_bytes(), stored.secret_hash.as_bytes()) {
            return Err(TokenError::InvalidClient);
        }
        let key = self.signing_key().await.map_err(TokenError::Failed)?;
        let now = self.clock.now();
        let lifetime = self.oauth.config.access_token_lifetime;
        let claims = json!({
            "iss": self.oauth.config.issuer,
            "sub": stored.client.id,
            "tenant": stored.client.tenant_id.as_str(),
            "iat": now.timestamp(),
            "exp": (now + lifetime).timestamp(),
            "jti": self.ids.new_id(),
        });
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(SIGNING_KEY_NAME.to_owned());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key))
            .map_err(|e| {
                TokenError::Failed(Error::new(
                    ErrorKind::Internal,
                    format!("cannot sign an access token: {e}"),
                ))
            })?;
        Ok(AccessToken {
            token,
            expires_in: u64::try_from(lifetime.num_seconds()).unwrap_or(0),
        })
    }

    /// Makes the tenant called `tenant` trust JWTs whose `iss` is `issuer`,
    /// whose `aud` holds `audience`, signed by a key of `jwks`.
    ///
    /// The issuer and audience are 1 to [`MAX_TRUST_CHARS`] characters
    /// without spaces, and the issuer is not this server's; a JWKS URL
    /// starts with `https://` or `http://`; an inline JWKS is a JSON Web
    /// Key Set of at most [`MAX_JWKS_BYTES`] with at least one signing key
    /// this server can use. Anything else is [`ErrorKind::InvalidValue`].
    /// An (issuer, audience) pair trusted already, by this tenant or
    /// another, is [`ErrorKind::Uniqueness`].
    pub async fn add_trust(
        &self,
        tenant: &str,
        issuer: &str,
        audience: &str,
        jwks: JwksLocation,
    ) -> Result<JwtTrust, Error> {
        for (what, value) in [("issuer", issuer), ("audience", audience)] {
            if value.is_empty()
                || value.chars().count() > MAX_TRUST_CHARS
                || value.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(Error::invalid_value(format!(
                    "the {what} is 1 to {MAX_TRUST_CHARS} characters without spaces"
                )));
            }
        }
        if issuer == self.oauth.config.issuer {
            return Err(Error::invalid_value(format!(
                "{issuer} is this server's own issuer"
            )));
        }
        match &jwks {
            JwksLocation::Url(url) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2048
                {
                    return Err(Error::invalid_value(
                        "a JWKS URL starts with https:// (or http://) and has at most 2048 characters",
                    ));
                }
            }
            JwksLocation::Inline(text) => {
                if text.len() > MAX_JWKS_BYTES {
                    return Err(Error::invalid_value(format!(
                        "a JWKS document has at most {MAX_JWKS_BYTES} bytes"
                    )));
                }
                match parse_jwks(text) {
                    Some(keys) if !keys.is_empty() => {}
                    _ => {
                        return Err(Error::invalid_value(
                            "the JWKS is not a JSON Web Key Set with a usable signing key \
                             (RSA, EC P-256/P-384 or Ed25519)",
                        ));
                    }
                }
            }
        }
        let owner = self.tenant(tenant).await?;
        let trust = JwtTrust {
            id: self.ids.new_id(),
            tenant_id: owner.id,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks,
            created: self.clock.now(),
        };
        match self.tenants.add_jwt_trust(trust).await {
            Ok(trust) => Ok(trust),
            Err(StoreError::NotFound) => Err(no_tenant(tenant)),
            Err(StoreError::Conflict { .. }) => Err(Error::new(
                ErrorKind::Uniqueness,
                format!("issuer {issuer} with audience {audience} is trusted already"),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The issuers the tenant called `tenant` trusts, oldest first.
    pub async fn trusts(&self, tenant: &str) -> Result<Vec<JwtTrust>, Error> {
        let owner = self.tenant(tenant).await?;
        Ok(self.tenants.list_jwt_trusts(&owner.id).await?)
    }

    /// Ends the tenant's trust in `issuer` (every audience): its tokens
    /// stop working at once. Returns the removed trusts;
    /// [`ErrorKind::NotFound`] when the tenant trusts no such issuer.
    pub async fn remove_trust(&self, tenant: &str, issuer: &str) -> Result<Vec<JwtTrust>, Error> {
        let owner = self.tenant(tenant).await?;
        let removed = self.tenants.remove_jwt_trusts(&owner.id, issuer).await?;
        if removed.is_empty() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("tenant {tenant:?} does not trust the issuer {issuer:?}"),
            ));
        }
        Ok(removed)
    }

    /// Authenticates a JWT: one of this server's access tokens, or one of
    /// a trusted issuer. [`ErrorKind::Unauthorized`] for anything that does
    /// not verify; other kinds when storage fails.
    pub(crate) async fn authenticate_jwt(&self, token: &str) -> Result<Principal, Error> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| unauthorized())?;
        // Unverified: only to choose the key. Everything is checked again
        // by the signature verification below.
        let claims: Map<String, Value> =
            jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| unauthorized())?;
        let issuer = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(unauthorized)?;
        if issuer == self.oauth.config.issuer {
            self.authenticate_own(token, &header).await
        } else {
            self.authenticate_external(token, &header, issuer, &claims)
                .await
        }
    }

    /// One of this server's access tokens: signature, expiry, and a client
    /// that still exists, is not revoked and belongs to the token's tenant.
    async fn authenticate_own(&self, token: &str, header: &Header) -> Result<Principal, Error> {
        if header.alg != Algorithm::HS256 {
            return Err(unauthorized());
        }
        let key = self.signing_key().await?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.oauth.config.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false;
        // Expiry is checked against the service's clock below.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Map<String, Value>>(
            token,
            &DecodingKey::from_secret(&key),
            &validation,
        )
        .map_err(|_| unauthorized())?;
        self.check_times(&data.claims)?;
        let text = |name: &str| data.claims.get(name).and_then(Value::as_str);
        let (Some(client_id), Some(tenant)) = (text("sub"), text("tenant")) else {
            return Err(unauthorized());
        };
        let Some(StoredClient { client, .. }) = self.tenants.find_client(client_id).await? else {
            return Err(unauthorized());
        };
        if client.tenant_id.as_str() != tenant {
            return Err(unauthorized());
        }
        Ok(Principal {
            tenant_id: client.tenant_id,
            credential_id: client.id,
            policies: None,
        })
    }

    /// A JWT of an external issuer: the trust its `iss` and `aud` name,
    /// then a key of the trust's JWKS that verifies it.
    async fn authenticate_external(
        &self,
        token: &str,
        header: &Header,
        issuer: &str,
        claims: &Map<String, Value>,
    ) -> Result<Principal, Error> {
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let trusts: Vec<JwtTrust> = self
            .tenants
            .find_jwt_trusts(issuer)
            .await?
            .into_iter()
            .filter(|t| audiences.contains(&t.audience.as_str()))
            .collect();
        let Some(trust) = trusts.first() else {
            return Err(unauthorized());
        };
        // A token for the audiences of two tenants names no one tenant.
        if trusts.iter().any(|t| t.tenant_id != trust.tenant_id) {
            return Err(unauthorized());
        }
        let keys = self.jwks_keys(&trust.jwks, header.kid.as_deref()).await;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&trust.issuer]);
        validation.set_audience(&[&trust.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_exp = false;
        let candidates = keys.iter().filter(|k| match &header.kid {
            Some(kid) => k.common.key_id.as_deref() == Some(kid.as_str()),
            None => true,
        });
        for jwk in candidates {
            if !algorithms(jwk).contains(&header.alg) {
                continue;
            }
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            if let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
                self.check_times(&data.claims)?;
                return Ok(Principal {
                    tenant_id: trust.tenant_id.clone(),
                    credential_id: trust.id.clone(),
                    policies: None,
                });
            }
        }
        Err(unauthorized())
    }

    /// `exp` (required) and `nbf` (when present) against the clock, with
    /// the configured leeway.
    fn check_times(&self, claims: &Map<String, Value>) -> Result<(), Error> {
        let now = self.clock.now().timestamp() as f64;
        let leeway = self.oauth.config.leeway.num_seconds() as f64;
        let exp = claims
            .get("exp")
            .and_then(Value::as_f64)
            .ok_or_else(unauthorized)?;
        if now >= exp + leeway {
            return Err(unauthorized());
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = nbf.as_f64().ok_or_else(unauthorized)?;
            if now + leeway < nbf {
                return Err(unauthorized());
            }
        }
        Ok(())
    }

    /// The HMAC key of this server's access tokens: read from storage once,
    /// generated and stored by whichever replica needs it first.
    async fn signing_key(&self) -> Result<Arc<Vec<u8>>, Error> {
        let cached = self
            .oauth
            .signing_key
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(key) = cached {
            return Ok(key);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("the operating system's random source failed: {e}"),
            )
        })?;
        let stored = self
            .tenants
            .server_key(ServerKey {
                name: SIGNING_KEY_NAME.to_owned(),
                secret: hex(&bytes),
                created: self.clock.now(),
            })
            .await?;
        let key = match unhex(&stored.secret) {
            Some(key) if key.len() >= 32 => Arc::new(key),
            _ => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "the stored access-token signing key is malformed",
                ));
            }
        };
        *self
            .oauth
            .signing_key
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(key.clone());
        Ok(key)
    }

    /// The usable keys of a trust's JWKS. For a URL, from the cache, or
    /// fetched when the cache has none, has expired, or lacks `kid`, at
    /// most once per refetch interval. No keys when none can be had.
    async fn jwks_keys(&self, jwks: &JwksLocation, kid: Option<&str>) -> Arc<Vec<Jwk>> {
        let url = match jwks {
            JwksLocation::Inline(text) => return Arc::new(parse_jwks(text).unwrap_or_default()),
            JwksLocation::Url(url) => url,
        };
        let Some(source) = &self.oauth.jwks else {
            return Arc::default();
        };
        let config = &self.oauth.config;
        let now = self.clock.now();
        {
            let mut cache = self.oauth.cache();
            if let Some(entry) = cache.get_mut(url) {
                let fresh = entry
                    .fetched
                    .is_some_and(|at| now - at < config.jwks_cache_ttl);
                let knows = kid.is_none_or(|kid| {
                    entry
                        .keys
                        .iter()
                        .any(|k| k.common.key_id.as_deref() == Some(kid))
                });
                if (fresh && knows) || now - entry.attempted < config.jwks_refetch_interval {
                    return entry.keys.clone();
                }
                // Claimed before the fetch, so that concurrent requests do
                // not fetch too.
                entry.attempted = now;
            } else {
                cache.insert(
                    url.clone(),
                    CachedJwks {
                        keys: Arc::default(),
                        fetched: None,
                        attempted: now,
                    },
                );
            }
        }
        let fetched = source
            .fetch(url)
            .await
            .ok()
            .and_then(|text| parse_jwks(&text));
        let mut cache = self.oauth.cache();
        let Some(entry) = cache.get_mut(url) else {
            return Arc::default();
        };
        if let Some(keys) = fetched {
            entry.keys = Arc::new(keys);
            entry.fetched = Some(now);
        }
        entry.keys.clone()
    }
}

/// The usable signing keys of a JSON Web Key Set; `None` when the text is
/// not one. Keys this server cannot use (symmetric, encryption, unknown
/// types) are skipped rather than failing the whole set.
fn parse_jwks(text: &str) -> Option<Vec<Jwk>> {
    let document: Value = serde_json::from_str(text).ok()?;
    let keys = document.get("keys")?.as_array()?;
    Some(
        keys.iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
            .filter(|k| !algorithms(k).is_empty())
            .collect(),
    )
}

/// The algorithms a JWK may verify: its `alg` when it names one, else
/// every algorithm of its key type. Never an HMAC one: a JWKS holds public
/// keys, and a symmetric key there would let anyone who reads it sign.
fn algorithms(jwk: &Jwk) -> Vec<Algorithm> {
    use Algorithm::*;
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![ES256],
            EllipticCurve::P384 => vec![ES384],
            _ => Vec::new(),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => vec![EdDSA],
        _ => Vec::new(),
    };
    match jwk.common.key_algorithm {
        None => by_type,
        Some(named) => match Algorithm::try_from(named) {
            Ok(alg) if by_type.contains(&alg) => vec![alg],
            _ => Vec::new(),
        },
    }
}

/// Whether `token` has the shape of a JWT (three parts, a JSON header).
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2 && jsonwebtoken::decode_header(token).is_ok()
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn no_tenant(name: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no tenant named {name:?}"))
}

#[cfg(test)]
mod tests;
