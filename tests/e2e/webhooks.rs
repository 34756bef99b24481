//! Events and audit over the real server: signed webhooks delivered to a
//! receiver on loopback (also after it was down, also over HTTPS behind a
//! private CA, also after being disabled), the event feed paged
//! through the `events` command, the audit log through `audit`, and two
//! replicas on one PostgreSQL database delivering each event once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use scim_server::{FeedArgs, Settings, TenantCommand, TokenCommand, WebhookCommand, admin};
use scim_tests::TestServer;
use serde_json::{Value, json};
use sha2::Sha256;

const PASSWORD: &str = "Sup3r-secret-passw0rd!";

/// Settings that deliver within tens of milliseconds and retry fast.
pub(crate) fn fast(settings: &mut Settings) {
    settings.webhook_poll_millis = 50;
    // One writer (SQLite, or one test client): nothing to wait for.
    settings.webhook_settle_millis = 0;
    settings.webhook_retry_base_millis = 200;
    settings.webhook_retry_max_secs = 1;
    settings.rate_limit_per_second = 0;
}

/// What a receiver got: one request.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    pub(crate) fn events(&self) -> Vec<Value> {
        let body: Value = serde_json::from_str(&self.body).unwrap();
        body["events"].as_array().unwrap().clone()
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Clone, Default)]
pub(crate) struct Inbox(Arc<Mutex<Vec<Received>>>);

impl Inbox {
    pub(crate) fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// Every event received, in the order received.
    pub(crate) fn events(&self) -> Vec<Value> {
        self.all().iter().flat_map(Received::events).collect()
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    inbox.0.lock().unwrap().push(Received { headers, body });
    StatusCode::NO_CONTENT
}

/// Serves a receiver on `listener` until the test ends.
pub(crate) fn start_receiver(listener: tokio::net::TcpListener) -> Inbox {
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    inbox
}

/// A file of tests/fixtures/webhooks (test-only certificates).
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/webhooks")
        .join(name)
}

/// Serves a receiver over TLS on `listener`, with the test-only
/// certificate for 127.0.0.1 that the test-only CA issued.
fn start_tls_receiver(listener: tokio::net::TcpListener) -> Inbox {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    let chain = CertificateDer::pem_file_iter(fixture("test-only-receiver.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("test-only-receiver-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate hangs up here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(
                    hyper_util::rt::TokioIo::new(tls),
                    hyper_util::service::TowerToHyperService::new(app),
                )
                .await;
            });
        }
    });
    inbox
}

/// A loopback port nobody listens on (yet).
async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// Checks `Scim-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>">` as a receiver would, independently of the server's code.
pub(crate) fn signature_is_valid(secret: &str, received: &Received) -> bool {
    let header = received.header("scim-signature");
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let fresh = (chrono::Utc::now().timestamp() - t).abs() < 300;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    fresh && expected == v1
}

/// Sends a SCIM request with a request id; returns the status and body.
async fn call(
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    request_id: &str,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .header("x-request-id", request_id);
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Settings for the admin commands against a test server's data folder.
fn cli(server: &TestServer) -> Settings {
    Settings::with_defaults(server.data_dir.path(), "127.0.0.1:0".parse().unwrap())
}

async fn cli_json(out: anyhow::Result<String>) -> Value {
    serde_json::from_str(&out.unwrap()).unwrap()
}

/// Polls `done` every 50 ms until it holds, for at most `limit`.
pub(crate) async fn wait_until(limit: Duration, what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A SCIM PatchOp body.
pub(crate) fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

/// One SCIM change: its request id, method, status and resource.
struct Change {
    request_id: &'static str,
    method: &'static str,
    status: u16,
    resource_type: &'static str,
    resource_id: String,
}

#[tokio::test]
async fn a_user_lifecycle_reaches_a_webhook_signed_in_order_even_after_an_outage() {
    let server = TestServer::start_with(fast).await;
    let settings = cli(&server);
    let port = free_port().await;
    let created = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::Create {
                tenant: "default".into(),
                url: format!("http://127.0.0.1:{port}/hook"),
                after: None,
            },
            true,
        )
        .await,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let hook_id = created["webhook"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    // The lifecycle, while nobody listens on the webhook's port.
    let (base, token) = (server.base.as_str(), server.token.as_str());
    let mut changes = Vec::new();
    let (status, user) = call(
        base,
        token,
        reqwest::Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "hooked@example.com",
            "password": PASSWORD,
            "active": true,
        })),
        "wh-create",
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let uid = user["id"].as_str().unwrap().to_owned();
    changes.push(Change {
        request_id: "wh-create",
        method: "POST",
        status,
        resource_type: "User",
        resource_id: uid.clone(),
    });
    for (request_id, operations) in [
        (
            "wh-update",
            json!([{"op": "replace", "path": "displayName", "value": "Hooked"}]),
        ),
        (
            "wh-deactivate",
            json!([{"op": "replace", "path": "active", "value": false}]),
        ),
    ] {
        let (status, body) = call(
            base,
            token,
            reqwest::Method::PATCH,
            &format!("/Users/{uid}"),
            Some(patch(operations)),
            request_id,
        )
        .await;
        assert!(status == 200 || status == 204, "{body}");
        changes.push(Change {
            request_id,
            method: "PATCH",
            status,
            resource_type: "User",
            resource_id: uid.clone(),
        });
    }
    let (status, group) = call(
        base,
        token,
        reqwest::Method::POST,
        "/Groups",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Hook Watchers",
        })),
        "wh-group",
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    changes.push(Change {
        request_id: "wh-group",
        method: "POST",
        status,
        resource_type: "Group",
        resource_id: gid.clone(),
    });
    for (request_id, operations) in [
        (
            "wh-add",
            json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]),
        ),
        (
            "wh-remove",
            json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]),
        ),
    ] {
        let (status, body) = call(
            base,
            token,
            reqwest::Method::PATCH,
            &format!("/Groups/{gid}"),
            Some(patch(operations)),
            request_id,
        )
        .await;
        assert!(status == 200 || status == 204, "{body}");
        changes.push(Change {
            request_id,
            method: "PATCH",
            status,
            resource_type: "Group",
            resource_id: gid.clone(),
        });
    }
    let (status, _) = call(
        base,
        token,
        reqwest::Method::DELETE,
        &format!("/Users/{uid}"),
        None,
        "wh-delete",
    )
    .await;
    assert_eq!(status, 204);
    changes.push(Change {
        request_id: "wh-delete",
        method: "DELETE",
        status,
        resource_type: "User",
        resource_id: uid.clone(),
    });

    // Deliveries fail and are retried, each attempt recorded.
    let attempts = WebhookCommand::Attempts {
        tenant: "default".into(),
        id: hook_id.clone(),
        limit: 100,
    };
    wait_until(Duration::from_secs(15), "two attempts failed", async || {
        let list = cli_json(admin::webhook(&settings, &attempts, true).await).await;
        list.as_array().unwrap().len() >= 2
    })
    .await;
    let failed = cli_json(admin::webhook(&settings, &attempts, true).await).await;
    for attempt in failed.as_array().unwrap() {
        assert_eq!(attempt["status"], Value::Null, "{attempt}");
        assert_eq!(attempt["succeeded"], false);
        assert!(
            attempt["error"].as_str().unwrap().contains("connect"),
            "{attempt}"
        );
        assert!(!attempt["error"].as_str().unwrap().contains("127.0.0.1"));
    }
    let listed = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::List {
                tenant: "default".into(),
            },
            true,
        )
        .await,
    )
    .await;
    assert!(listed[0]["failures"].as_u64().unwrap() >= 2, "{listed}");
    assert_eq!(
        listed[0].get("secret"),
        None,
        "listings never show the secret"
    );

    // The receiver comes up: everything arrives, once, in order, signed.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let inbox = start_receiver(listener);
    let feed = cli_json(
        admin::events(
            &settings,
            &FeedArgs {
                tenant: "default".into(),
                after: 0,
                limit: 1000,
            },
            true,
        )
        .await,
    )
    .await;
    let feed = feed["events"].as_array().unwrap().clone();
    wait_until(
        Duration::from_secs(20),
        "every event is delivered",
        async || inbox.events().len() >= feed.len(),
    )
    .await;
    assert_eq!(
        inbox.events(),
        feed,
        "the webhook delivers the feed, in order, once"
    );
    for received in inbox.all() {
        assert!(signature_is_valid(&secret, &received), "{received:?}");
        assert!(!signature_is_valid("whsec_wrong", &received));
        assert_eq!(received.header("scim-webhook-id"), hook_id);
        assert_eq!(received.header("content-type"), "application/json");
    }
    let types: Vec<&str> = feed.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let mut expected = [
        "user.created",
        "user.updated",
        "user.deactivated",
        "group.created",
        "group.member_added",
        "group.member_removed",
        "user.deleted",
    ]
    .into_iter()
    .peekable();
    for t in &types {
        if expected.peek() == Some(t) {
            expected.next();
        }
    }
    assert_eq!(
        expected.next(),
        None,
        "every lifecycle event in order: {types:?}"
    );
    let added = feed
        .iter()
        .find(|e| e["type"] == "group.member_added")
        .unwrap();
    assert_eq!(added["resourceId"], json!(gid));
    assert_eq!(added["data"]["member"], json!(uid));

    let last = feed.last().unwrap()["sequence"].as_u64().unwrap();
    let listed = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::List {
                tenant: "default".into(),
            },
            true,
        )
        .await,
    )
    .await;
    assert_eq!(listed[0]["deliveredThrough"], json!(last));
    assert_eq!(listed[0]["failures"], json!(0));
    assert_eq!(listed[0]["status"], "active");
    let history = cli_json(admin::webhook(&settings, &attempts, true).await).await;
    assert_eq!(history[0]["succeeded"], true, "{history}");
    assert_eq!(history[0]["lastSequence"], json!(last));

    // The feed pages by cursor.
    let mut cursor = 0;
    let mut paged = Vec::new();
    loop {
        let page = cli_json(
            admin::events(
                &settings,
                &FeedArgs {
                    tenant: "default".into(),
                    after: cursor,
                    limit: 2,
                },
                true,
            )
            .await,
        )
        .await;
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        if events.is_empty() {
            assert_eq!(page["next"], json!(cursor));
            break;
        }
        cursor = page["next"].as_u64().unwrap();
        assert_eq!(json!(cursor), events.last().unwrap()["sequence"]);
        paged.extend(events.iter().cloned());
    }
    assert_eq!(paged, feed);
    let text = admin::events(
        &settings,
        &FeedArgs {
            tenant: "default".into(),
            after: 0,
            limit: 1,
        },
        false,
    )
    .await
    .unwrap();
    assert!(
        text.contains("user.created") && text.contains("Next cursor: "),
        "{text}"
    );

    // Every change is audited, with who, which request and how it ended.
    let tokens = cli_json(
        admin::token(
            &settings,
            &TokenCommand::List {
                tenant: "default".into(),
            },
            true,
        )
        .await,
    )
    .await;
    let credential = tokens[0]["id"].as_str().unwrap().to_owned();
    let audit_args = FeedArgs {
        tenant: "default".into(),
        after: 0,
        limit: 1000,
    };
    let audit_json = admin::audit(&settings, &audit_args, true).await.unwrap();
    let audit_text = admin::audit(&settings, &audit_args, false).await.unwrap();
    for output in [&audit_json, &audit_text] {
        assert!(
            !output.contains(token) && !output.contains(PASSWORD),
            "{output}"
        );
    }
    let audit: Value = serde_json::from_str(&audit_json).unwrap();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), changes.len(), "{audit}");
    for (entry, change) in entries.iter().zip(&changes) {
        assert_eq!(entry["requestId"], change.request_id, "{entry}");
        assert_eq!(entry["method"], change.method, "{entry}");
        assert_eq!(entry["status"], json!(change.status), "{entry}");
        assert_eq!(entry["credentialId"], json!(credential), "{entry}");
        assert_eq!(entry["resourceType"], change.resource_type, "{entry}");
        assert_eq!(entry["resourceId"], json!(change.resource_id), "{entry}");
        assert!(entry["path"].as_str().unwrap().starts_with("/scim/v2/"));
    }
    assert!(audit_text.contains("wh-deactivate"), "{audit_text}");

    // A purge with nothing old enough removes nothing; the webhook goes.
    let purged = cli_json(
        admin::purge(
            &settings,
            &scim_server::PurgeArgs {
                tenant: Some("default".into()),
                older_than_days: 1,
                audit_older_than_days: Some(1),
                attempts_older_than_days: Some(1),
            },
            true,
        )
        .await,
    )
    .await;
    assert_eq!(
        purged["tenants"][0],
        json!({"tenant": "default", "resources": 0, "auditEntries": 0, "webhookAttempts": 0})
    );
    admin::webhook(
        &settings,
        &WebhookCommand::Delete {
            tenant: "default".into(),
            id: hook_id.clone(),
        },
        false,
    )
    .await
    .unwrap();
    let err = admin::webhook(&settings, &attempts, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&hook_id), "{err}");
    server.stop().await;
}

#[tokio::test]
async fn a_disabled_webhook_gets_nothing_and_enabled_again_gets_the_backlog_in_order() {
    let server = TestServer::start_with(fast).await;
    let settings = cli(&server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = start_receiver(listener);
    let (id, secret) = create_webhook(&settings, format!("http://127.0.0.1:{port}/hook")).await;
    create_user(&server, "before@example.com").await;
    wait_until(
        Duration::from_secs(10),
        "the first event arrives",
        async || inbox.events().len() == 1,
    )
    .await;

    let disabled = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::Disable {
                tenant: "default".into(),
                id: id.clone(),
            },
            true,
        )
        .await,
    )
    .await;
    assert_eq!(disabled["status"], "disabled", "{disabled}");
    assert!(disabled["disabled"].is_string(), "{disabled}");
    for name in ["while-off-1@example.com", "while-off-2@example.com"] {
        create_user(&server, name).await;
    }
    // Twenty polls: a webhook that were still on would have had them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(inbox.events().len(), 1, "a disabled webhook gets nothing");
    let listed = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::List {
                tenant: "default".into(),
            },
            true,
        )
        .await,
    )
    .await;
    assert_eq!(listed[0]["status"], "disabled", "{listed}");

    let enabled = admin::webhook(
        &settings,
        &WebhookCommand::Enable {
            tenant: "default".into(),
            id: id.clone(),
        },
        false,
    )
    .await
    .unwrap();
    assert!(
        enabled.starts_with(&format!("Enabled webhook {id}")),
        "{enabled}"
    );
    let feed = cli_json(
        admin::events(
            &settings,
            &FeedArgs {
                tenant: "default".into(),
                after: 0,
                limit: 1000,
            },
            true,
        )
        .await,
    )
    .await;
    let feed = feed["events"].as_array().unwrap().clone();
    assert_eq!(feed.len(), 3);
    wait_until(Duration::from_secs(10), "the backlog arrives", async || {
        inbox.events().len() >= feed.len()
    })
    .await;
    assert_eq!(inbox.events(), feed, "every event once, in order");
    assert!(inbox.all().iter().all(|r| signature_is_valid(&secret, r)));
    let unknown = admin::webhook(
        &settings,
        &WebhookCommand::Disable {
            tenant: "default".into(),
            id: "no-such-webhook".into(),
        },
        false,
    )
    .await
    .unwrap_err();
    assert!(unknown.to_string().contains("no-such-webhook"), "{unknown}");
    server.stop().await;
}

/// Creates a webhook of the `default` tenant to `url`; returns its id and
/// secret.
async fn create_webhook(settings: &Settings, url: String) -> (String, String) {
    let created = cli_json(
        admin::webhook(
            settings,
            &WebhookCommand::Create {
                tenant: "default".into(),
                url,
                after: None,
            },
            true,
        )
        .await,
    )
    .await;
    (
        created["webhook"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// Creates a user, which writes one event.
async fn create_user(server: &TestServer, name: &str) {
    let (status, body) = call(
        &server.base,
        &server.token,
        reqwest::Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
        })),
        name,
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn an_https_receiver_behind_a_private_ca_gets_signed_deliveries() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = start_tls_receiver(listener);
    let server = TestServer::start_with(|settings| {
        fast(settings);
        settings.webhook_ca_file = Some(fixture("test-only-ca.pem"));
    })
    .await;
    let settings = cli(&server);
    let (id, secret) = create_webhook(&settings, format!("https://127.0.0.1:{port}/hook")).await;
    create_user(&server, "tls@example.com").await;
    wait_until(Duration::from_secs(10), "the event arrives", async || {
        !inbox.events().is_empty()
    })
    .await;
    let received = inbox.all();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].events()[0]["type"], "user.created");
    assert!(signature_is_valid(&secret, &received[0]), "{received:?}");
    assert_eq!(received[0].header("scim-webhook-id"), id);
    let attempts = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::Attempts {
                tenant: "default".into(),
                id,
                limit: 10,
            },
            true,
        )
        .await,
    )
    .await;
    assert_eq!(attempts[0]["succeeded"], true, "{attempts}");
    server.stop().await;
}

#[tokio::test]
async fn without_the_private_ca_an_https_delivery_fails_on_the_certificate() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = start_tls_receiver(listener);
    let server = TestServer::start_with(fast).await;
    let settings = cli(&server);
    let url = format!("https://127.0.0.1:{port}/hook");
    let (id, _) = create_webhook(&settings, url.clone()).await;
    create_user(&server, "untrusted@example.com").await;
    let attempts = WebhookCommand::Attempts {
        tenant: "default".into(),
        id,
        limit: 10,
    };
    wait_until(
        Duration::from_secs(10),
        "an attempt is recorded",
        async || {
            let list = cli_json(admin::webhook(&settings, &attempts, true).await).await;
            !list.as_array().unwrap().is_empty()
        },
    )
    .await;
    let list = cli_json(admin::webhook(&settings, &attempts, true).await).await;
    let attempt = &list[0];
    assert_eq!(attempt["succeeded"], false, "{attempt}");
    assert_eq!(attempt["status"], Value::Null, "{attempt}");
    let error = attempt["error"].as_str().unwrap();
    assert!(
        error.starts_with("cannot connect") && error.contains("certificate"),
        "{error}"
    );
    assert!(!error.contains(&url), "{error}");
    assert!(
        inbox.all().is_empty(),
        "nothing crosses an untrusted TLS session"
    );
    server.stop().await;
}

#[tokio::test]
async fn webhook_commands_refuse_bad_input_as_usage_errors() {
    let server = TestServer::start_with(fast).await;
    let settings = cli(&server);
    for url in ["ftp://x/", "http://", "https://", "hooks.example.com/"] {
        let err = admin::webhook(
            &settings,
            &WebhookCommand::Create {
                tenant: "default".into(),
                url: url.into(),
                after: None,
            },
            false,
        )
        .await
        .unwrap_err();
        assert!(
            err.downcast_ref::<admin::UsageError>().is_some(),
            "{url}: {err}"
        );
    }
    server.stop().await;
}

/// The same token the other backend tests give the `default` tenant.
const DEFAULT_TOKEN: &str = "backend-e2e-token-3f9a1c";

#[tokio::test]
async fn two_replicas_on_postgres_deliver_each_event_once() {
    let Ok(url) = std::env::var("SCIM_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "SCIM_TEST_POSTGRES_URL must be set when CI is set"
        );
        eprintln!("skipping: SCIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let replicas = |settings: &mut Settings| {
        fast(settings);
        // Two writers now: let concurrent commits settle.
        settings.webhook_settle_millis = 300;
    };
    let a = TestServer::start_on_database_with(&url, DEFAULT_TOKEN, replicas).await;
    let b = TestServer::start_on_database_with(&url, DEFAULT_TOKEN, replicas).await;
    let mut settings = cli(&a);
    settings.database_url = Some(url.clone());
    // A tenant of this run alone: the database is shared with other tests.
    let name = format!("wh-{}", &uuid_like()[20..]);
    let tenant = cli_json(
        admin::tenant(
            &settings,
            &TenantCommand::Create {
                name: name.clone(),
                token_expires_in_days: None,
            },
            true,
        )
        .await,
    )
    .await;
    let token = tenant["token"].as_str().unwrap().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = start_receiver(listener);
    let created = cli_json(
        admin::webhook(
            &settings,
            &WebhookCommand::Create {
                tenant: name.clone(),
                url: format!("http://127.0.0.1:{port}/hook"),
                after: None,
            },
            true,
        )
        .await,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();

    const USERS: usize = 20;
    for i in 0..USERS {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, body) = call(
            &server.base,
            &token,
            reqwest::Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("replica-{i}@example.com"),
            })),
            &format!("replicas-{i}"),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    wait_until(
        Duration::from_secs(30),
        "every event is delivered",
        async || inbox.events().len() >= USERS,
    )
    .await;
    // Anything delivered twice would arrive within a few polls.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let events = inbox.events();
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(
        events.len(),
        USERS,
        "each event delivered exactly once: {sequences:?}"
    );
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    assert!(inbox.all().iter().all(|r| signature_is_valid(&secret, r)));

    a.stop().await;
    b.stop().await;
    admin::tenant(&settings, &TenantCommand::Delete { name, yes: true }, false)
        .await
        .unwrap();
}

fn uuid_like() -> String {
    use scim_core::ports::IdGenerator as _;
    scim_core::ports::UuidV7Ids.new_id().replace('-', "")
}
