//! OAuth over HTTP against the real server: clients created with the
//! operator's `client` command trade their secret for access tokens at
//! `/oauth/token`; JWTs of an issuer a tenant trusts, whose keys a local
//! JWKS endpoint serves, authenticate as that tenant.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use scim_core::ports::TenantStore;
use scim_server::{ClientCommand, Settings, TenantCommand, TrustCommand};
use scim_tests::TestServer;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EC_PEM: &str = include_str!("../fixtures/oauth/test-only-ec-private-key.pem");
pub(crate) const EC_JWK: &str = include_str!("../fixtures/oauth/test-only-ec-jwk.json");
const ED_PEM: &str = include_str!("../fixtures/oauth/test-only-ed25519-private-key.pem");
const ED_JWK: &str = include_str!("../fixtures/oauth/test-only-ed25519-jwk.json");

pub(crate) const ISSUER: &str = "https://login.example.com/tenant-1/v2.0";
pub(crate) const AUDIENCE: &str = "api://scim-e2e";

fn settings(server: &TestServer) -> Settings {
    Settings::with_defaults(server.data_dir.path(), "127.0.0.1:0".parse().unwrap())
}

fn origin(server: &TestServer) -> String {
    server.base.trim_end_matches("/scim/v2").to_owned()
}

/// `client create` with `--json`: (client id, secret).
async fn create_client(server: &TestServer, tenant: &str) -> (String, String) {
    let out = scim_server::admin::client(
        &settings(server),
        &ClientCommand::Create {
            tenant: tenant.into(),
            name: "entra".into(),
        },
        true,
    )
    .await
    .unwrap_or_else(|e| panic!("client create: {e:#}"));
    let out: Value = serde_json::from_str(&out).unwrap();
    assert!(
        out["tokenEndpoint"]
            .as_str()
            .unwrap()
            .ends_with("/oauth/token")
    );
    (
        out["clientId"].as_str().unwrap().to_owned(),
        out["clientSecret"].as_str().unwrap().to_owned(),
    )
}

/// The token endpoint with HTTP Basic: (status, body).
async fn token_for(server: &TestServer, id: &str, secret: &str) -> (StatusCode, Value) {
    token_at(&format!("{}/oauth/token", origin(server)), id, secret).await
}

/// The client credentials grant at `endpoint` with HTTP Basic: (status,
/// body).
pub(crate) async fn token_at(endpoint: &str, id: &str, secret: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(endpoint)
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

async fn access_token(server: &TestServer, id: &str, secret: &str) -> String {
    let (status, body) = token_for(server, id, secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    body["access_token"].as_str().unwrap().to_owned()
}

/// A SCIM request with a bearer token: (status, body).
async fn scim(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

/// `body` is a SCIM Error of status `expected`.
pub(crate) fn assert_scim_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], expected.as_u16().to_string());
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

#[tokio::test]
async fn a_cli_client_provisions_with_its_access_token_until_it_is_revoked() {
    let server = TestServer::start().await;
    let (id, secret) = create_client(&server, "default").await;
    let token = access_token(&server, &id, &secret).await;

    let (status, created) = scim(
        &server,
        reqwest::Method::POST,
        "/Users",
        &token,
        Some(user("oauth.user@example.com")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let (status, _) = scim(&server, reqwest::Method::GET, &path, &token, None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = token_for(&server, &id, "scim_wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");

    let listed = scim_server::admin::client(
        &settings(&server),
        &ClientCommand::List {
            tenant: "default".into(),
        },
        true,
    )
    .await
    .unwrap();
    assert!(listed.contains(&id) && !listed.contains(&secret));

    scim_server::admin::client(
        &settings(&server),
        &ClientCommand::Revoke {
            tenant: "default".into(),
            client_id: id.clone(),
        },
        false,
    )
    .await
    .unwrap();
    let (status, body) = scim(&server, reqwest::Method::GET, &path, &token, None).await;
    assert_scim_error(status, &body, StatusCode::UNAUTHORIZED);
    let (status, body) = token_for(&server, &id, &secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    server.stop().await;
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let server = TestServer::start().await;
    let (id, secret) = create_client(&server, "default").await;
    // A token as this server issues it, re-signed with the server's own
    // key (read from its database, as the candidate never replaces it)
    // with an expiry in the past.
    let fresh = access_token(&server, &id, &secret).await;
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(&fresh).unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        server.data_dir.path().join("scim.db").display()
    );
    let store = scim_adapter_seaorm::SeaOrmStore::connect(&url)
        .await
        .unwrap();
    let key = store
        .server_key(scim_core::ServerKey {
            name: "access-token-hs256".into(),
            secret: String::new(),
            created: Default::default(),
        })
        .await
        .unwrap();
    store.close().await.unwrap();
    let secret_bytes: Vec<u8> = (0..key.secret.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&key.secret[i..i + 2], 16).unwrap())
        .collect();
    let sign = |exp: i64| {
        let mut c = claims.clone();
        c["exp"] = json!(exp);
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &c,
            &EncodingKey::from_secret(&secret_bytes),
        )
        .unwrap()
    };
    let now = claims["iat"].as_i64().unwrap();
    let (status, _) = scim(
        &server,
        reqwest::Method::GET,
        "/Users",
        &sign(now + 600),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the re-signed token itself is good");
    let (status, body) = scim(
        &server,
        reqwest::Method::GET,
        "/Users",
        &sign(now - 3600),
        None,
    )
    .await;
    assert_scim_error(status, &body, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn a_client_of_another_tenant_cannot_see_the_tenants_users() {
    let server = TestServer::start().await;
    let (status, created) = scim(
        &server,
        reqwest::Method::POST,
        "/Users",
        &server.token,
        Some(user("private@example.com")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    scim_server::admin::tenant(
        &settings(&server),
        &TenantCommand::Create {
            name: "globex".into(),
            token_expires_in_days: None,
        },
        true,
    )
    .await
    .unwrap();
    let (id, secret) = create_client(&server, "globex").await;
    let theirs = access_token(&server, &id, &secret).await;
    let (status, body) = scim(&server, reqwest::Method::GET, &path, &theirs, None).await;
    assert_scim_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = scim(
        &server,
        reqwest::Method::GET,
        "/Users?filter=userName%20eq%20%22private@example.com%22",
        &theirs,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["totalResults"], 0);
    server.stop().await;
}

/// A JWKS endpoint on loopback whose document the test replaces.
struct Jwks {
    url: String,
    document: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

impl Jwks {
    async fn start(keys: &[&str]) -> Jwks {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        let document = Arc::new(Mutex::new(String::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (doc, count) = (document.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let body = doc.lock().unwrap().clone();
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        let jwks = Jwks {
            url,
            document,
            hits,
        };
        jwks.serve(keys);
        jwks
    }

    fn serve(&self, keys: &[&str]) {
        let keys: Vec<Value> = keys
            .iter()
            .map(|k| serde_json::from_str(k).unwrap())
            .collect();
        *self.document.lock().unwrap() = json!({ "keys": keys }).to_string();
    }
}

/// A JWT of the trusted issuer [`ISSUER`] for [`AUDIENCE`], signed with a
/// fixture key, with `claims` over the defaults.
pub(crate) fn external(alg: Algorithm, kid: &str, claims: Value) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut all =
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "idp-app", "iat": now, "exp": now + 600});
    if let (Value::Object(all), Value::Object(extra)) = (&mut all, claims) {
        all.extend(extra);
    }
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(EC_PEM.as_bytes()),
        _ => EncodingKey::from_ed_pem(ED_PEM.as_bytes()),
    }
    .unwrap();
    jsonwebtoken::encode(&header, &all, &key).unwrap()
}

#[tokio::test]
async fn a_trusted_issuers_jwts_authenticate_and_its_key_rotation_is_picked_up() {
    // Refetching on an unknown kid at once keeps the test fast.
    let server = TestServer::start_with(|s| s.jwks_refetch_secs = 0).await;
    let jwks = Jwks::start(&[EC_JWK]).await;
    let added = scim_server::admin::tenant(
        &settings(&server),
        &TenantCommand::Trust(TrustCommand::Add {
            tenant: "default".into(),
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            jwks_url: Some(jwks.url.clone()),
            jwks_file: None,
        }),
        true,
    )
    .await
    .unwrap();
    let added: Value = serde_json::from_str(&added).unwrap();
    assert_eq!(added["issuer"], ISSUER);

    let good = external(Algorithm::ES256, "test-ec-1", json!({}));
    let (status, body) = scim(&server, reqwest::Method::GET, "/Users", &good, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = scim(&server, reqwest::Method::GET, "/Users", &good, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 1, "the JWKS is cached");

    let expired_at = good_exp_minus(3600);
    for (what, claims) in [
        ("audience", json!({"aud": "api://someone-else"})),
        (
            "issuer",
            json!({"iss": "https://login.example.com/other/v2.0"}),
        ),
        ("expired", json!({"exp": expired_at})),
    ] {
        let token = external(Algorithm::ES256, "test-ec-1", claims);
        let (status, body) = scim(&server, reqwest::Method::GET, "/Users", &token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_scim_error(status, &body, StatusCode::UNAUTHORIZED);
    }

    // The issuer rotates to a new key with a new kid.
    jwks.serve(&[ED_JWK]);
    let rotated = external(Algorithm::EdDSA, "test-ed-2", json!({}));
    let (status, body) = scim(&server, reqwest::Method::GET, "/Users", &rotated, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 2);

    // Removing the trust ends its tokens at once.
    scim_server::admin::tenant(
        &settings(&server),
        &TenantCommand::Trust(TrustCommand::Remove {
            tenant: "default".into(),
            issuer: ISSUER.into(),
        }),
        false,
    )
    .await
    .unwrap();
    let (status, body) = scim(&server, reqwest::Method::GET, "/Users", &rotated, None).await;
    assert_scim_error(status, &body, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

fn good_exp_minus(seconds: i64) -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - seconds
}
