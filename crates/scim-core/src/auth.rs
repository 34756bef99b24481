//! Bearer-token authentication and first-start bootstrap.

use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::model::{NewCredential, NewTenant, Principal, Tenant, TenantId};
use crate::ports::{Clock, IdGenerator, StoreError, TenantStore};

/// The prefix of every token this server issues, so that leaked tokens are
/// easy to recognise (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "scim_";

/// How many characters of a token are kept in clear, to tell tokens apart.
const VISIBLE_PREFIX_LEN: usize = 12;

/// The hex SHA-256 of a token: what is stored and looked up.
///
/// Tokens are high-entropy random strings, so a fast hash is enough; a slow
/// password hash would only add latency to every request.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
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

/// Resolves bearer tokens to principals and creates tenants.
pub struct AuthService {
    tenants: Arc<dyn TenantStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
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
        }
    }

    /// Resolves a bearer token. Unknown or revoked tokens are
    /// [`ErrorKind::Unauthorized`]; the error does not say which.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, Error> {
        if token.is_empty() {
            return Err(unauthorized());
        }
        let credential = self
            .tenants
            .find_credential(&hash_token(token))
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Principal {
            tenant_id: credential.tenant_id,
            credential_id: credential.id,
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
        let credential = NewCredential {
            id: self.ids.new_id(),
            tenant_id: tenant.id.clone(),
            token_hash: hash_token(secret),
            prefix: secret.chars().take(VISIBLE_PREFIX_LEN).collect(),
            created: now,
        };
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
}

fn unauthorized() -> Error {
    Error::new(ErrorKind::Unauthorized, "a valid bearer token is required")
}

/// A new token: the prefix and 256 random bits in hex.
fn generate_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("the operating system's random source failed: {e}"),
        )
    })?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
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
