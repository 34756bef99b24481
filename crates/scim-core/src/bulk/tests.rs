//! Unit tests of bulk requests over the in-memory store.

use std::sync::Arc;

use scim_schema::BulkRequest;
use serde_json::{Value, json};

use super::*;
use crate::TenantId;
use crate::ports::{ResourceStore, SystemClock, UuidV7Ids};
use crate::testing::MemoryStore;

fn tenant() -> TenantId {
    TenantId("t".to_owned())
}

fn setup() -> (Arc<MemoryStore>, BulkService) {
    let store = Arc::new(MemoryStore::default());
    let service = |kind| {
        Arc::new(ResourceService::new(
            kind,
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        ))
    };
    let bulk = BulkService::new([service(ResourceKind::User), service(ResourceKind::Group)]);
    (store, bulk)
}

fn request(body: Value) -> BulkRequest {
    serde_json::from_value(body).unwrap()
}

fn user(name: &str) -> Value {
    json!({"schemas": [scim_schema::urn::USER], "userName": name})
}

fn group(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"schemas": [scim_schema::urn::GROUP], "displayName": name, "members": members})
}

fn ops(operations: Value) -> BulkRequest {
    request(json!({
        "schemas": [scim_schema::urn::BULK_REQUEST],
        "Operations": operations
    }))
}

fn created(outcome: &BulkOutcome) -> &StoredResource {
    match &outcome.result {
        Ok(BulkDone::Created(resource)) => resource,
        other => panic!("expected a created resource, got {other:?}"),
    }
}

fn error_kind(outcome: &BulkOutcome) -> ErrorKind {
    match &outcome.result {
        Err(err) => err.kind(),
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn member_ids(store: &MemoryStore, group: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .members(&tenant(), group)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn references_are_resolved_in_dependency_order() {
    let (store, bulk) = setup();
    // The group comes first but names a user created later in the request.
    let outcomes = bulk
        .execute(&tenant(), &bulk_request_with_forward_reference())
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0].bulk_id.as_deref(), Some("g"));
    assert_eq!(outcomes[1].bulk_id.as_deref(), Some("u"));
    let group = created(&outcomes[0]);
    let user = created(&outcomes[1]);
    assert_eq!(member_ids(&store, &group.id).await, vec![user.id.clone()]);
    assert_eq!(
        outcomes[0].target,
        Some((ResourceKind::Group, group.id.clone()))
    );
    // The PATCH addressed the user by bulkId in its path.
    assert_eq!(outcomes[2].method, "PATCH");
    assert_eq!(
        outcomes[2].target,
        Some((ResourceKind::User, user.id.clone()))
    );
    match &outcomes[2].result {
        Ok(BulkDone::Updated(patched)) => assert_eq!(patched.attributes["active"], false),
        other => panic!("expected an update, got {other:?}"),
    }
}

fn bulk_request_with_forward_reference() -> BulkRequest {
    ops(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": group("Tour Guides", &["bulkId:u"])},
        {"method": "post", "path": "/Users", "bulkId": "u", "data": user("alice")},
        {"method": "PATCH", "path": "/Users/bulkId:u", "data": {
            "schemas": [scim_schema::urn::PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": false}]
        }}
    ]))
}

#[tokio::test]
async fn circular_group_memberships_are_resolved() {
    let (store, bulk) = setup();
    let outcomes = bulk
        .execute(
            &tenant(),
            &ops(json!([
                {"method": "POST", "path": "/Groups", "bulkId": "a", "data": group("A", &["bulkId:b"])},
                {"method": "POST", "path": "/Groups", "bulkId": "b", "data": group("B", &["bulkId:a"])}
            ])),
        )
        .await
        .unwrap();
    let a = created(&outcomes[0]);
    let b = created(&outcomes[1]);
    assert_eq!(member_ids(&store, &a.id).await, vec![b.id.clone()]);
    assert_eq!(member_ids(&store, &b.id).await, vec![a.id.clone()]);
    // The reported version is the group's version after its members were added.
    let stored = store
        .get(&tenant(), ResourceKind::Group, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, a.version);
}

#[tokio::test]
async fn a_cycle_outside_members_is_a_conflict() {
    let (_, bulk) = setup();
    let manager = |name: &str, other: &str| {
        json!({
            "schemas": [scim_schema::urn::USER, scim_schema::urn::ENTERPRISE_USER],
            "userName": name,
            scim_schema::urn::ENTERPRISE_USER: {"manager": {"value": other}}
        })
    };
    let outcomes = bulk
        .execute(
            &tenant(),
            &ops(json!([
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": manager("a", "bulkId:b")},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": manager("b", "bulkId:a")}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(error_kind(&outcomes[0]), ErrorKind::Conflict);
    assert_eq!(error_kind(&outcomes[1]), ErrorKind::Conflict);
}

#[tokio::test]
async fn unknown_and_failed_references_fail_their_operation() {
    let (_, bulk) = setup();
    let outcomes = bulk
        .execute(
            &tenant(),
            &ops(json!([
                {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"schemas": [scim_schema::urn::USER]}},
                {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": group("G1", &["bulkId:bad"])},
                {"method": "POST", "path": "/Groups", "bulkId": "g2", "data": group("G2", &["bulkId:nowhere"])},
                {"method": "POST", "path": "/Users", "bulkId": "ok", "data": user("bob")}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 4);
    assert_eq!(error_kind(&outcomes[0]), ErrorKind::InvalidValue);
    assert_eq!(error_kind(&outcomes[1]), ErrorKind::Conflict);
    assert_eq!(error_kind(&outcomes[2]), ErrorKind::InvalidValue);
    assert_eq!(created(&outcomes[3]).attributes["userName"], "bob");
}

#[tokio::test]
async fn fail_on_errors_stops_the_request() {
    let (_, bulk) = setup();
    let outcomes = bulk
        .execute(
            &tenant(),
            &request(json!({
                "schemas": [scim_schema::urn::BULK_REQUEST],
                "failOnErrors": 1,
                "Operations": [
                    {"method": "POST", "path": "/Users", "bulkId": "1", "data": user("carol")},
                    {"method": "DELETE", "path": "/Users/missing"},
                    {"method": "POST", "path": "/Users", "bulkId": "3", "data": user("dave")}
                ]
            })),
        )
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 2, "the third operation must not run");
    assert_eq!(error_kind(&outcomes[1]), ErrorKind::NotFound);
    assert_eq!(
        outcomes[1].target,
        Some((ResourceKind::User, "missing".to_owned()))
    );
    // dave was never created: creating him now succeeds.
    let again = bulk
        .execute(
            &tenant(),
            &ops(
                json!([{"method": "POST", "path": "/Users", "bulkId": "3", "data": user("dave")}]),
            ),
        )
        .await
        .unwrap();
    assert_eq!(created(&again[0]).attributes["userName"], "dave");
}

#[tokio::test]
async fn malformed_operations_fail_alone() {
    let (_, bulk) = setup();
    let outcomes = bulk
        .execute(
            &tenant(),
            &ops(json!([
                {"method": "GET", "path": "/Users"},
                {"method": "POST", "path": "/Widgets", "bulkId": "w", "data": {}},
                {"method": "POST", "path": "/Users/123", "bulkId": "x", "data": user("x")},
                {"method": "PUT", "path": "/Users", "data": user("y")},
                {"method": "POST", "path": "/Users", "bulkId": "z"},
                {"method": "POST", "path": "/Users", "bulkId": "z", "data": user("z")},
                {"method": "POST", "path": "Users", "bulkId": "ok", "data": user("erin")}
            ])),
        )
        .await
        .unwrap();
    let kinds: Vec<Option<ErrorKind>> = outcomes
        .iter()
        .map(|o| o.result.as_ref().err().map(Error::kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            Some(ErrorKind::InvalidSyntax),
            Some(ErrorKind::InvalidValue),
            Some(ErrorKind::InvalidSyntax),
            Some(ErrorKind::InvalidSyntax),
            Some(ErrorKind::InvalidSyntax),
            Some(ErrorKind::InvalidValue),
            None,
        ]
    );
    assert_eq!(outcomes[0].method, "GET");
    // A failed POST reports no location, whatever its path names.
    assert_eq!(outcomes[2].target, None);
}

#[tokio::test]
async fn versions_are_checked() {
    let (_, bulk) = setup();
    let first = bulk
        .execute(
            &tenant(),
            &ops(
                json!([{"method": "POST", "path": "/Users", "bulkId": "u", "data": user("frank")}]),
            ),
        )
        .await
        .unwrap();
    let frank = created(&first[0]).clone();
    let path = format!("/Users/{}", frank.id);
    let outcomes = bulk
        .execute(
            &tenant(),
            &ops(json!([
                {"method": "PUT", "path": path, "version": "W/\"7\"", "data": user("frank2")},
                {"method": "PUT", "path": path, "version": "garbage", "data": user("frank2")},
                {"method": "DELETE", "path": path, "version": frank.etag()}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(error_kind(&outcomes[0]), ErrorKind::PreconditionFailed);
    assert_eq!(error_kind(&outcomes[1]), ErrorKind::PreconditionFailed);
    assert!(matches!(outcomes[2].result, Ok(BulkDone::Deleted)));
}

#[tokio::test]
async fn a_request_without_the_bulk_schema_is_rejected() {
    let (_, bulk) = setup();
    let err = bulk
        .execute(
            &tenant(),
            &request(json!({
                "schemas": [scim_schema::urn::PATCH_OP],
                "Operations": []
            })),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSyntax);
}
