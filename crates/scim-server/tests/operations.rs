//! The real binary as operators run it and host applications build on it:
//! tenants created from the command line and over the admin API, SCIM
//! access with every kind of credential (static, rotated, OAuth client
//! credentials, an external JWT whose keys a local JWKS endpoint serves),
//! isolation between tenants, signed webhooks that catch up after the
//! receiver was down, the event feed paged by cursor and the audit log.
//! Then two server processes on one PostgreSQL database serving one
//! tenant at once.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{Running, command_json, read_banner, signal, start};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

const ADMIN_TOKEN: &str = "operations-test-admin-token-0123456789abcdef";
const EC_PEM: &str = include_str!("../../../tests/fixtures/oauth/test-only-ec-private-key.pem");
const EC_JWK: &str = include_str!("../../../tests/fixtures/oauth/test-only-ec-jwk.json");
const ISSUER: &str = "https://login.example.com/operations/v2.0";
const AUDIENCE: &str = "api://scim-operations";

/// Settings that deliver webhooks within tens of milliseconds.
const FAST_WEBHOOKS: [(&str, &str); 4] = [
    ("SCIM_WEBHOOK_POLL_MILLIS", "50"),
    ("SCIM_WEBHOOK_RETRY_BASE_MILLIS", "200"),
    ("SCIM_WEBHOOK_RETRY_MAX_SECS", "1"),
    ("SCIM_RATE_LIMIT_PER_SECOND", "0"),
];

/// One webhook request as the receiver got it.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    body: String,
}

#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Received>>>);

impl Inbox {
    fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// Every event received, by sequence (a redelivery counts once).
    fn events(&self) -> BTreeMap<u64, Value> {
        self.all()
            .iter()
            .flat_map(|r| {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                body["events"].as_array().unwrap().clone()
            })
            .map(|e| (e["sequence"].as_u64().unwrap(), e))
            .collect()
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let signature = headers
        .get("scim-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    inbox.0.lock().unwrap().push(Received { signature, body });
    StatusCode::NO_CONTENT
}

/// Serves a webhook receiver at `/hook` on `listener`.
fn start_receiver(listener: tokio::net::TcpListener) -> Inbox {
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    inbox
}

/// Serves `{"keys": [EC_JWK]}` at `/jwks`; its URL.
async fn start_jwks() -> String {
    let jwk: Value = serde_json::from_str(EC_JWK).unwrap();
    let document = json!({ "keys": [jwk] });
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `Scim-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
/// checked as a receiver would, independently of the server's code.
fn signed_by(secret: &str, received: &Received) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in received.signature.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

/// A JWT of the trusted issuer, signed with the test key.
fn external_jwt(audience: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims =
        json!({"iss": ISSUER, "aud": audience, "sub": "idp-app", "iat": now, "exp": now + 600});
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("test-ec-1".to_owned());
    let key = EncodingKey::from_ec_pem(EC_PEM.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// A request with a bearer token and a JSON body; the status and the
/// JSON answer (`Null` when empty).
async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

fn new_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true,
    })
}

/// Polls `done` every 50 ms until it holds, for at most `limit`.
async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every event of `tenant` through `events --after N --limit 3`, page by
/// page, following each page's `next` cursor.
fn feed(env: &[(&str, &str)], tenant: &str) -> (Vec<Value>, usize) {
    let mut after = 0;
    let mut events = Vec::new();
    let mut pages = 0;
    loop {
        let page = command_json(
            env,
            &[
                "events",
                tenant,
                "--after",
                &after.to_string(),
                "--limit",
                "3",
            ],
        );
        pages += 1;
        let batch = page["events"].as_array().unwrap().clone();
        let next = page["next"].as_u64().unwrap();
        if batch.is_empty() {
            assert_eq!(next, after, "an empty page keeps the cursor");
            return (events, pages);
        }
        assert!(batch.len() <= 3, "a page holds at most --limit events");
        assert_eq!(
            next,
            batch.last().unwrap()["sequence"].as_u64().unwrap(),
            "the next cursor is the page's last sequence"
        );
        events.extend(batch);
        after = next;
    }
}

#[tokio::test]
async fn tenants_credentials_isolation_webhooks_events_and_audit_on_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_str = data.to_string_lossy().into_owned();
    let env: Vec<(&str, &str)> = vec![("SCIM_DATA_DIR", &data_str)];

    // Onboarding from the command line, before the server first starts.
    let acme = command_json(&env, &["tenant", "create", "acme"]);
    let static_token = acme["token"].as_str().unwrap().to_owned();
    let static_id = acme["credential"]["id"].as_str().unwrap().to_owned();

    // The webhook points at a receiver that is not up yet.
    let hook_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let hook = command_json(
        &env,
        &[
            "webhook",
            "create",
            "acme",
            &format!("http://127.0.0.1:{hook_port}/hook"),
            "--after",
            "0",
        ],
    );
    let secret = hook["secret"].as_str().unwrap().to_owned();

    let mut server_env = FAST_WEBHOOKS.to_vec();
    server_env.push(("SCIM_ADMIN_TOKEN", ADMIN_TOKEN));
    // One server: no concurrent writer to wait for before delivering.
    server_env.push(("SCIM_WEBHOOK_SETTLE_MILLIS", "0"));
    let mut server = start(&data, &server_env);
    let (_, base) = read_banner(&mut server);
    let origin = base.trim_end_matches("/scim/v2").to_owned();
    let http = reqwest::Client::new();

    // Onboarding over the admin API: the SCIM URL and token to hand over.
    let (status, globex) = send(
        &http,
        Method::POST,
        &format!("{origin}/admin/v1/tenants"),
        ADMIN_TOKEN,
        Some(json!({"name": "globex"})),
    )
    .await;
    assert_eq!(status, 201, "{globex}");
    assert_eq!(globex["scimUrl"], base.as_str());
    let globex_token = globex["token"].as_str().unwrap().to_owned();
    let (status, _) = send(
        &http,
        Method::POST,
        &format!("{origin}/admin/v1/tenants"),
        &static_token,
        Some(json!({"name": "intruder"})),
    )
    .await;
    assert_eq!(status, 401, "a tenant token is not the admin token");

    // The static token provisions a user and a group.
    let (status, alice) = send(
        &http,
        Method::POST,
        &format!("{base}/Users"),
        &static_token,
        Some(new_user("alice@acme.example")),
    )
    .await;
    assert_eq!(status, 201, "{alice}");
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    let alice_url = format!("{base}/Users/{alice_id}");
    let (status, group) = send(
        &http,
        Method::POST,
        &format!("{base}/Groups"),
        &static_token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{"value": alice_id}],
        })),
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let group_url = format!("{base}/Groups/{}", group["id"].as_str().unwrap());

    // Rotation: the old token works until the new one is first used.
    let rotated = command_json(&env, &["token", "rotate", "acme", &static_id]);
    let rotated_token = rotated["token"].as_str().unwrap().to_owned();
    let rotated_id = rotated["credential"]["id"].as_str().unwrap().to_owned();
    assert_eq!(rotated["credential"]["replaces"], static_id.as_str());
    let (status, _) = send(&http, Method::GET, &alice_url, &static_token, None).await;
    assert_eq!(status, 200, "the old token works during the grace period");
    let (status, deactivated) = send(
        &http,
        Method::PATCH,
        &alice_url,
        &rotated_token,
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    )
    .await;
    assert_eq!(status, 200, "{deactivated}");
    assert_eq!(deactivated["active"], false);
    let (status, refused) = send(&http, Method::GET, &alice_url, &static_token, None).await;
    assert_eq!(status, 401, "the rotation is confirmed: {refused}");
    assert_eq!(refused["status"], "401");

    // OAuth 2.0 client credentials.
    let client = command_json(&env, &["client", "create", "acme", "--name", "entra"]);
    let client_id = client["clientId"].as_str().unwrap().to_owned();
    let response = http
        .post(format!("{origin}/oauth/token"))
        .basic_auth(&client_id, client["clientSecret"].as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let grant: Value = response.json().await.unwrap();
    let access_token = grant["access_token"].as_str().unwrap().to_owned();
    let (status, reactivated) = send(
        &http,
        Method::PATCH,
        &alice_url,
        &access_token,
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": true}]),
        )),
    )
    .await;
    assert_eq!(status, 200, "{reactivated}");
    assert_eq!(reactivated["active"], true);

    // An external JWT of an issuer acme trusts, keys from a JWKS URL.
    let jwks_url = start_jwks().await;
    command_json(
        &env,
        &[
            "tenant",
            "trust",
            "add",
            "acme",
            "--issuer",
            ISSUER,
            "--audience",
            AUDIENCE,
            "--jwks-url",
            &jwks_url,
        ],
    );
    let jwt = external_jwt(AUDIENCE);
    let (status, replaced) = send(
        &http,
        Method::PUT,
        &alice_url,
        &jwt,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "alice@acme.example",
            "displayName": "Ada Lovelace",
            "active": true,
        })),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["displayName"], "Ada Lovelace");
    let (status, _) = send(
        &http,
        Method::GET,
        &alice_url,
        &external_jwt("api://someone-else"),
        None,
    )
    .await;
    assert_eq!(status, 401, "another audience is refused");

    // Isolation: globex neither reads nor learns of acme's resources.
    for (method, url, body) in [
        (Method::GET, alice_url.clone(), None),
        (
            Method::PATCH,
            alice_url.clone(),
            Some(patch(
                json!([{"op": "replace", "path": "active", "value": false}]),
            )),
        ),
        (
            Method::PUT,
            alice_url.clone(),
            Some(new_user("alice@acme.example")),
        ),
        (Method::DELETE, alice_url.clone(), None),
        (Method::GET, group_url.clone(), None),
    ] {
        let (status, body) = send(&http, method.clone(), &url, &globex_token, body).await;
        assert_eq!(status, 404, "{method} {url} as globex: {body}");
        assert_eq!(body["status"], "404");
    }
    let filter = format!("{base}/Users?filter=userName%20eq%20%22alice%40acme.example%22");
    let (status, found) = send(&http, Method::GET, &filter, &globex_token, None).await;
    assert_eq!(
        (status, &found["totalResults"]),
        (200, &json!(0)),
        "{found}"
    );
    let (status, same_name) = send(
        &http,
        Method::POST,
        &format!("{base}/Users"),
        &globex_token,
        Some(new_user("alice@acme.example")),
    )
    .await;
    assert_eq!(
        status, 201,
        "the same userName in another directory: {same_name}"
    );
    let (status, found) = send(&http, Method::GET, &filter, &rotated_token, None).await;
    assert_eq!(
        (status, &found["totalResults"]),
        (200, &json!(1)),
        "{found}"
    );

    // Offboarding: removed from the group, then deleted.
    let (status, _) = send(
        &http,
        Method::PATCH,
        &group_url,
        &rotated_token,
        Some(patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{alice_id}\"]")}]),
        )),
    )
    .await;
    assert!(status == 200 || status == 204, "member removal: {status}");
    let (status, _) = send(&http, Method::DELETE, &alice_url, &rotated_token, None).await;
    assert_eq!(status, 204);

    // The event feed, paged by cursor, holds the whole lifecycle in order.
    let (events, pages) = feed(&env, "acme");
    assert!(pages > 2, "the feed took several pages");
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "each event once, in order: {sequences:?}"
    );
    let alice_types: Vec<&str> = events
        .iter()
        .filter(|e| e["resourceId"] == alice_id.as_str())
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for expected in [
        "user.created",
        "user.deactivated",
        "user.reactivated",
        "user.updated",
        "user.deleted",
    ] {
        assert!(
            alice_types.contains(&expected),
            "{expected} in {alice_types:?}"
        );
    }
    let group_types: Vec<&str> = events
        .iter()
        .filter(|e| e["resourceType"] == "Group")
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        group_types.contains(&"group.member_added"),
        "{group_types:?}"
    );
    assert!(
        group_types.contains(&"group.member_removed"),
        "{group_types:?}"
    );

    // The receiver comes up after deliveries failed, and gets every
    // event, signed.
    let hook_id = hook["webhook"]["id"].as_str().unwrap().to_owned();
    let failed = || {
        command_json(&env, &["webhook", "attempts", "acme", &hook_id])
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["succeeded"] == false)
    };
    wait_until(Duration::from_secs(30), "a delivery failed", failed).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", hook_port))
        .await
        .unwrap();
    let inbox = start_receiver(listener);
    wait_until(
        Duration::from_secs(30),
        "every event reached the webhook",
        || inbox.events().len() >= events.len(),
    )
    .await;
    let delivered = inbox.events();
    assert_eq!(
        delivered.keys().copied().collect::<Vec<_>>(),
        sequences,
        "the webhook got exactly acme's events"
    );
    for (sequence, event) in &events
        .iter()
        .map(|e| (e["sequence"].as_u64().unwrap(), e))
        .collect::<Vec<_>>()
    {
        assert_eq!(
            &delivered[sequence], *event,
            "the webhook and the feed agree"
        );
    }
    assert!(
        inbox.all().iter().all(|r| signed_by(&secret, r)),
        "every request is signed with the webhook's secret"
    );
    let attempts = command_json(&env, &["webhook", "attempts", "acme", &hook_id]);
    let attempts = attempts.as_array().unwrap();
    assert_eq!(
        attempts[0]["succeeded"], true,
        "the newest attempt succeeded"
    );
    assert!(
        attempts
            .iter()
            .any(|a| a["succeeded"] == false && a["error"].is_string()),
        "the failed attempts are recorded with their error: {attempts:?}"
    );

    // The audit log holds every change, with the credential that made it.
    let audit = command_json(&env, &["audit", "acme"]);
    let entries = audit["entries"].as_array().unwrap();
    let made: Vec<(String, String, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["credentialId"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect = |method: &str, credential: &str, status: u64| {
        assert!(
            made.contains(&(method.to_owned(), credential.to_owned(), status)),
            "no audit entry {method} by {credential} answered {status}: {made:?}"
        );
    };
    expect("POST", &static_id, 201);
    expect("PATCH", &rotated_id, 200);
    expect("DELETE", &rotated_id, 204);
    expect("PATCH", &client_id, 200);
    assert!(
        entries
            .iter()
            .any(|e| e["method"] == "PUT" && e["status"] == 200),
        "the external JWT's change is audited: {made:?}"
    );
    assert!(
        entries.iter().all(|e| e["method"] != "GET"),
        "reads are not audited"
    );
    let audit_text = audit.to_string();
    for secret_value in [&static_token, &rotated_token, &access_token, &jwt, &secret] {
        assert!(
            !audit_text.contains(secret_value.as_str()),
            "the audit log holds no credential"
        );
    }
    assert!(
        entries.iter().all(|e| e["status"] != 404),
        "globex's refused attempts are not in acme's log: {made:?}"
    );
    let globex_audit = command_json(&env, &["audit", "globex"]);
    let mut globex_statuses: Vec<u64> = globex_audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    globex_statuses.sort_unstable();
    assert_eq!(
        globex_statuses,
        [201, 404, 404, 404],
        "globex's log holds its refused attempts on acme's user and its own create"
    );

    assert!(signal(&mut server, "TERM").success(), "a clean shutdown");
}

/// The PostgreSQL URL for the tests, or `None` (they then skip).
fn postgres_url() -> Option<String> {
    let url = std::env::var("SCIM_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        eprintln!("skipped: SCIM_TEST_POSTGRES_URL is not set");
    }
    url
}

/// A server process on `database`; its SCIM base URL.
fn replica(dir: &std::path::Path, database: &str) -> (Running, String) {
    let mut env = FAST_WEBHOOKS.to_vec();
    env.push(("SCIM_DATABASE_URL", database));
    let mut running = start(dir, &env);
    let (_, base) = read_banner(&mut running);
    (running, base)
}

#[tokio::test]
async fn two_server_processes_on_one_postgresql_serve_one_tenant_without_duplicates_or_lost_events()
{
    let Some(database) = postgres_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(&str, &str)> = vec![("SCIM_DATABASE_URL", &database)];
    let tenant = format!("replicas-{}", std::process::id());
    let created = command_json(&env, &["tenant", "create", &tenant]);
    let token = created["token"].as_str().unwrap().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let inbox = start_receiver(listener);
    let hook = command_json(
        &env,
        &["webhook", "create", &tenant, &hook_url, "--after", "0"],
    );
    let secret = hook["secret"].as_str().unwrap().to_owned();

    let (mut first, first_base) = replica(&dir.path().join("a"), &database);
    let (mut second, second_base) = replica(&dir.path().join("b"), &database);
    let bases = [first_base, second_base];

    // Eight clients, alternating between the processes, each create the
    // same forty userNames in its own order, then rename what they see.
    const NAMES: usize = 40;
    let http = reqwest::Client::new();
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..8usize {
        let base = bases[client % 2].clone();
        let token = token.clone();
        let http = http.clone();
        clients.spawn(async move {
            let mut outcomes = Vec::new();
            for i in 0..NAMES {
                let n = (i * 7 + client * 5) % NAMES;
                let (status, body) = send(
                    &http,
                    Method::POST,
                    &format!("{base}/Users"),
                    &token,
                    Some(new_user(&format!("user{n}@replicas.example"))),
                )
                .await;
                assert!(
                    status == 201 || status == 409,
                    "a create answers 201 or 409, not {status}: {body}"
                );
                if status == 409 {
                    assert_eq!(body["scimType"], "uniqueness");
                }
                outcomes.push((n, status));
            }
            outcomes
        });
    }
    let mut created_per_name = vec![0; NAMES];
    while let Some(outcomes) = clients.join_next().await {
        for (n, status) in outcomes.unwrap() {
            if status == 201 {
                created_per_name[n] += 1;
            }
        }
    }
    assert!(
        created_per_name.iter().all(|&c| c == 1),
        "each userName was created exactly once: {created_per_name:?}"
    );

    // Both processes see the same forty users, once each.
    for base in &bases {
        let (status, list) = send(
            &http,
            Method::GET,
            &format!("{base}/Users?count=200"),
            &token,
            None,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["totalResults"], NAMES, "{list}");
        let names: BTreeSet<&str> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), NAMES);
    }

    // Concurrent changes through both processes, then every event of the
    // feed reaches the webhook, each delivered by one process at a time.
    let (_, list) = send(
        &http,
        Method::GET,
        &format!("{}/Users?count=200", bases[0]),
        &token,
        None,
    )
    .await;
    let ids: Vec<String> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let mut changes = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let url = format!("{}/Users/{id}", bases[i % 2]);
        let token = token.clone();
        let http = http.clone();
        changes.spawn(async move {
            send(
                &http,
                Method::PATCH,
                &url,
                &token,
                Some(patch(
                    json!([{"op": "replace", "path": "active", "value": false}]),
                )),
            )
            .await
        });
    }
    while let Some(outcome) = changes.join_next().await {
        let (status, body) = outcome.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (events, _) = feed(&env, &tenant);
    let count = |kind: &str| events.iter().filter(|e| e["type"] == kind).count();
    assert_eq!(count("user.created"), NAMES);
    assert_eq!(count("user.deactivated"), NAMES);
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    wait_until(
        Duration::from_secs(60),
        "every event reached the webhook",
        || inbox.events().len() >= sequences.len(),
    )
    .await;
    assert_eq!(
        inbox.events().keys().copied().collect::<Vec<_>>(),
        sequences,
        "every event of the feed was delivered, and nothing else"
    );
    let received = inbox.all();
    assert!(received.iter().all(|r| signed_by(&secret, r)));
    // Delivery is at least once: a batch is sent again only after an
    // attempt that failed (here, an answer slower than the timeout on a
    // shared machine), never because two processes sent it at once.
    let delivered: usize = received
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            body["events"].as_array().unwrap().len()
        })
        .sum();
    let hook_id = hook["webhook"]["id"].as_str().unwrap();
    let attempts = command_json(
        &env,
        &["webhook", "attempts", &tenant, hook_id, "--limit", "1000"],
    );
    let failed = attempts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["succeeded"] == false)
        .count();
    assert!(
        delivered == sequences.len() || failed > 0,
        "{} deliveries of {} events without a failed attempt: {attempts}",
        delivered,
        sequences.len()
    );

    assert!(signal(&mut first, "TERM").success());
    assert!(signal(&mut second, "TERM").success());
    let (code, _, stderr) = common::command(&env, &["tenant", "delete", &tenant, "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
}
