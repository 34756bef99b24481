//! `/Bulk` over real HTTP and a real SQLite file: references between
//! operations, circular group memberships, and an initial load.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

const SCIM_JSON: &str = "application/scim+json";

async fn post_bulk(server: &TestServer, operations: Value) -> Value {
    let response = server
        .client()
        .post(server.url("/Bulk"))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, SCIM_JSON)
        .body(
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": operations
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    body
}

async fn get(server: &TestServer, url: &str) -> Value {
    let response = server
        .client()
        .get(url)
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}

fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "emails": [{"value": format!("{name}@example.com"), "type": "work"}]
    })
}

fn member_values(group: &Value) -> Vec<String> {
    let mut values: Vec<String> = group["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect();
    values.sort();
    values
}

#[tokio::test]
async fn bulk_request_with_references_and_a_membership_cycle() {
    let server = TestServer::start().await;
    let response = post_bulk(
        &server,
        json!([
            // Refers to users and a group created later in the request, and
            // that group refers back to this one.
            {"method": "POST", "path": "/Groups", "bulkId": "admins", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Admins",
                "members": [{"value": "bulkId:alice"}, {"value": "bulkId:staff", "type": "Group"}]
            }},
            {"method": "POST", "path": "/Groups", "bulkId": "staff", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Staff",
                "members": [{"value": "bulkId:admins", "type": "Group"}, {"value": "bulkId:bob"}]
            }},
            {"method": "POST", "path": "/Users", "bulkId": "alice", "data": user("alice")},
            {"method": "POST", "path": "/Users", "bulkId": "bob", "data": user("bob")},
            {"method": "PATCH", "path": "/Users/bulkId:bob", "data": {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": false}}]
            }}
        ]),
    )
    .await;
    let ops = response["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "201", "201", "201", "200"], "{response}");
    let location = |i: usize| ops[i]["location"].as_str().unwrap().to_owned();
    let id = |i: usize| location(i).rsplit('/').next().unwrap().to_owned();

    let admins = get(&server, &location(0)).await;
    let mut expected = vec![id(2), id(1)];
    expected.sort();
    assert_eq!(member_values(&admins), expected);
    // The reported version is the group's version after every member landed.
    assert_eq!(admins["meta"]["version"], ops[0]["version"]);
    let staff = get(&server, &location(1)).await;
    let mut expected = vec![id(0), id(3)];
    expected.sort();
    assert_eq!(member_values(&staff), expected);

    let bob = get(&server, &location(3)).await;
    assert_eq!(bob["active"], false);
    assert_eq!(bob["groups"][0]["value"], id(1));
}

#[tokio::test]
async fn initial_load_through_bulk() {
    let server = TestServer::start().await;
    let operations: Vec<Value> = (0..500)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                   "data": user(&format!("user{i:04}"))})
        })
        .chain(std::iter::once(json!({
            "method": "POST", "path": "/Groups", "bulkId": "everyone",
            "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Everyone",
                "members": (0..500).map(|i| json!({"value": format!("bulkId:u{i}")})).collect::<Vec<_>>()
            }
        })))
        .collect();
    let response = post_bulk(&server, Value::Array(operations)).await;
    let ops = response["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 501);
    assert!(ops.iter().all(|o| o["status"] == "201"), "{response}");

    let filter = percent_encode("userName sw \"user\"");
    let list = get(
        &server,
        &server.url(&format!("/Users?filter={filter}&count=0")),
    )
    .await;
    assert_eq!(list["totalResults"], 500);
    let group = get(&server, ops[500]["location"].as_str().unwrap()).await;
    assert_eq!(group["members"].as_array().unwrap().len(), 500);

    // Retrying the same load: every create collides, nothing is duplicated.
    let again = post_bulk(
        &server,
        json!([{"method": "POST", "path": "/Users", "bulkId": "x", "data": user("user0001")}]),
    )
    .await;
    assert_eq!(again["Operations"][0]["status"], "409");
    assert_eq!(again["Operations"][0]["response"]["scimType"], "uniqueness");
}
