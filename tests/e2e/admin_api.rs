//! The admin HTTP API as a SaaS backend uses it: onboard a customer, hand
//! over the SCIM URL and token, manage policies, tokens and extensions,
//! offboard.

use reqwest::{Method, StatusCode};
use scim_tests::TestServer;
use serde_json::{Value, json};

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
    let (status, _) = call(
        Method::GET,
        &format!("{admin}/nothing"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
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
