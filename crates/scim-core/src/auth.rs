//! Bearer-token authentication, first-start bootstrap, and the
//! administration of tenants and their credentials.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::model::{
    Credential, CredentialStatus, NewCredential, NewTenant, Principal, Tenant, TenantId,
    TenantPolicies,
};
use crate::oauth::{OAuth, OAuthConfig, looks_like_jwt};
use crate::ports::{Clock, IdGenerator, JwksSource, StoreError, TenantStore};

/// The prefix of every token this server issues, so that leaked tokens are
/// easy to recognise (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "scim_";

/// The longest tenant name [`AuthService::create_tenant`] accepts, in
/// characters.
pub const MAX_TENANT_NAME_CHARS: usize = 64;

/// How many characters of a token are kept in clear, to tell tokens apart.
const VISIBLE_PREFIX_LEN: usize = 12;

/// The hex SHA-256 of a token: what is stored and looked up.
///
/// Tokens are high-entropy random strings, so a fast hash is enough; a slow
/// password hash would only add latency to every request.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A token as handed to its owner, once. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The credential identifier, safe to log.
    pub credential_id: String,
    /// The secret bearer token.
    pub token: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("credential_id", &self.credential_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// What [`AuthService::bootstrap`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// The tenant existed already; nothing was written.
    Existing(Tenant),
    /// The tenant was created now, with one credential.
    Created {
        /// The new tenant.
        tenant: Tenant,
        /// The generated token, or `None` when the caller supplied the token.
        generated: Option<IssuedToken>,
        /// The identifier of the tenant's credential.
        credential_id: String,
    },
}

/// A tenant made by [`AuthService::create_tenant`], with its first token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTenant {
    /// The new tenant.
    pub tenant: Tenant,
    /// Its first token, to hand to the customer once.
    pub token: IssuedToken,
    /// The first credential as stored (prefix, expiry).
    pub credential: Credential,
}

/// What [`AuthService::issue_token`] and [`AuthService::rotate_token`]
/// return: the new token once, and its credential as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The secret token, shown once.
    pub token: IssuedToken,
    /// The credential as stored (prefix, expiry).
    pub credential: Credential,
}

/// What [`AuthService::rotate_token`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The replacement token.
    pub new: NewToken,
    /// The rotated credential, with the expiry that ends its grace period.
    pub previous: Credential,
}

/// Resolves bearer tokens to principals, creates tenants, and administers
/// tenants and their credentials (the operator's side: the server binary's
/// `tenant` and `token` commands).
pub struct AuthService {
    pub(crate) tenants: Arc<dyn TenantStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) oauth: OAuth,
}

impl AuthService {
    /// A service over the given ports.
    pub fn new(
        tenants: Arc<dyn TenantStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        AuthService {
            tenants,
            clock,
            ids,
            oauth: OAuth::new(OAuthConfig::default(), None),
        }
    }

    /// The same service with OAuth settings, and the source of trusted
    /// issuers' JWKS documents (without one, only trusts with an inline
    /// JWKS authenticate).
    pub fn with_oauth(mut self, config: OAuthConfig, jwks: Option<Arc<dyn JwksSource>>) -> Self {
        self.oauth = OAuth::new(config, jwks);
        self
    }

    /// Resolves a bearer token to the tenant it acts for. Three kinds
    /// authenticate: a static token of the tenant (by its hash), an access
    /// token this server issued to one of the tenant's clients (see
    /// [`AuthService::issue_access_token`]), and a JWT of an issuer the
    /// tenant trusts (see [`AuthService::add_trust`]).
    ///
    /// Unknown, revoked and expired tokens (an expiry at or before the
    /// [`Clock`]'s now, with a small leeway for JWTs), tokens of revoked
    /// clients, and JWTs whose signature, issuer or audience do not verify
    /// are [`ErrorKind::Unauthorized`]; the error does not say which.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, Error> {
        if token.is_empty() {
            return Err(unauthorized());
        }
        if looks_like_jwt(token) {
            match self.authenticate_jwt(token).await {
                Ok(principal) => return Ok(principal),
                Err(err) if err.kind() != ErrorKind::Unauthorized => return Err(err),
                // An operator-chosen static token may look like a JWT.
                Err(_) => {}
            }
        }
        let (credential, policies) = self
            .tenants
            .find_credential_with_policies(&hash_token(token))
            .await?
            .ok_or_else(unauthorized)?;
        let now = self.clock.now();
        if credential.status(now) != CredentialStatus::Active {
            return Err(unauthorized());
        }
        if credential.replaces.is_some() {
            // The first use of a rotated token confirms the rotation: the
            // token it replaces stops now rather than at the end of its
            // grace. Should this write fail, the next use confirms.
            if let Err(err) = self
                .tenants
                .confirm_credential(&credential.tenant_id, &credential.id, now)
                .await
            {
                tracing::warn!(credential = %credential.id, error = %err, "cannot confirm a token rotation yet");
            }
        }
        Ok(Principal {
            tenant_id: credential.tenant_id,
            credential_id: credential.id,
            policies: Some(Arc::new(policies)),
        })
    }

    /// Makes sure a tenant called `name` exists. When it does not, creates
    /// it with one credential: `token` if given, otherwise a newly generated
    /// one, returned so that the caller can show it once.
    ///
    /// Safe to run concurrently from several replicas: exactly one creates
    /// the tenant, the others see [`BootstrapOutcome::Existing`].
    pub async fn bootstrap(
        &self,
        name: &str,
        token: Option<&str>,
    ) -> Result<BootstrapOutcome, Error> {
        if let Some(tenant) = self.tenants.find_tenant_by_name(name).await? {
            return Ok(BootstrapOutcome::Existing(tenant));
        }
        if token.is_some_and(|t| t.trim().is_empty()) {
            return Err(Error::invalid_value(
                "the bootstrap token must not be empty",
            ));
        }
        let generated = match token {
            Some(_) => None,
            None => Some(generate_token()?),
        };
        let secret = token.or(generated.as_deref()).unwrap_or_default();
        let now = self.clock.now();
        let tenant = NewTenant {
            id: TenantId(self.ids.new_id()),
            name: name.to_owned(),
            created: now,
        };
        let credential = self.new_credential(&tenant.id, secret, now, None);
        let credential_id = credential.id.clone();
        match self.tenants.create_tenant(tenant, Some(credential)).await {
            Ok(tenant) => Ok(BootstrapOutcome::Created {
                tenant,
                generated: generated.map(|token| IssuedToken {
                    credential_id: credential_id.clone(),
                    token,
                }),
                credential_id,
            }),
            // Another replica won the race: its tenant stands.
            Err(StoreError::Conflict { .. }) => match self.tenants.find_tenant_by_name(name).await?
            {
                Some(tenant) => Ok(BootstrapOutcome::Existing(tenant)),
                None => Err(Error::new(
                    ErrorKind::Internal,
                    format!("tenant {name} conflicted on create but cannot be found"),
                )),
            },
            Err(other) => Err(other.into()),
        }
    }

    /// Creates the tenant `name` with one credential: `token` if given
    /// (for automation), otherwise a newly generated one; either way the
    /// token is returned so that it can be shown once. The credential
    /// expires at `expires` (never with `None`).
    ///
    /// A tenant name is 1 to [`MAX_TENANT_NAME_CHARS`] characters, each an
    /// ASCII lowercase letter, a digit, `-`, `_` or `.`; anything else is
    /// [`ErrorKind::InvalidValue`], as are an empty `token` and an expiry
    /// that is not in the future. A taken name is
    /// [`ErrorKind::Uniqueness`].
    pub async fn create_tenant(
        &self,
        name: &str,
        token: Option<&str>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<CreatedTenant, Error> {
        validate_tenant_name(name)?;
        if token.is_some_and(|t| t.trim().is_empty()) {
            return Err(Error::invalid_value("the token must not be empty"));
        }
        let now = self.clock.now();
        check_future(expires, now)?;
        if self.tenants.find_tenant_by_name(name).await?.is_some() {
            return Err(name_taken(name));
        }
        let secret = match token {
            Some(t) => t.to_owned(),
            None => generate_token()?,
        };
        let tenant = NewTenant {
            id: TenantId(self.ids.new_id()),
            name: name.to_owned(),
            created: now,
        };
        let credential = self.new_credential(&tenant.id, &secret, now, expires);
        let stored = stored(&credential);
        let tenant = match self.tenants.create_tenant(tenant, Some(credential)).await {
            Ok(tenant) => tenant,
            Err(StoreError::Conflict { attribute }) if attribute == "name" => {
                return Err(name_taken(name));
            }
            Err(other) => return Err(other.into()),
        };
        Ok(CreatedTenant {
            tenant,
            token: IssuedToken {
                credential_id: stored.id.clone(),
                token: secret,
            },
            credential: stored,
        })
    }

    /// Every tenant, oldest first.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, Error> {
        Ok(self.tenants.list_tenants().await?)
    }

    /// The tenant called `name`; [`ErrorKind::NotFound`] when there is none.
    pub async fn tenant(&self, name: &str) -> Result<Tenant, Error> {
        self.tenants
            .find_tenant_by_name(name)
            .await?
            .ok_or_else(|| no_tenant(name))
    }

    /// Deletes the tenant called `name` with everything it holds: its
    /// credentials (which stop authenticating at once), users, groups,
    /// memberships and events. Returns the deleted tenant.
    pub async fn delete_tenant(&self, name: &str) -> Result<Tenant, Error> {
        let tenant = self.tenant(name).await?;
        match self.tenants.delete_tenant(&tenant.id).await {
            Ok(()) => Ok(tenant),
            Err(StoreError::NotFound) => Err(no_tenant(name)),
            Err(other) => Err(other.into()),
        }
    }

    /// Issues another token for the tenant called `name`, expiring at
    /// `expires` (never with `None`; an instant that is not in the future
    /// is [`ErrorKind::InvalidValue`]). Its existing tokens keep working.
    pub async fn issue_token(
        &self,
        name: &str,
        expires: Option<DateTime<Utc>>,
    ) -> Result<NewToken, Error> {
        let now = self.clock.now();
        check_future(expires, now)?;
        let tenant = self.tenant(name).await?;
        self.add_token(&tenant, now, expires, None).await
    }

    /// Every credential of the tenant called `name`, revoked and expired
    /// ones included, oldest first. Never the tokens themselves.
    pub async fn tokens(&self, name: &str) -> Result<Vec<Credential>, Error> {
        let tenant = self.tenant(name).await?;
        Ok(self.tenants.list_credentials(&tenant.id).await?)
    }

    /// Revokes the credential `credential_id` of the tenant called `name`:
    /// its token stops authenticating at once. Revoking it again changes
    /// nothing. [`ErrorKind::NotFound`] for an unknown tenant, or a
    /// credential that is not the tenant's.
    pub async fn revoke_token(&self, name: &str, credential_id: &str) -> Result<Credential, Error> {
        let tenant = self.tenant(name).await?;
        self.tenants
            .revoke_credential(&tenant.id, credential_id, self.clock.now())
            .await
            .map_err(|e| credential_error(e, name, credential_id))
    }

    /// Replaces the credential `credential_id` of the tenant called `name`
    /// by a new token, which expires at `expires` (never with `None`). The
    /// old token keeps working until the new one is first used (which
    /// confirms the rotation) or for `grace` from now, or until its own
    /// expiry, whichever comes first: the customer can switch their
    /// identity provider over without an outage, and the old token does
    /// not outlive the switch.
    ///
    /// A negative `grace` and an `expires` that is not in the future are
    /// [`ErrorKind::InvalidValue`]; a credential that is revoked or
    /// expired already is [`ErrorKind::Conflict`] (issue a new token
    /// instead); an unknown tenant or credential is [`ErrorKind::NotFound`].
    pub async fn rotate_token(
        &self,
        name: &str,
        credential_id: &str,
        grace: Duration,
        expires: Option<DateTime<Utc>>,
    ) -> Result<Rotation, Error> {
        if grace < Duration::zero() {
            return Err(Error::invalid_value(
                "the grace period must not be negative",
            ));
        }
        let now = self.clock.now();
        check_future(expires, now)?;
        let grace_end = now
            .checked_add_signed(grace)
            .ok_or_else(|| Error::invalid_value("the grace period is too long"))?;
        let tenant = self.tenant(name).await?;
        let old = self
            .tenants
            .list_credentials(&tenant.id)
            .await?
            .into_iter()
            .find(|c| c.id == credential_id)
            .ok_or_else(|| no_credential(name, credential_id))?;
        let status = old.status(now);
        if status != CredentialStatus::Active {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "credential {credential_id} is {}: issue a new token instead of rotating it",
                    status.as_str()
                ),
            ));
        }
        // The new token first: should the second step fail, both work,
        // which is safer than neither.
        let new = self
            .add_token(&tenant, now, expires, Some(credential_id))
            .await?;
        let previous_end = old.expires.map_or(grace_end, |end| end.min(grace_end));
        let previous = self
            .tenants
            .set_credential_expiry(&tenant.id, credential_id, Some(previous_end))
            .await
            .map_err(|e| credential_error(e, name, credential_id))?;
        Ok(Rotation { new, previous })
    }

    /// The provisioning policies of the tenant called `name`.
    pub async fn policies(&self, name: &str) -> Result<TenantPolicies, Error> {
        let tenant = self.tenant(name).await?;
        Ok(self.tenants.policies(&tenant.id).await?)
    }

    /// Replaces the provisioning policies of the tenant called `name`;
    /// unset choices fall back to the server's defaults.
    ///
    /// Schema extensions must pass [`scim_schema::SchemaDef::check`], each
    /// at most once per resource type, at most
    /// [`MAX_TENANT_EXTENSIONS`] of them, together at most
    /// [`MAX_TENANT_EXTENSION_BYTES`] of JSON: they are read on every
    /// request of the tenant.
    pub async fn set_policies(&self, name: &str, policies: TenantPolicies) -> Result<(), Error> {
        check_extensions(&policies.extensions)?;
        let tenant = self.tenant(name).await?;
        match self.tenants.set_policies(&tenant.id, policies).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(no_tenant(name)),
            Err(other) => Err(other.into()),
        }
    }

    /// A generated token for `tenant`, stored.
    async fn add_token(
        &self,
        tenant: &Tenant,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
        replaces: Option<&str>,
    ) -> Result<NewToken, Error> {
        let secret = generate_token()?;
        let credential = NewCredential {
            replaces: replaces.map(str::to_owned),
            ..self.new_credential(&tenant.id, &secret, now, expires)
        };
        let credential = match self.tenants.add_credential(credential).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => return Err(no_tenant(&tenant.name)),
            Err(other) => return Err(other.into()),
        };
        Ok(NewToken {
            token: IssuedToken {
                credential_id: credential.id.clone(),
                token: secret,
            },
            credential,
        })
    }

    /// The credential of `secret`: only its hash and visible prefix.
    fn new_credential(
        &self,
        tenant: &TenantId,
        secret: &str,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    ) -> NewCredential {
        NewCredential {
            id: self.ids.new_id(),
            tenant_id: tenant.clone(),
            token_hash: hash_token(secret),
            prefix: secret.chars().take(VISIBLE_PREFIX_LEN).collect(),
            created: now,
            expires,
            replaces: None,
        }
    }
}

/// The stored form of a credential about to be written.
fn stored(c: &NewCredential) -> Credential {
    Credential {
        id: c.id.clone(),
        tenant_id: c.tenant_id.clone(),
        prefix: c.prefix.clone(),
        created: c.created,
        expires: c.expires,
        revoked: None,
        replaces: c.replaces.clone(),
    }
}

/// Checks the tenant-name rule [`AuthService::create_tenant`] documents.
fn validate_tenant_name(name: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if name.is_empty() || name.chars().count() > MAX_TENANT_NAME_CHARS || !name.chars().all(allowed)
    {
        return Err(Error::invalid_value(format!(
            "invalid tenant name {name:?}: use 1 to {MAX_TENANT_NAME_CHARS} characters \
             among a-z, 0-9, '-', '_' and '.'"
        )));
    }
    Ok(())
}

/// An expiry, when given, must lie after `now`.
fn check_future(expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), Error> {
    match expires {
        Some(at) if at <= now => Err(Error::invalid_value("the expiry must be in the future")),
        _ => Ok(()),
    }
}

fn no_tenant(name: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no tenant named {name:?}"))
}

fn name_taken(name: &str) -> Error {
    Error::new(
        ErrorKind::Uniqueness,
        format!("a tenant named {name:?} exists already"),
    )
}

fn no_credential(tenant: &str, credential_id: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("tenant {tenant:?} has no credential {credential_id:?}"),
    )
}

fn credential_error(err: StoreError, tenant: &str, credential_id: &str) -> Error {
    match err {
        StoreError::NotFound => no_credential(tenant, credential_id),
        other => other.into(),
    }
}

pub(crate) fn unauthorized() -> Error {
    Error::new(ErrorKind::Unauthorized, "a valid bearer token is required")
}

/// A new token: the prefix and 256 random bits in hex.
pub(crate) fn generate_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("the operating system's random source failed: {e}"),
        )
    })?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

/// The most schema extensions one tenant may add.
pub const MAX_TENANT_EXTENSIONS: usize = 32;

/// The most JSON a tenant's schema extensions may take together.
pub const MAX_TENANT_EXTENSION_BYTES: usize = 48 * 1024;

fn check_extensions(extensions: &[crate::TenantExtension]) -> Result<(), Error> {
    if extensions.len() > MAX_TENANT_EXTENSIONS {
        return Err(Error::invalid_value(format!(
            "a tenant can add at most {MAX_TENANT_EXTENSIONS} schema extensions"
        )));
    }
    let mut bytes = 0;
    for (i, extension) in extensions.iter().enumerate() {
        extension.schema.check().map_err(Error::invalid_value)?;
        if extensions[..i].iter().any(|e| {
            e.resource_type
                .eq_ignore_ascii_case(&extension.resource_type)
                && e.schema.id.eq_ignore_ascii_case(&extension.schema.id)
        }) {
            return Err(Error::invalid_value(format!(
                "{} extends {} twice",
                extension.schema.id, extension.resource_type
            )));
        }
        bytes += serde_json::to_string(extension.schema.as_ref())
            .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?
            .len();
    }
    if bytes > MAX_TENANT_EXTENSION_BYTES {
        return Err(Error::invalid_value(format!(
            "a tenant's schema extensions can take at most {MAX_TENANT_EXTENSION_BYTES} bytes of JSON, not {bytes}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{SystemClock, UuidV7Ids};
    use crate::testing::MemoryStore;

    fn service(store: Arc<MemoryStore>) -> AuthService {
        AuthService::new(store, Arc::new(SystemClock), Arc::new(UuidV7Ids))
    }

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn bootstrap_generates_a_token_once_and_it_authenticates() {
        let store = Arc::new(MemoryStore::default());
        let auth = service(store.clone());
        let BootstrapOutcome::Created {
            tenant, generated, ..
        } = auth.bootstrap("default", None).await.unwrap()
        else {
            panic!("first bootstrap must create the tenant");
        };
        let issued = generated.unwrap();
        assert!(issued.token.starts_with(TOKEN_PREFIX));
        assert_eq!(issued.token.len(), TOKEN_PREFIX.len() + 64);
        assert!(!format!("{issued:?}").contains(&issued.token));

        let principal = auth.authenticate(&issued.token).await.unwrap();
        assert_eq!(principal.tenant_id, tenant.id);

        let again = auth.bootstrap("default", None).await.unwrap();
        assert_eq!(again, BootstrapOutcome::Existing(tenant));
    }

    #[tokio::test]
    async fn bootstrap_with_a_supplied_token_returns_no_secret() {
        let store = Arc::new(MemoryStore::default());
        let auth = service(store);
        let outcome = auth
            .bootstrap("default", Some("my-automation-token"))
            .await
            .unwrap();
        assert!(matches!(
            outcome,
            BootstrapOutcome::Created {
                generated: None,
                ..
            }
        ));
        assert!(auth.authenticate("my-automation-token").await.is_ok());
    }

    #[tokio::test]
    async fn unknown_and_empty_tokens_are_unauthorized() {
        let store = Arc::new(MemoryStore::default());
        let auth = service(store);
        auth.bootstrap("default", Some("right")).await.unwrap();
        for token in ["wrong", "", "right "] {
            let err = auth.authenticate(token).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthorized, "{token:?}");
        }
    }

    /// A clock the test moves by hand.
    struct TestClock(std::sync::Mutex<DateTime<Utc>>);

    impl TestClock {
        fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap();
            *now += by;
        }
    }

    impl Clock for TestClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    fn with_clock() -> (AuthService, Arc<TestClock>) {
        let start = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let clock = Arc::new(TestClock(std::sync::Mutex::new(start)));
        let auth = AuthService::new(
            Arc::new(MemoryStore::default()),
            clock.clone(),
            Arc::new(UuidV7Ids),
        );
        (auth, clock)
    }

    fn kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorKind {
        result.unwrap_err().kind()
    }

    #[tokio::test]
    async fn created_tenants_get_a_token_that_authenticates_to_them_only() {
        let (auth, clock) = with_clock();
        let acme = auth.create_tenant("acme", None, None).await.unwrap();
        clock.advance(Duration::seconds(1));
        let globex = auth
            .create_tenant("globex.eu_2", Some("globex-automation"), None)
            .await
            .unwrap();
        assert!(acme.token.token.starts_with(TOKEN_PREFIX));
        assert_eq!(acme.token.credential_id, acme.credential.id);
        assert_eq!(acme.credential.prefix, acme.token.token[..12]);
        assert_eq!(globex.token.token, "globex-automation");
        let principal = auth.authenticate(&acme.token.token).await.unwrap();
        assert_eq!(principal.tenant_id, acme.tenant.id);
        assert_eq!(principal.credential_id, acme.credential.id);
        let principal = auth.authenticate("globex-automation").await.unwrap();
        assert_eq!(principal.tenant_id, globex.tenant.id);

        let names: Vec<String> = auth
            .tenants()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["acme", "globex.eu_2"]);
        assert_eq!(auth.tenant("acme").await.unwrap(), acme.tenant);
        assert_eq!(kind(auth.tenant("initech").await), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn tenant_names_are_validated_and_unique() {
        let (auth, _) = with_clock();
        let too_long = "a".repeat(MAX_TENANT_NAME_CHARS + 1);
        for bad in ["", "Acme", "ac me", "acme/1", "ácme", too_long.as_str()] {
            assert_eq!(
                kind(auth.create_tenant(bad, None, None).await),
                ErrorKind::InvalidValue,
                "{bad:?}"
            );
        }
        let longest = "a".repeat(MAX_TENANT_NAME_CHARS);
        auth.create_tenant(&longest, None, None).await.unwrap();
        auth.create_tenant("acme", None, None).await.unwrap();
        assert_eq!(
            kind(auth.create_tenant("acme", None, None).await),
            ErrorKind::Uniqueness
        );
        assert_eq!(
            kind(auth.create_tenant("blank", Some("  "), None).await),
            ErrorKind::InvalidValue
        );
        assert_eq!(auth.tenants().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn an_expired_token_is_unauthorized() {
        let (auth, clock) = with_clock();
        let expires = clock.now() + Duration::hours(1);
        let created = auth
            .create_tenant("acme", None, Some(expires))
            .await
            .unwrap();
        assert_eq!(created.credential.expires, Some(expires));
        let token = created.token.token;
        clock.advance(Duration::minutes(59));
        assert!(auth.authenticate(&token).await.is_ok());
        clock.advance(Duration::minutes(1));
        assert_eq!(
            kind(auth.authenticate(&token).await),
            ErrorKind::Unauthorized
        );
        let listed = auth.tokens("acme").await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].status(clock.now()), CredentialStatus::Expired);

        let past = clock.now() - Duration::seconds(1);
        assert_eq!(
            kind(auth.issue_token("acme", Some(past)).await),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind(auth.create_tenant("late", None, Some(clock.now())).await),
            ErrorKind::InvalidValue
        );
    }

    #[tokio::test]
    async fn issued_tokens_add_to_the_existing_ones() {
        let (auth, clock) = with_clock();
        let first = auth.create_tenant("acme", None, None).await.unwrap();
        clock.advance(Duration::seconds(1));
        let second = auth.issue_token("acme", None).await.unwrap();
        assert_ne!(first.token.token, second.token.token);
        assert!(auth.authenticate(&first.token.token).await.is_ok());
        assert!(auth.authenticate(&second.token.token).await.is_ok());
        let ids: Vec<String> = auth
            .tokens("acme")
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, [first.credential.id, second.credential.id]);
        assert_eq!(
            kind(auth.issue_token("initech", None).await),
            ErrorKind::NotFound
        );
        assert_eq!(kind(auth.tokens("initech").await), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn revocation_is_immediate_and_scoped_to_the_tenant() {
        let (auth, clock) = with_clock();
        let acme = auth.create_tenant("acme", None, None).await.unwrap();
        let globex = auth.create_tenant("globex", None, None).await.unwrap();
        assert_eq!(
            kind(auth.revoke_token("globex", &acme.credential.id).await),
            ErrorKind::NotFound,
            "another tenant's credential is not found"
        );
        assert!(auth.authenticate(&acme.token.token).await.is_ok());

        let revoked = auth
            .revoke_token("acme", &acme.credential.id)
            .await
            .unwrap();
        assert_eq!(revoked.revoked, Some(clock.now()));
        assert_eq!(
            kind(auth.authenticate(&acme.token.token).await),
            ErrorKind::Unauthorized
        );
        assert!(auth.authenticate(&globex.token.token).await.is_ok());
        clock.advance(Duration::seconds(5));
        let again = auth
            .revoke_token("acme", &acme.credential.id)
            .await
            .unwrap();
        assert_eq!(again.revoked, revoked.revoked, "revoking again is a no-op");
        assert_eq!(
            kind(auth.revoke_token("acme", "no-such-credential").await),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(auth.revoke_token("initech", &acme.credential.id).await),
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn rotation_keeps_the_old_token_for_the_grace_period_only() {
        let (auth, clock) = with_clock();
        let acme = auth.create_tenant("acme", None, None).await.unwrap();
        let old = acme.token.token;
        let rotation = auth
            .rotate_token("acme", &acme.credential.id, Duration::hours(24), None)
            .await
            .unwrap();
        let new = rotation.new.token.token.clone();
        assert_ne!(new, old);
        assert_eq!(rotation.new.credential.expires, None);
        assert_eq!(
            rotation.previous.expires,
            Some(clock.now() + Duration::hours(24))
        );
        assert!(auth.authenticate(&old).await.is_ok());
        clock.advance(Duration::hours(23));
        assert!(auth.authenticate(&old).await.is_ok(), "within the grace");
        clock.advance(Duration::hours(1));
        assert_eq!(
            kind(auth.authenticate(&old).await),
            ErrorKind::Unauthorized,
            "after the grace"
        );
        assert!(auth.authenticate(&new).await.is_ok());
        assert_eq!(
            kind(
                auth.rotate_token("acme", &acme.credential.id, Duration::hours(1), None)
                    .await
            ),
            ErrorKind::Conflict,
            "an expired credential is not rotated"
        );
    }

    #[tokio::test]
    async fn the_first_use_of_a_rotated_token_ends_the_old_ones_grace() {
        let (auth, clock) = with_clock();
        let acme = auth.create_tenant("acme", None, None).await.unwrap();
        let old = acme.token.token;
        let rotation = auth
            .rotate_token("acme", &acme.credential.id, Duration::hours(24), None)
            .await
            .unwrap();
        assert_eq!(
            rotation.new.credential.replaces.as_deref(),
            Some(acme.credential.id.as_str())
        );
        clock.advance(Duration::minutes(5));
        assert!(auth.authenticate(&old).await.is_ok(), "not confirmed yet");
        let principal = auth.authenticate(&rotation.new.token.token).await.unwrap();
        assert_eq!(principal.credential_id, rotation.new.credential.id);
        assert_eq!(
            kind(auth.authenticate(&old).await),
            ErrorKind::Unauthorized,
            "the first use of the new token confirms the rotation"
        );
        let tokens = auth.tokens("acme").await.unwrap();
        let previous = tokens.iter().find(|c| c.id == acme.credential.id).unwrap();
        assert_eq!(previous.expires, Some(clock.now()));
        let current = tokens
            .iter()
            .find(|c| c.id == rotation.new.credential.id)
            .unwrap();
        assert_eq!(current.replaces, None, "confirmed once");
        assert!(auth.authenticate(&rotation.new.token.token).await.is_ok());
    }

    #[tokio::test]
    async fn rotation_respects_an_earlier_expiry_and_sets_the_new_one() {
        let (auth, clock) = with_clock();
        let created = auth
            .create_tenant("acme", None, Some(clock.now() + Duration::days(30)))
            .await
            .unwrap();
        clock.advance(Duration::days(29));
        let expires = clock.now() + Duration::days(30);
        let rotation = auth
            .rotate_token(
                "acme",
                &created.credential.id,
                Duration::days(3),
                Some(expires),
            )
            .await
            .unwrap();
        assert_eq!(
            rotation.previous.expires, created.credential.expires,
            "the grace never extends a token"
        );
        assert_eq!(rotation.new.credential.expires, Some(expires));
        assert_eq!(
            kind(
                auth.rotate_token(
                    "acme",
                    &rotation.new.credential.id,
                    Duration::hours(1),
                    Some(clock.now()),
                )
                .await
            ),
            ErrorKind::InvalidValue,
            "the new expiry must be in the future"
        );

        let zero = auth
            .rotate_token("acme", &rotation.new.credential.id, Duration::zero(), None)
            .await
            .unwrap();
        assert_eq!(
            kind(auth.authenticate(&rotation.new.token.token).await),
            ErrorKind::Unauthorized,
            "no grace: the old token stops at once"
        );
        assert!(auth.authenticate(&zero.new.token.token).await.is_ok());
        assert_eq!(
            kind(
                auth.rotate_token("acme", &zero.new.credential.id, Duration::hours(-1), None)
                    .await
            ),
            ErrorKind::InvalidValue
        );
        auth.revoke_token("acme", &zero.new.credential.id)
            .await
            .unwrap();
        assert_eq!(
            kind(
                auth.rotate_token("acme", &zero.new.credential.id, Duration::hours(1), None)
                    .await
            ),
            ErrorKind::Conflict,
            "a revoked credential is not rotated"
        );
        assert_eq!(
            kind(
                auth.rotate_token("acme", "nope", Duration::hours(1), None)
                    .await
            ),
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn deleting_a_tenant_ends_its_tokens_and_frees_its_name() {
        let (auth, _) = with_clock();
        let acme = auth.create_tenant("acme", None, None).await.unwrap();
        let extra = auth.issue_token("acme", None).await.unwrap();
        let globex = auth.create_tenant("globex", None, None).await.unwrap();
        let deleted = auth.delete_tenant("acme").await.unwrap();
        assert_eq!(deleted, acme.tenant);
        for token in [&acme.token.token, &extra.token.token] {
            assert_eq!(
                kind(auth.authenticate(token).await),
                ErrorKind::Unauthorized
            );
        }
        assert!(auth.authenticate(&globex.token.token).await.is_ok());
        assert_eq!(kind(auth.delete_tenant("acme").await), ErrorKind::NotFound);
        let again = auth.create_tenant("acme", None, None).await.unwrap();
        assert_ne!(again.tenant.id, acme.tenant.id);
        assert_eq!(auth.tokens("acme").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn policies_pass_through_by_name() {
        let (auth, _) = with_clock();
        auth.create_tenant("acme", None, None).await.unwrap();
        assert_eq!(
            auth.policies("acme").await.unwrap(),
            TenantPolicies::default()
        );
        let chosen = TenantPolicies {
            duplicates: Some(crate::DuplicatePolicy::Conflict),
            delete_mode: Some(crate::DeleteMode::Hard),
            strictness: Some(scim_schema::Strictness::Strict),
            idp: Some(crate::IdpProfile::Entra),
            extensions: Vec::new(),
        };
        auth.set_policies("acme", chosen.clone()).await.unwrap();
        assert_eq!(auth.policies("acme").await.unwrap(), chosen);
        assert_eq!(
            kind(auth.set_policies("initech", chosen).await),
            ErrorKind::NotFound
        );
        assert_eq!(kind(auth.policies("initech").await), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn losing_the_bootstrap_race_reports_the_existing_tenant() {
        use crate::ports::MockTenantStore;
        let winner = Tenant {
            id: TenantId("t-1".into()),
            name: "default".into(),
            created: chrono::Utc::now(),
        };
        let mut store = MockTenantStore::new();
        let mut lookups = 0;
        let found = winner.clone();
        store
            .expect_find_tenant_by_name()
            .times(2)
            .returning(move |_| {
                lookups += 1;
                Ok((lookups > 1).then(|| found.clone()))
            });
        store.expect_create_tenant().times(1).returning(|_, _| {
            Err(StoreError::Conflict {
                attribute: "name".into(),
            })
        });
        let auth = AuthService::new(Arc::new(store), Arc::new(SystemClock), Arc::new(UuidV7Ids));
        let outcome = auth.bootstrap("default", None).await.unwrap();
        assert_eq!(outcome, BootstrapOutcome::Existing(winner));
    }
}
