//! Clients, this server's access tokens and trusted issuers' JWTs, against
//! the in-memory store, a hand-moved clock and a counting JWKS source.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::*;
use crate::ports::{Clock, FetchError, UuidV7Ids};
use crate::testing::MemoryStore;

const EC_PEM: &str = include_str!("../../../../tests/fixtures/oauth/test-only-ec-private-key.pem");
const EC_JWK: &str = include_str!("../../../../tests/fixtures/oauth/test-only-ec-jwk.json");
const ED_PEM: &str =
    include_str!("../../../../tests/fixtures/oauth/test-only-ed25519-private-key.pem");
const ED_JWK: &str = include_str!("../../../../tests/fixtures/oauth/test-only-ed25519-jwk.json");
const RSA_JWK: &str = include_str!("../../../../tests/fixtures/oauth/test-only-rsa-jwk.json");

const ISSUER: &str = "https://idp.example.com/";
const AUDIENCE: &str = "api://scim";
const JWKS_URL: &str = "https://idp.example.com/keys";

struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Serves whatever JWKS the test put in, and counts the fetches.
#[derive(Default)]
struct Keys {
    document: Mutex<String>,
    fetches: AtomicUsize,
}

impl Keys {
    fn serve(&self, jwks: &[&str]) {
        *self.document.lock().unwrap() = jwks_of(jwks);
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl JwksSource for Keys {
    async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        assert_eq!(url, JWKS_URL);
        let document = self.document.lock().unwrap().clone();
        if document.is_empty() {
            return Err(FetchError("unreachable".into()));
        }
        Ok(document)
    }
}

fn jwks_of(jwks: &[&str]) -> String {
    let keys: Vec<Value> = jwks
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    json!({ "keys": keys }).to_string()
}

struct Fixture {
    auth: AuthService,
    clock: Arc<TestClock>,
    keys: Arc<Keys>,
}

async fn fixture() -> Fixture {
    let start = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(start)));
    let keys = Arc::new(Keys::default());
    let auth = AuthService::new(
        Arc::new(MemoryStore::default()),
        clock.clone(),
        Arc::new(UuidV7Ids),
    )
    .with_oauth(
        OAuthConfig {
            issuer: "https://scim.example.com".into(),
            ..OAuthConfig::default()
        },
        Some(keys.clone()),
    );
    auth.create_tenant("acme", None, None).await.unwrap();
    auth.create_tenant("globex", None, None).await.unwrap();
    Fixture { auth, clock, keys }
}

/// A JWT signed with a test key, `exp` an hour after `now`.
fn external(pem: &str, alg: Algorithm, kid: &str, now: DateTime<Utc>, claims: Value) -> String {
    let mut all = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "entra-app",
        "iat": now.timestamp(),
        "exp": now.timestamp() + 3600,
    });
    if let (Value::Object(all), Value::Object(extra)) = (&mut all, claims) {
        all.extend(extra);
    }
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
        _ => EncodingKey::from_ed_pem(pem.as_bytes()),
    }
    .unwrap();
    jsonwebtoken::encode(&header, &all, &key).unwrap()
}

fn kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorKind {
    result.unwrap_err().kind()
}

#[tokio::test]
async fn a_client_trades_its_secret_for_an_access_token_of_its_tenant() {
    let f = fixture().await;
    let created = f.auth.create_client("acme", Some("entra")).await.unwrap();
    assert!(created.secret.starts_with(crate::TOKEN_PREFIX));
    assert!(!format!("{created:?}").contains(&created.secret));
    assert_eq!(created.client.name, "entra");

    let issued = f
        .auth
        .issue_access_token(&created.client.id, &created.secret)
        .await
        .unwrap();
    assert_eq!(issued.expires_in, 3600);
    assert!(!format!("{issued:?}").contains(&issued.token));
    let principal = f.auth.authenticate(&issued.token).await.unwrap();
    let acme = f.auth.tenant("acme").await.unwrap();
    assert_eq!(principal.tenant_id, acme.id);
    assert_eq!(principal.credential_id, created.client.id);

    let listed = f.auth.clients("acme").await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&created.client));
    assert!(f.auth.clients("globex").await.unwrap().is_empty());
}

#[tokio::test]
async fn wrong_secrets_and_unknown_or_revoked_clients_are_invalid_clients() {
    let f = fixture().await;
    let created = f.auth.create_client("acme", None).await.unwrap();
    let id = created.client.id.as_str();
    for (client, secret) in [
        (id, "scim_wrong"),
        (id, ""),
        ("", created.secret.as_str()),
        ("no-such-client", created.secret.as_str()),
    ] {
        let err = f.auth.issue_access_token(client, secret).await.unwrap_err();
        assert!(matches!(err, TokenError::InvalidClient), "{client:?}");
        assert_eq!(err.code(), "invalid_client");
    }
    let issued = f
        .auth
        .issue_access_token(id, &created.secret)
        .await
        .unwrap();
    assert_eq!(
        kind(f.auth.revoke_client("globex", id).await),
        ErrorKind::NotFound,
        "another tenant's client is not found"
    );
    assert!(f.auth.authenticate(&issued.token).await.is_ok());

    let revoked = f.auth.revoke_client("acme", id).await.unwrap();
    assert_eq!(revoked.revoked, Some(f.clock.now()));
    assert_eq!(
        kind(f.auth.authenticate(&issued.token).await),
        ErrorKind::Unauthorized,
        "a revoked client's tokens stop at once"
    );
    assert!(matches!(
        f.auth.issue_access_token(id, &created.secret).await,
        Err(TokenError::InvalidClient)
    ));
    f.clock.advance(Duration::seconds(5));
    let again = f.auth.revoke_client("acme", id).await.unwrap();
    assert_eq!(again.revoked, revoked.revoked, "revoking again is a no-op");
}

#[tokio::test]
async fn access_tokens_expire_with_their_lifetime() {
    let f = fixture().await;
    let created = f.auth.create_client("acme", None).await.unwrap();
    let issued = f
        .auth
        .issue_access_token(&created.client.id, &created.secret)
        .await
        .unwrap();
    f.clock.advance(Duration::minutes(60));
    assert!(
        f.auth.authenticate(&issued.token).await.is_ok(),
        "within the leeway"
    );
    f.clock.advance(Duration::seconds(60));
    assert_eq!(
        kind(f.auth.authenticate(&issued.token).await),
        ErrorKind::Unauthorized
    );
}

#[tokio::test]
async fn access_tokens_with_another_signature_or_tenant_are_refused() {
    let f = fixture().await;
    let created = f.auth.create_client("acme", None).await.unwrap();
    let issued = f
        .auth
        .issue_access_token(&created.client.id, &created.secret)
        .await
        .unwrap();
    let now = f.clock.now().timestamp();
    let claims = |tenant: &str| {
        json!({"iss": "https://scim.example.com", "sub": created.client.id,
               "tenant": tenant, "iat": now, "exp": now + 600, "jti": "x"})
    };
    let acme = f.auth.tenant("acme").await.unwrap().id;
    let globex = f.auth.tenant("globex").await.unwrap().id;
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(acme.as_str()),
        &EncodingKey::from_secret(b"not the server's key, though as long as it"),
    )
    .unwrap();
    assert_eq!(
        kind(f.auth.authenticate(&forged).await),
        ErrorKind::Unauthorized
    );

    // The real key, but the tenant claim names another tenant.
    let key = f.auth.signing_key().await.unwrap();
    let moved = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(globex.as_str()),
        &EncodingKey::from_secret(&key),
    )
    .unwrap();
    assert_eq!(
        kind(f.auth.authenticate(&moved).await),
        ErrorKind::Unauthorized
    );

    // A tampered payload with the original signature.
    let parts: Vec<&str> = issued.token.split('.').collect();
    let body = base64_url(&claims(globex.as_str()).to_string());
    let tampered = format!("{}.{}.{}", parts[0], body, parts[2]);
    assert_eq!(
        kind(f.auth.authenticate(&tampered).await),
        ErrorKind::Unauthorized
    );
}

fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn the_signing_key_is_generated_once_and_shared_through_storage() {
    let store = Arc::new(MemoryStore::default());
    let one = AuthService::new(
        store.clone(),
        Arc::new(SystemClockLike),
        Arc::new(UuidV7Ids),
    );
    let two = AuthService::new(
        store.clone(),
        Arc::new(SystemClockLike),
        Arc::new(UuidV7Ids),
    );
    one.create_tenant("acme", None, None).await.unwrap();
    let created = one.create_client("acme", None).await.unwrap();
    let issued = one
        .issue_access_token(&created.client.id, &created.secret)
        .await
        .unwrap();
    assert!(
        two.authenticate(&issued.token).await.is_ok(),
        "another replica verifies it"
    );
}

struct SystemClockLike;

impl Clock for SystemClockLike {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[tokio::test]
async fn the_access_token_lifetime_is_bounded() {
    assert!(OAuthConfig::lifetime_minutes(4).is_err());
    assert!(OAuthConfig::lifetime_minutes(1441).is_err());
    assert_eq!(
        OAuthConfig::lifetime_minutes(5).unwrap(),
        Duration::minutes(5)
    );
    assert_eq!(
        OAuthConfig::lifetime_minutes(1440).unwrap(),
        Duration::days(1)
    );
}

#[tokio::test]
async fn a_trusted_issuers_jwt_authenticates_as_the_trusting_tenant() {
    let f = fixture().await;
    f.keys.serve(&[EC_JWK]);
    let trust = f
        .auth
        .add_trust("acme", ISSUER, AUDIENCE, JwksLocation::Url(JWKS_URL.into()))
        .await
        .unwrap();
    let token = external(
        EC_PEM,
        Algorithm::ES256,
        "test-ec-1",
        f.clock.now(),
        json!({}),
    );
    let principal = f.auth.authenticate(&token).await.unwrap();
    assert_eq!(principal.tenant_id, trust.tenant_id);
    assert_eq!(principal.credential_id, trust.id);
    assert_eq!(f.auth.authenticate(&token).await.unwrap(), principal);
    assert_eq!(f.keys.fetches(), 1, "the JWKS is cached");

    // An array audience holding ours works too.
    let token = external(
        EC_PEM,
        Algorithm::ES256,
        "test-ec-1",
        f.clock.now(),
        json!({"aud": ["other", AUDIENCE]}),
    );
    assert!(f.auth.authenticate(&token).await.is_ok());
}

#[tokio::test]
async fn wrong_audience_issuer_signature_or_times_are_refused() {
    let f = fixture().await;
    f.keys.serve(&[EC_JWK]);
    f.auth
        .add_trust("acme", ISSUER, AUDIENCE, JwksLocation::Url(JWKS_URL.into()))
        .await
        .unwrap();
    let now = f.clock.now();
    let refused = [
        ("audience", json!({"aud": "api://other"})),
        ("no audience", json!({"aud": null})),
        ("issuer", json!({"iss": "https://evil.example.com/"})),
        ("expired", json!({"exp": now.timestamp() - 61})),
        ("not yet valid", json!({"nbf": now.timestamp() + 120})),
        ("no expiry", json!({"exp": null})),
    ];
    for (what, claims) in refused {
        let token = external(EC_PEM, Algorithm::ES256, "test-ec-1", now, claims);
        assert_eq!(
            kind(f.auth.authenticate(&token).await),
            ErrorKind::Unauthorized,
            "{what}"
        );
    }
    // Signed by another key under the trusted key's id.
    let token = external(ED_PEM, Algorithm::EdDSA, "test-ec-1", now, json!({}));
    assert_eq!(
        kind(f.auth.authenticate(&token).await),
        ErrorKind::Unauthorized
    );
    // Within the leeway, expiry and nbf pass.
    let token = external(
        EC_PEM,
        Algorithm::ES256,
        "test-ec-1",
        now,
        json!({"exp": now.timestamp() - 30, "nbf": now.timestamp() + 30}),
    );
    assert!(f.auth.authenticate(&token).await.is_ok());
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_at_most_once_per_interval() {
    let f = fixture().await;
    f.keys.serve(&[EC_JWK]);
    f.auth
        .add_trust("acme", ISSUER, AUDIENCE, JwksLocation::Url(JWKS_URL.into()))
        .await
        .unwrap();
    let first = external(
        EC_PEM,
        Algorithm::ES256,
        "test-ec-1",
        f.clock.now(),
        json!({}),
    );
    assert!(f.auth.authenticate(&first).await.is_ok());
    assert_eq!(f.keys.fetches(), 1);

    // The issuer rotates to a new key; within the interval the server does
    // not refetch, however many tokens name the new key.
    f.keys.serve(&[ED_JWK]);
    let rotated = external(
        ED_PEM,
        Algorithm::EdDSA,
        "test-ed-2",
        f.clock.now(),
        json!({}),
    );
    for _ in 0..3 {
        assert_eq!(
            kind(f.auth.authenticate(&rotated).await),
            ErrorKind::Unauthorized
        );
    }
    assert_eq!(f.keys.fetches(), 1);

    f.clock.advance(Duration::seconds(30));
    assert!(f.auth.authenticate(&rotated).await.is_ok());
    assert_eq!(f.keys.fetches(), 2, "one refetch for the unknown kid");
    assert_eq!(
        kind(f.auth.authenticate(&first).await),
        ErrorKind::Unauthorized,
        "the retired key is gone from the new set"
    );
    assert_eq!(f.keys.fetches(), 2, "a known set is not refetched early");
}

#[tokio::test]
async fn the_jwks_cache_expires_and_survives_a_failed_refetch() {
    let f = fixture().await;
    f.keys.serve(&[EC_JWK]);
    f.auth
        .add_trust("acme", ISSUER, AUDIENCE, JwksLocation::Url(JWKS_URL.into()))
        .await
        .unwrap();
    let token = |now| external(EC_PEM, Algorithm::ES256, "test-ec-1", now, json!({}));
    assert!(f.auth.authenticate(&token(f.clock.now())).await.is_ok());
    f.clock.advance(Duration::minutes(10));
    // The issuer is down: the expired keys stay in use.
    f.keys.serve(&[]);
    *f.keys.document.lock().unwrap() = String::new();
    assert!(f.auth.authenticate(&token(f.clock.now())).await.is_ok());
    assert_eq!(f.keys.fetches(), 2, "expired keys are refetched");
    f.keys.serve(&[EC_JWK]);
    f.clock.advance(Duration::seconds(10));
    assert!(f.auth.authenticate(&token(f.clock.now())).await.is_ok());
    assert_eq!(f.keys.fetches(), 2, "not again within the interval");
}

#[tokio::test]
async fn inline_jwks_rsa_keys_and_trust_rules() {
    let f = fixture().await;
    let inline = jwks_of(&[RSA_JWK, ED_JWK]);
    let trust = f
        .auth
        .add_trust("globex", ISSUER, AUDIENCE, JwksLocation::Inline(inline))
        .await
        .unwrap();
    let token = external(
        ED_PEM,
        Algorithm::EdDSA,
        "test-ed-2",
        f.clock.now(),
        json!({}),
    );
    let principal = f.auth.authenticate(&token).await.unwrap();
    assert_eq!(principal.tenant_id, trust.tenant_id);
    assert_eq!(f.keys.fetches(), 0);

    assert_eq!(
        kind(
            f.auth
                .add_trust("acme", ISSUER, AUDIENCE, JwksLocation::Url(JWKS_URL.into()))
                .await
        ),
        ErrorKind::Uniqueness,
        "an issuer and audience name one tenant"
    );
    let symmetric = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}).to_string();
    for (issuer, audience, jwks) in [
        ("", AUDIENCE, JwksLocation::Url(JWKS_URL.into())),
        (ISSUER, "two words", JwksLocation::Url(JWKS_URL.into())),
        (
            "https://scim.example.com",
            AUDIENCE,
            JwksLocation::Url(JWKS_URL.into()),
        ),
        (ISSUER, "b", JwksLocation::Url("ftp://idp/keys".into())),
        (ISSUER, "b", JwksLocation::Inline("{}".into())),
        (ISSUER, "b", JwksLocation::Inline(symmetric)),
    ] {
        assert_eq!(
            kind(f.auth.add_trust("acme", issuer, audience, jwks).await),
            ErrorKind::InvalidValue,
            "{issuer} {audience}"
        );
    }
    assert_eq!(
        f.auth.trusts("globex").await.unwrap(),
        std::slice::from_ref(&trust)
    );
    assert!(f.auth.trusts("acme").await.unwrap().is_empty());
    assert_eq!(
        kind(f.auth.remove_trust("acme", ISSUER).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        f.auth.remove_trust("globex", ISSUER).await.unwrap(),
        [trust]
    );
    assert_eq!(
        kind(f.auth.authenticate(&token).await),
        ErrorKind::Unauthorized,
        "a removed trust stops at once"
    );
}

#[tokio::test]
async fn an_hmac_token_claiming_a_trusted_issuer_is_refused() {
    let f = fixture().await;
    f.auth
        .add_trust(
            "acme",
            ISSUER,
            AUDIENCE,
            JwksLocation::Inline(jwks_of(&[RSA_JWK])),
        )
        .await
        .unwrap();
    // The classic confusion: the RSA public key used as an HMAC secret.
    let now = f.clock.now().timestamp();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600}),
        &EncodingKey::from_secret(RSA_JWK.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        kind(f.auth.authenticate(&token).await),
        ErrorKind::Unauthorized
    );
}

#[tokio::test]
async fn static_tokens_keep_working_beside_jwts() {
    let f = fixture().await;
    let issued = f.auth.issue_token("acme", None).await.unwrap();
    assert!(f.auth.authenticate(&issued.token.token).await.is_ok());
    // An operator-chosen static token shaped like a JWT still works.
    let shaped = external(
        EC_PEM,
        Algorithm::ES256,
        "test-ec-1",
        f.clock.now(),
        json!({}),
    );
    f.auth
        .create_tenant("initech", Some(&shaped), None)
        .await
        .unwrap();
    let principal = f.auth.authenticate(&shaped).await.unwrap();
    assert_eq!(
        principal.tenant_id,
        f.auth.tenant("initech").await.unwrap().id
    );
}
