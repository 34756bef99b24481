//! The admin HTTP API as a SaaS backend uses it: onboard a customer, hand
//! over the SCIM URL and token or an OAuth client, trust its identity
//! provider's JWTs, manage policies, tokens and extensions, subscribe to
//! its events, read its feed and audit log, purge, offboard; and every
//! bad request answered with a SCIM Error.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::{Method, StatusCode};
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

use crate::oauth::{AUDIENCE, EC_JWK, ISSUER, assert_scim_error, external, token_at};
use crate::webhooks::{fast, patch, signature_is_valid, start_receiver, wait_until};

const ADMIN_TOKEN: &str = "admin-token-for-the-e2e-tests-0123456789";

/// Sends `body` (if any) to `url` with `token` (if any); the status and
/// the JSON answer.
async fn call(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    scim_tests::send_json(method, url, token, "application/json", body).await
}

/// The origin of a SCIM base URL such as `http://127.0.0.1:1234/scim/v2`.
fn origin(base: &str) -> String {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(i) => base[..after_scheme + i].to_owned(),
        None => base.to_owned(),
    }
}

#[tokio::test]
async fn a_backend_onboards_manages_and_offboards_a_customer_over_http() {
    let server = TestServer::start_with(|s| s.admin_token = Some(ADMIN_TOKEN.into())).await;
    let admin = |path: &str| format!("{}/admin/v1{path}", origin(&server.base));
    let token = Some(ADMIN_TOKEN);

    // Only the admin token opens it: not a tenant's, not none.
    for wrong in [None, Some(server.token.as_str()), Some("admin-token")] {
        let (status, body) = call(Method::GET, &admin("/tenants"), wrong, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(
            body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
        );
    }

    // Onboard: the answer is what the customer's IT administrator needs.
    let (status, created) = call(
        Method::POST,
        &admin("/tenants"),
        token,
        Some(json!({"name": "acme"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["scimUrl"], server.base.as_str());
    let acme = created["token"].as_str().unwrap().to_owned();
    let (status, user) = call(
        Method::POST,
        &server.url("/Users"),
        Some(&acme),
        Some(json!({"userName": "ann@acme.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap();
    let (status, _) = call(
        Method::GET,
        &server.url(&format!("/Users/{id}")),
        Some(&server.token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "tenants stay apart");
    let (status, again) = call(
        Method::POST,
        &admin("/tenants"),
        token,
        Some(json!({"name": "acme"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, bad) = call(
        Method::POST,
        &admin("/tenants"),
        token,
        Some(json!({"name": "Not A Name!"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, bad) = call(
        Method::POST,
        &admin("/tenants"),
        token,
        Some(json!({"nom": "acme"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (_, tenants) = call(Method::GET, &admin("/tenants"), token, None).await;
    let names: Vec<&str> = tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "acme"]);

    // Policies: set, unset with null, refuse what is not a policy.
    let (status, shown) = call(
        Method::PATCH,
        &admin("/tenants/acme"),
        token,
        Some(json!({"deleteMode": "hard", "idp": "okta"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["policies"]["deleteMode"], "hard");
    assert_eq!(shown["effectivePolicies"]["duplicates"], "conflict");
    let (_, shown) = call(
        Method::PATCH,
        &admin("/tenants/acme"),
        token,
        Some(json!({"idp": null})),
    )
    .await;
    assert_eq!(shown["policies"]["idp"], Value::Null);
    assert_eq!(shown["policies"]["deleteMode"], "hard");
    for wrong in [json!({"deleteMode": "sometimes"}), json!({"colour": "red"})] {
        let (status, body) = call(Method::PATCH, &admin("/tenants/acme"), token, Some(wrong)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, _) = call(Method::GET, &admin("/tenants/nobody"), token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Tokens: issue, list, rotate, revoke; revocation is immediate.
    let (status, issued) = call(
        Method::POST,
        &admin("/tenants/acme/tokens"),
        token,
        Some(json!({"expiresInDays": 30})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let second = issued["token"].as_str().unwrap().to_owned();
    assert!(issued["credential"]["expires"].is_string());
    let (_, tokens) = call(Method::GET, &admin("/tenants/acme/tokens"), token, None).await;
    assert_eq!(tokens.as_array().unwrap().len(), 2);
    assert!(
        !tokens.to_string().contains(&acme),
        "tokens are never listed"
    );
    let first_id = tokens[0]["id"].as_str().unwrap().to_owned();
    let (status, rotated) = call(
        Method::POST,
        &admin(&format!("/tenants/acme/tokens/{first_id}/rotate")),
        token,
        Some(json!({"graceHours": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let third = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated["previous"]["id"], first_id.as_str());
    let users = server.url("/Users");
    assert_eq!(
        call(Method::GET, &users, Some(&acme), None).await.0,
        StatusCode::UNAUTHORIZED,
        "a token rotated without grace stops at once"
    );
    assert_eq!(
        call(Method::GET, &users, Some(&third), None).await.0,
        StatusCode::OK
    );
    let second_id = issued["credential"]["id"].as_str().unwrap();
    let (status, revoked) = call(
        Method::DELETE,
        &admin(&format!("/tenants/acme/tokens/{second_id}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        call(Method::GET, &users, Some(&second), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Extensions.
    let urn = "urn:example:params:scim:schemas:extension:acme:2.0:User";
    let (status, listed) = call(
        Method::PUT,
        &admin(&format!("/tenants/acme/extensions/{urn}")),
        token,
        Some(json!({"schema": {"id": urn, "attributes": [{"name": "costCenter", "type": "string"}]}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed[0]["attributes"], json!(["costCenter"]));
    let (status, user) = call(
        Method::POST,
        &users,
        Some(&third),
        Some(json!({"userName": "cost", urn: {"costCenter": "R&D"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user[urn]["costCenter"], "R&D");
    let (status, bad) = call(
        Method::PUT,
        &admin("/tenants/acme/extensions/urn:other"),
        token,
        Some(json!({"schema": {"id": urn, "attributes": []}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, listed) = call(
        Method::DELETE,
        &admin(&format!("/tenants/acme/extensions/{urn}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([]));

    // Offboard: everything goes, the token stops.
    let (status, deleted) = call(Method::DELETE, &admin("/tenants/acme"), token, None).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deleted"]["name"], "acme");
    assert_eq!(
        call(Method::GET, &users, Some(&third), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn the_admin_api_can_have_its_own_listener_and_is_off_without_a_token() {
    let server = TestServer::start_with(|s| {
        s.admin_token = Some(ADMIN_TOKEN.into());
        s.admin_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let admin = server.admin.clone().unwrap();
    let (status, tenants) = call(
        Method::GET,
        &format!("{admin}/admin/v1/tenants"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tenants}");
    for path in ["/nothing", "/admin/v1/nothing"] {
        let (status, body) = call(
            Method::GET,
            &format!("{admin}{path}"),
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, None);
    }
    let (status, body) = call(
        Method::DELETE,
        &format!("{admin}/admin/v1/tenants"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_error(status, &body, StatusCode::METHOD_NOT_ALLOWED, None);
    // Not on the SCIM listener, then.
    let (status, _) = call(
        Method::GET,
        &format!("{}/admin/v1/tenants", origin(&server.base)),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;

    let plain = TestServer::start().await;
    let (status, _) = call(
        Method::GET,
        &format!("{}/admin/v1/tenants", origin(&plain.base)),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no admin token, no admin API"
    );
    plain.stop().await;
}

/// The admin URL of `path` on a server that serves the admin API under
/// its SCIM listener.
fn admin_url(server: &TestServer, path: &str) -> String {
    format!("{}/admin/v1{path}", origin(&server.base))
}

/// Creates the tenant `name` over the API; its bearer token.
async fn onboard(server: &TestServer, name: &str) -> String {
    let (status, created) = call(
        Method::POST,
        &admin_url(server, "/tenants"),
        Some(ADMIN_TOKEN),
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["token"].as_str().unwrap().to_owned()
}

/// `body` is a SCIM Error of status `expected` with `scim_type`.
fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, scim_type: Option<&str>) {
    assert_scim_error(status, body, expected);
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
}

#[tokio::test]
async fn a_backend_hands_out_oauth_clients_and_trusts_issuers_over_http() {
    let server = TestServer::start_with(|s| s.admin_token = Some(ADMIN_TOKEN.into())).await;
    let admin = |path: &str| admin_url(&server, path);
    let token = Some(ADMIN_TOKEN);
    onboard(&server, "acme").await;

    // A client for the customer's identity provider: what to configure.
    let (status, created) = call(
        Method::POST,
        &admin("/tenants/acme/clients"),
        token,
        Some(json!({"name": "entra"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let endpoint = created["tokenEndpoint"].as_str().unwrap();
    assert_eq!(endpoint, format!("{}/oauth/token", origin(&server.base)));
    assert_eq!(created["scimUrl"], server.base.as_str());
    assert_eq!(created["accessTokenMinutes"], 60);
    assert_eq!(created["client"]["name"], "entra");
    assert_eq!(created["client"]["status"], "active");
    let id = created["clientId"].as_str().unwrap().to_owned();
    let secret = created["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(created["client"]["clientId"], id.as_str());

    // The identity provider trades the secret for an access token and
    // provisions into the tenant with it.
    let (status, granted) = token_at(endpoint, &id, &secret).await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    let access = granted["access_token"].as_str().unwrap().to_owned();
    let users = server.url("/Users");
    let (status, user) = call(
        Method::POST,
        &users,
        Some(&access),
        Some(json!({"userName": "oauth@acme.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let (_, theirs) = call(Method::GET, &users, Some(&server.token), None).await;
    assert_eq!(theirs["totalResults"], 0, "the user is acme's: {theirs}");

    let (status, listed) = call(Method::GET, &admin("/tenants/acme/clients"), token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["clientId"], id.as_str());
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are never listed"
    );

    // Another tenant's client id is not found under this tenant.
    let (status, body) = call(
        Method::DELETE,
        &admin(&format!("/tenants/default/clients/{id}")),
        token,
        None,
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, None);
    let (status, revoked) = call(
        Method::DELETE,
        &admin(&format!("/tenants/acme/clients/{id}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked"].is_string());
    let (status, body) = call(Method::GET, &users, Some(&access), None).await;
    assert_scim_error(status, &body, StatusCode::UNAUTHORIZED);
    let (status, body) = token_at(endpoint, &id, &secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");

    // A trusted issuer, its keys given inline: its JWTs are acme's.
    let jwks = json!({ "keys": [serde_json::from_str::<Value>(EC_JWK).unwrap()] });
    let (status, trust) = call(
        Method::POST,
        &admin("/tenants/acme/trusts"),
        token,
        Some(json!({"issuer": ISSUER, "audience": AUDIENCE, "jwks": jwks})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{trust}");
    assert_eq!(trust["issuer"], ISSUER);
    assert_eq!(trust["audience"], AUDIENCE);
    assert_eq!(trust["jwksStored"], true);
    assert_eq!(trust["jwksUrl"], Value::Null);
    let jwt = external(Algorithm::ES256, "test-ec-1", json!({}));
    let (status, listed) = call(Method::GET, &users, Some(&jwt), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["totalResults"], 1);
    assert_eq!(listed["Resources"][0]["userName"], "oauth@acme.example");
    let (status, again) = call(
        Method::POST,
        &admin("/tenants/acme/trusts"),
        token,
        Some(json!({"issuer": ISSUER, "audience": AUDIENCE, "jwks": jwks})),
    )
    .await;
    assert_error(status, &again, StatusCode::CONFLICT, Some("uniqueness"));
    for (what, wrong) in [
        (
            "both key sources",
            json!({"issuer": "https://b.example", "audience": "a", "jwks": jwks, "jwksUrl": "https://b.example/keys"}),
        ),
        (
            "no key source",
            json!({"issuer": "https://b.example", "audience": "a"}),
        ),
        (
            "a JWKS as text",
            json!({"issuer": "https://b.example", "audience": "a", "jwks": jwks.to_string()}),
        ),
        (
            "a JWKS without keys",
            json!({"issuer": "https://b.example", "audience": "a", "jwks": {"keys": []}}),
        ),
        (
            "a JWKS URL that is not one",
            json!({"issuer": "https://b.example", "audience": "a", "jwksUrl": "file:///etc/keys"}),
        ),
    ] {
        let (status, body) = call(
            Method::POST,
            &admin("/tenants/acme/trusts"),
            token,
            Some(wrong),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_error(status, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    }
    let (status, trusts) = call(Method::GET, &admin("/tenants/acme/trusts"), token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trusts.as_array().unwrap().len(), 1, "{trusts}");
    assert_eq!(trusts[0]["id"], trust["id"]);

    // Removed by issuer, as `tenant trust remove` does: its JWTs stop.
    let by_issuer = admin(&format!("/tenants/acme/trusts/{}", percent_encode(ISSUER)));
    let (status, removed) = call(Method::DELETE, &by_issuer, token, None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"][0]["id"], trust["id"]);
    let (status, body) = call(Method::GET, &users, Some(&jwt), None).await;
    assert_scim_error(status, &body, StatusCode::UNAUTHORIZED);
    let (status, body) = call(Method::DELETE, &by_issuer, token, None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, None);
    server.stop().await;
}

/// `GET` of an admin route, asserting 200; the answer.
async fn get_ok(server: &TestServer, path: &str) -> Value {
    let (status, body) = call(
        Method::GET,
        &admin_url(server, path),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Reads a cursor feed from the start, `limit` at a time, until a page
/// comes back empty; every item, checking the cursors on the way.
async fn read_feed(server: &TestServer, path: &str, items: &str, limit: u64) -> Vec<Value> {
    let mut cursor = 0;
    let mut all = Vec::new();
    loop {
        let page = get_ok(server, &format!("{path}?after={cursor}&limit={limit}")).await;
        let got = page[items].as_array().unwrap();
        assert!(got.len() as u64 <= limit, "{page}");
        if got.is_empty() {
            assert_eq!(
                page["next"],
                json!(cursor),
                "an empty page keeps the cursor"
            );
            return all;
        }
        let next = page["next"].as_u64().unwrap();
        assert!(next > cursor, "{page}");
        cursor = next;
        all.extend(got.iter().cloned());
    }
}

#[tokio::test]
async fn a_backend_subscribes_to_events_reads_the_feed_and_audit_log_and_purges() {
    let server = TestServer::start_with(|s| {
        fast(s);
        s.admin_token = Some(ADMIN_TOKEN.into());
    })
    .await;
    let admin = |path: &str| admin_url(&server, path);
    let token = Some(ADMIN_TOKEN);
    let acme = onboard(&server, "acme").await;
    onboard(&server, "globex").await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let inbox = start_receiver(listener);
    let (status, created) = call(
        Method::POST,
        &admin("/tenants/acme/webhooks"),
        token,
        Some(json!({ "url": hook_url })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let hook = created["webhook"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["webhook"]["url"], hook_url.as_str());
    assert_eq!(created["webhook"]["status"], "active");

    // A create, patch, delete lifecycle in acme.
    let (status, user) = call(
        Method::POST,
        &server.url("/Users"),
        Some(&acme),
        Some(json!({"userName": "lifecycle@acme.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let uid = user["id"].as_str().unwrap().to_owned();
    let one = server.url(&format!("/Users/{uid}"));
    let (status, body) = call(
        Method::PATCH,
        &one,
        Some(&acme),
        Some(patch(
            json!([{"op": "replace", "path": "displayName", "value": "Life Cycle"}]),
        )),
    )
    .await;
    assert!(
        status == StatusCode::OK || status == StatusCode::NO_CONTENT,
        "{body}"
    );
    let patched = status.as_u16();
    let (status, _) = call(Method::DELETE, &one, Some(&acme), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The feed, one event a page: each event once, in order.
    let events = read_feed(&server, "/tenants/acme/events", "events", 1).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["user.created", "user.updated", "user.deleted"],
        "{events:?}"
    );
    for e in &events {
        assert_eq!(e["resourceType"], "User");
        assert_eq!(e["resourceId"], uid.as_str());
    }
    let last = events[2]["sequence"].as_u64().unwrap();
    assert_eq!(
        read_feed(&server, "/tenants/acme/events", "events", 1000).await,
        events
    );
    let (status, empty) = call(
        Method::GET,
        &admin(&format!("/tenants/acme/events?after={}", u64::MAX)),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty, json!({"events": [], "next": u64::MAX}));
    let globex = get_ok(&server, "/tenants/globex/events").await;
    assert_eq!(
        globex,
        json!({"events": [], "next": 0}),
        "tenants stay apart"
    );

    // The webhook delivers the same events, signed.
    wait_until(
        Duration::from_secs(20),
        "the lifecycle is delivered",
        async || inbox.events().len() >= events.len(),
    )
    .await;
    assert_eq!(inbox.events(), events);
    for received in inbox.all() {
        assert!(signature_is_valid(&secret, &received), "{received:?}");
        assert_eq!(received.header("scim-webhook-id"), hook);
    }
    wait_until(
        Duration::from_secs(10),
        "the delivery is recorded",
        async || {
            get_ok(&server, &format!("/tenants/acme/webhooks/{hook}")).await["deliveredThrough"]
                == json!(last)
        },
    )
    .await;
    let shown = get_ok(&server, &format!("/tenants/acme/webhooks/{hook}")).await;
    assert_eq!(shown["status"], "active", "{shown}");
    assert_eq!(shown.get("secret"), None, "the secret is shown once");
    let listed = get_ok(&server, "/tenants/acme/webhooks").await;
    assert_eq!(listed, json!([shown]));
    let attempts = get_ok(&server, &format!("/tenants/acme/webhooks/{hook}/attempts")).await;
    let attempts = attempts.as_array().unwrap().clone();
    assert_eq!(attempts.len(), inbox.all().len(), "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| a["succeeded"] == true && a["status"] == 204)
    );
    assert_eq!(attempts[0]["lastSequence"], json!(last), "newest first");
    let newest = get_ok(
        &server,
        &format!("/tenants/acme/webhooks/{hook}/attempts?limit=1"),
    )
    .await;
    assert_eq!(newest, json!([attempts[0]]));

    // Each change is audited, with its credential and outcome.
    let entries = read_feed(&server, "/tenants/acme/audit", "entries", 2).await;
    let seen: Vec<(&str, u64, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
                e["resourceId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", 201, uid.as_str()),
            ("PATCH", u64::from(patched), uid.as_str()),
            ("DELETE", 204, uid.as_str())
        ]
    );
    let credential = get_ok(&server, "/tenants/acme/tokens").await[0]["id"].clone();
    assert!(
        entries
            .iter()
            .all(|e| e["credentialId"] == credential && e["resourceType"] == "User")
    );

    // Disabled and enabled again over HTTP.
    for (action, status_after) in [("disable", "disabled"), ("enable", "active")] {
        let (status, body) = call(
            Method::POST,
            &admin(&format!("/tenants/acme/webhooks/{hook}/{action}")),
            token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        assert_eq!(body["status"], status_after, "{action}: {body}");
        assert_eq!(body["deliveredThrough"], json!(last), "nothing is skipped");
        let shown = get_ok(&server, &format!("/tenants/acme/webhooks/{hook}")).await;
        assert_eq!(shown["status"], status_after, "{shown}");
    }

    // Another tenant's webhook is not found under this one.
    for (method, path) in [
        (
            Method::POST,
            format!("/tenants/globex/webhooks/{hook}/disable"),
        ),
        (
            Method::POST,
            format!("/tenants/globex/webhooks/{hook}/enable"),
        ),
        (Method::GET, format!("/tenants/globex/webhooks/{hook}")),
        (
            Method::GET,
            format!("/tenants/globex/webhooks/{hook}/attempts"),
        ),
        (Method::DELETE, format!("/tenants/globex/webhooks/{hook}")),
    ] {
        let (status, body) = call(method, &admin(&path), token, None).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, None);
    }

    // Purge: the soft-deleted user, the audit log and delivered attempts
    // of acme once asked for with no retention; a 30-day retention keeps
    // everything.
    let (status, report) = call(
        Method::POST,
        &admin("/purge"),
        token,
        Some(json!({"olderThanDays": 30})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let names: Vec<&str> = report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "acme", "globex"]);
    assert!(
        report["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["resources"] == 0 && t["auditEntries"] == 0 && t["webhookAttempts"] == 0),
        "{report}"
    );
    let (status, report) = call(
        Method::POST,
        &admin("/purge"),
        token,
        Some(json!({"tenant": "acme", "olderThanDays": 0, "auditOlderThanDays": 0, "attemptsOlderThanDays": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"tenants": [{"tenant": "acme", "resources": 1, "auditEntries": 3, "webhookAttempts": attempts.len()}]})
    );
    assert_eq!(
        get_ok(&server, "/tenants/acme/audit").await,
        json!({"entries": [], "next": 0})
    );
    for wrong in [
        json!({"olderThanDays": u32::MAX}),
        json!({"olderThanDays": 1, "auditOlderThanDays": u32::MAX}),
    ] {
        let (status, body) = call(Method::POST, &admin("/purge"), token, Some(wrong)).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    }
    let (status, body) = call(
        Method::POST,
        &admin("/purge"),
        token,
        Some(json!({"tenant": "nobody", "olderThanDays": 1})),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, None);

    // Unsubscribe: the webhook and its attempts go.
    let (status, deleted) = call(
        Method::DELETE,
        &admin(&format!("/tenants/acme/webhooks/{hook}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted, json!({"deleted": hook}));
    for path in [
        format!("/tenants/acme/webhooks/{hook}"),
        format!("/tenants/acme/webhooks/{hook}/attempts"),
    ] {
        let (status, body) = call(Method::GET, &admin(&path), token, None).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, None);
    }
    assert_eq!(get_ok(&server, "/tenants/acme/webhooks").await, json!([]));
    server.stop().await;
}

/// Sends `body` as is to `url` with the admin token: the status and the
/// answer as JSON. Panics on an answer that is not JSON, which would be
/// one of axum's plain-text rejections.
async fn raw(method: Method, url: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {e}: {text:?}"));
    (status, value)
}

#[tokio::test]
async fn hostile_admin_requests_get_scim_errors() {
    let server = TestServer::start_with(|s| {
        s.admin_token = Some(ADMIN_TOKEN.into());
        s.rate_limit_per_second = 0;
    })
    .await;
    let admin = |path: &str| admin_url(&server, path);
    let token = Some(ADMIN_TOKEN);
    onboard(&server, "acme").await;
    let (status, created) = call(
        Method::POST,
        &admin("/tenants/acme/webhooks"),
        token,
        Some(json!({"url": "http://127.0.0.1:9/hook"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let hook = created["webhook"]["id"].as_str().unwrap().to_owned();

    // Paths that do not decode, and queries that do not parse or that
    // the route does not take.
    let bad_value = [
        "/tenants/%FF".to_owned(),
        "/tenants/acme/webhooks/%FF%FE/attempts".to_owned(),
        "/tenants/%C3%28/events".to_owned(),
        format!("/tenants/acme/webhooks/{hook}%FF"),
        "/tenants/acme/events?limit=abc".to_owned(),
        "/tenants/acme/events?limit=".to_owned(),
        "/tenants/acme/events?limit=0".to_owned(),
        "/tenants/acme/events?limit=1001".to_owned(),
        "/tenants/acme/events?limit=99999999999999999999999".to_owned(),
        "/tenants/acme/events?after=-1".to_owned(),
        "/tenants/acme/events?cursor=5".to_owned(),
        "/tenants/acme/audit?limit=1e3".to_owned(),
        "/tenants/acme/audit?after=%FF".to_owned(),
        format!("/tenants/acme/webhooks/{hook}/attempts?limit=abc"),
        format!("/tenants/acme/webhooks/{hook}/attempts?limit=1001"),
    ];
    for path in &bad_value {
        let (status, body) = raw(Method::GET, &admin(path), Vec::new()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_error(status, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    }

    // Bodies with unknown members, wrong types, or not JSON objects.
    let bad_syntax: [(&str, &[u8]); 14] = [
        ("/tenants/acme/clients", br#"{"name": "x", "secret": "mine"}"#),
        ("/tenants/acme/clients", br#"{"name": 5}"#),
        ("/tenants/acme/clients", br#"["x"]"#),
        ("/tenants/acme/trusts", br#"{"issuer": "https://i.example", "audience": "a", "jwks_url": "https://i.example/k"}"#),
        ("/tenants/acme/trusts", br#"{"issuer": ["https://i.example"], "audience": "a", "jwksUrl": "https://i.example/k"}"#),
        ("/tenants/acme/webhooks", br#"{"url": "http://127.0.0.1:9/x", "colour": "red"}"#),
        ("/tenants/acme/webhooks", br#"{"url": 5}"#),
        ("/tenants/acme/webhooks", br#"{"url": "http://127.0.0.1:9/x", "after": "1"}"#),
        ("/tenants/acme/webhooks", br#"{"url": "http://127.0.0.1:9/x", "after": -1}"#),
        ("/tenants/acme/webhooks", b"{}"),
        ("/purge", br#"{"olderThanDays": "30"}"#),
        ("/purge", br#"{"olderThanDays": 30, "tenants": ["acme"]}"#),
        ("/purge", b"{\"olderThanDays\": 30, \"tenant\": \"\xff\"}"),
        ("/purge", b""),
    ];
    for (path, body) in bad_syntax {
        let (status, answer) = raw(Method::POST, &admin(path), body.to_vec()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{path} {}: {answer}",
            String::from_utf8_lossy(body)
        );
        assert_error(
            status,
            &answer,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
        );
    }
    let (status, body) = raw(
        Method::POST,
        &admin("/tenants/acme/tokens"),
        vec![b' '; 3 << 20],
    )
    .await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, None);
    let (status, body) = call(
        Method::POST,
        &admin("/tenants/acme/webhooks"),
        token,
        Some(json!({"url": "ftp://127.0.0.1/x"})),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let (status, body) = call(
        Method::POST,
        &admin("/tenants/acme/clients"),
        token,
        Some(json!({"name": "line\nbreak"})),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));

    // Unknown tenants, webhooks, routes and methods.
    for path in [
        "/tenants/nobody/clients",
        "/tenants/nobody/trusts",
        "/tenants/nobody/webhooks",
        "/tenants/nobody/events",
        "/tenants/nobody/audit",
        "/tenants/acme/webhooks/no-such-hook",
        "/tenants/acme/webhooks/no-such-hook/attempts",
        "/nothing",
        "/tenants/acme/nothing",
    ] {
        let (status, body) = call(Method::GET, &admin(path), token, None).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, None);
    }
    for (path, body) in [
        ("/tenants/nobody/clients", json!({})),
        (
            "/tenants/nobody/webhooks",
            json!({"url": "http://127.0.0.1:9/x"}),
        ),
        (
            "/tenants/nobody/trusts",
            json!({"issuer": "https://i.example", "audience": "a", "jwksUrl": "https://i.example/k"}),
        ),
    ] {
        let (status, answer) = call(Method::POST, &admin(path), token, Some(body)).await;
        assert_error(status, &answer, StatusCode::NOT_FOUND, None);
    }
    for (method, path) in [
        (Method::PUT, "/tenants"),
        (Method::GET, "/purge"),
        (Method::POST, "/tenants/acme/events"),
        (Method::PATCH, "/tenants/acme/webhooks/x"),
    ] {
        let (status, body) = call(method, &admin(path), token, None).await;
        assert_error(status, &body, StatusCode::METHOD_NOT_ALLOWED, None);
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("/admin/v1{path}")),
            "{body}"
        );
    }
    // Without the admin token, nothing says which routes exist.
    for (method, path) in [
        (Method::GET, "/nothing"),
        (Method::PUT, "/tenants"),
        (Method::GET, "/tenants/%FF"),
    ] {
        let (status, body) = call(method, &admin(path), None, None).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, None);
    }
    server.stop().await;
}
