//! In-process tests of `POST /Bulk`.

use super::*;

fn bulk_body(operations: Value) -> String {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": operations
    })
    .to_string()
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

async fn post_bulk(app: &Router, body: &str) -> Reply {
    send(
        app,
        with_body(request("POST", "/scim/v2/Bulk", Some(body)), body),
    )
    .await
}

#[tokio::test]
async fn bulk_creates_with_references_and_reports_each_operation() {
    let app = app().await;
    let body = bulk_body(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Tour Guides",
            "members": [{"type": "User", "value": "bulkId:u"}]
        }},
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": user("alice")},
        {"method": "DELETE", "path": "/Users/does-not-exist"}
    ]));
    let reply = post_bulk(&app, &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    let ops = reply.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(ops[0]["bulkId"], "g");
    assert_eq!(ops[0]["method"], "POST");
    assert_eq!(ops[0]["status"], "201");
    assert!(ops[0]["version"].as_str().unwrap().starts_with("W/\""));
    let group_location = ops[0]["location"].as_str().unwrap();
    assert!(group_location.starts_with("http://scim.test/scim/v2/Groups/"));
    assert_eq!(ops[1]["status"], "201");
    let user_location = ops[1]["location"].as_str().unwrap();
    let user_id = user_location.rsplit('/').next().unwrap();
    // A failed operation carries its SCIM Error and its target's location.
    assert_eq!(ops[2]["status"], "404");
    assert_eq!(ops[2]["response"]["status"], "404");
    assert_eq!(
        ops[2]["response"]["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert!(ops[2].get("version").is_none());
    assert!(
        ops[2]["location"]
            .as_str()
            .unwrap()
            .ends_with("/Users/does-not-exist")
    );

    // The group holds the user the reference named.
    let path = group_location.trim_start_matches("http://scim.test");
    let group = send(&app, empty(request("GET", path, None))).await;
    assert_eq!(group.status, StatusCode::OK);
    assert_eq!(group.body["members"][0]["value"], user_id);
    assert_eq!(
        group.headers[header::ETAG],
        ops[0]["version"].as_str().unwrap()
    );
}

#[tokio::test]
async fn failed_operations_carry_their_scim_type() {
    let app = app().await;
    let body = bulk_body(json!([
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("dup")},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("DUP")},
        {"method": "POST", "path": "/Groups", "bulkId": "c", "data": {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "x", "members": [{"value": "bulkId:nowhere"}]
        }}
    ]));
    let reply = post_bulk(&app, &body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let ops = reply.body["Operations"].as_array().unwrap();
    assert_eq!(ops[1]["status"], "409");
    assert_eq!(ops[1]["response"]["scimType"], "uniqueness");
    assert!(ops[1].get("location").is_none());
    assert_eq!(ops[2]["status"], "400");
    assert_eq!(ops[2]["response"]["scimType"], "invalidValue");
}

#[tokio::test]
async fn bulk_limits_are_enforced_and_advertised() {
    let app = app_with(HttpConfig {
        max_body_bytes: 512,
        bulk_max_operations: 2,
        bulk_max_payload_bytes: 2048,
        ..HttpConfig::default()
    })
    .await;
    let config = send(
        &app,
        empty(request("GET", "/scim/v2/ServiceProviderConfig", None)),
    )
    .await;
    assert_eq!(
        config.body["bulk"],
        json!({"supported": true, "maxOperations": 2, "maxPayloadSize": 2048})
    );

    // Two operations of ~700 bytes: over max_body_bytes, within the bulk limit.
    let long = "x".repeat(300);
    let two = bulk_body(json!([
        {"method": "POST", "path": "/Users", "bulkId": "1", "data": user(&format!("a{long}"))},
        {"method": "POST", "path": "/Users", "bulkId": "2", "data": user(&format!("b{long}"))}
    ]));
    assert!(two.len() > 512 && two.len() < 2048);
    let reply = post_bulk(&app, &two).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let three = bulk_body(json!([
        {"method": "DELETE", "path": "/Users/1"},
        {"method": "DELETE", "path": "/Users/2"},
        {"method": "DELETE", "path": "/Users/3"}
    ]));
    let reply = post_bulk(&app, &three).await;
    assert_scim_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, None);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("maxOperations")
    );

    let huge = bulk_body(json!([
        {"method": "POST", "path": "/Users", "bulkId": "1", "data": user(&"y".repeat(3000))}
    ]));
    let reply = post_bulk(&app, &huge).await;
    assert_scim_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, None);
}

#[tokio::test]
async fn malformed_bulk_requests_are_rejected() {
    let app = app().await;
    for body in [
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}"#,
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}"#,
        r#"{"Operations":[{"path":"/Users"}]}"#,
        r#"[]"#,
    ] {
        let reply = post_bulk(&app, body).await;
        assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    }
    let anonymous = send(
        &app,
        Request::builder()
            .method("POST")
            .uri("/scim/v2/Bulk")
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(Body::from(bulk_body(json!([]))))
            .unwrap(),
    )
    .await;
    assert_scim_error(&anonymous, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn bulk_can_be_switched_off() {
    let app = app_with(HttpConfig {
        bulk_max_operations: 0,
        ..HttpConfig::default()
    })
    .await;
    let config = send(
        &app,
        empty(request("GET", "/scim/v2/ServiceProviderConfig", None)),
    )
    .await;
    assert_eq!(config.body["bulk"]["supported"], false);
    let reply = post_bulk(&app, &bulk_body(json!([]))).await;
    assert_scim_error(&reply, StatusCode::NOT_IMPLEMENTED, None);
}
