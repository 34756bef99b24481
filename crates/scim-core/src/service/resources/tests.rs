//! Unit tests of the resource service over the in-memory store and mocks.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::ports::{MockClock, MockIdGenerator, MockResourceStore, SystemClock, UuidV7Ids};
use crate::testing::MemoryStore;

fn tenant(name: &str) -> TenantId {
    TenantId(name.to_owned())
}

fn users(store: Arc<MemoryStore>) -> ResourceService {
    ResourceService::new(
        ResourceKind::User,
        store,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    )
}

#[tokio::test]
async fn create_normalises_names_and_drops_read_only_input() {
    let svc = users(Arc::default());
    let created = svc
        .create(
            &tenant("t"),
            json!({
                "schemas": [scim_schema::urn::USER],
                "USERNAME": "Bjensen@Example.com",
                "id": "client-chosen",
                "meta": {"version": "W/\"99\""},
                "groups": [{"value": "g1"}],
                "password": "t1meMa$heen",
                "externalId": "ext-1",
                "name": {"givenName": "Barbara"}
            }),
        )
        .await
        .unwrap();
    assert_ne!(created.id, "client-chosen");
    assert_eq!(created.version, 1);
    assert_eq!(created.external_id.as_deref(), Some("ext-1"));
    assert_eq!(created.attributes["userName"], "Bjensen@Example.com");
    for dropped in ["USERNAME", "id", "meta", "groups", "password"] {
        assert!(!created.attributes.contains_key(dropped), "{dropped}");
    }
}

#[tokio::test]
async fn create_requires_a_user_name() {
    let svc = users(Arc::default());
    for body in [
        json!({}),
        json!({"userName": ""}),
        json!({"userName": "   "}),
        json!({"userName": null}),
    ] {
        let err = svc.create(&tenant("t"), body.clone()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{body}");
        assert!(err.detail().contains("userName"), "{body}");
    }
    let err = svc
        .create(&tenant("t"), json!({"userName": 7}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
}

#[tokio::test]
async fn create_rejects_bodies_that_are_not_objects_or_have_wrong_schemas() {
    let svc = users(Arc::default());
    for (body, kind) in [
        (json!([1, 2]), ErrorKind::InvalidSyntax),
        (json!("x"), ErrorKind::InvalidSyntax),
        (
            json!({"userName": "a", "schemas": "x"}),
            ErrorKind::InvalidSyntax,
        ),
        (
            json!({"userName": "a", "schemas": [1]}),
            ErrorKind::InvalidSyntax,
        ),
        (
            json!({"userName": "a", "schemas": [scim_schema::urn::GROUP]}),
            ErrorKind::InvalidValue,
        ),
        (
            json!({"userName": "a", "externalId": 5}),
            ErrorKind::InvalidValue,
        ),
    ] {
        let err = svc.create(&tenant("t"), body.clone()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{body}");
    }
}

#[tokio::test]
async fn user_names_are_unique_case_insensitively_per_tenant_among_live_users() {
    let svc = users(Arc::default());
    let first = svc
        .create(&tenant("a"), json!({"userName": "Ärger@x.org"}))
        .await
        .unwrap();
    let err = svc
        .create(&tenant("a"), json!({"userName": "äRGER@X.ORG"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Uniqueness);
    // Another tenant may use the same name.
    svc.create(&tenant("b"), json!({"userName": "Ärger@x.org"}))
        .await
        .unwrap();
    // Once deleted, the name is free again and a new id is issued.
    svc.delete(&tenant("a"), &first.id, None).await.unwrap();
    let second = svc
        .create(&tenant("a"), json!({"userName": "ärger@x.org"}))
        .await
        .unwrap();
    assert_ne!(second.id, first.id);
}

#[tokio::test]
async fn deleted_and_foreign_resources_are_not_found() {
    let svc = users(Arc::default());
    let user = svc
        .create(&tenant("a"), json!({"userName": "x"}))
        .await
        .unwrap();
    assert_eq!(svc.get(&tenant("a"), &user.id).await.unwrap(), user);
    let err = svc.get(&tenant("b"), &user.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = svc.delete(&tenant("b"), &user.id, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    svc.delete(&tenant("a"), &user.id, None).await.unwrap();
    let err = svc.get(&tenant("a"), &user.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.detail().contains(&user.id));
    let err = svc.delete(&tenant("a"), &user.id, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn delete_with_a_stale_version_is_a_precondition_failure() {
    let svc = users(Arc::default());
    let user = svc
        .create(&tenant("a"), json!({"userName": "x"}))
        .await
        .unwrap();
    let err = svc
        .delete(&tenant("a"), &user.id, Some(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    svc.delete(&tenant("a"), &user.id, Some(1)).await.unwrap();
}

#[tokio::test]
async fn invalid_input_never_reaches_the_store() {
    // A mock with no expectations fails the test if the service calls it.
    let svc = ResourceService::new(
        ResourceKind::User,
        Arc::new(MockResourceStore::new()),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let err = svc
        .create(&tenant("t"), json!({"name": {}}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
}

#[tokio::test]
async fn create_passes_the_folded_key_id_and_time_to_the_store() {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().return_const("id-1".to_owned());
    let mut store = MockResourceStore::new();
    store
        .expect_create()
        .withf(move |t, r| {
            t.as_str() == "t"
                && r.id == "id-1"
                && r.unique_key.as_deref() == Some("mixed@case.org")
                && r.created == at
                && r.kind == ResourceKind::User
        })
        .times(1)
        .returning(|_, r| {
            Ok(StoredResource {
                id: r.id,
                kind: r.kind,
                external_id: r.external_id,
                attributes: r.attributes,
                version: 1,
                created: r.created,
                last_modified: r.created,
            })
        });
    let svc = ResourceService::new(
        ResourceKind::User,
        Arc::new(store),
        Arc::new(clock),
        Arc::new(ids),
    );
    let user = svc
        .create(&tenant("t"), json!({"userName": "Mixed@Case.org"}))
        .await
        .unwrap();
    let rendered = render(&user, Some("https://h/scim/v2/Users/id-1".into()));
    assert_eq!(
        rendered,
        json!({
            "schemas": [scim_schema::urn::USER],
            "id": "id-1",
            "userName": "Mixed@Case.org",
            "meta": {
                "resourceType": "User",
                "created": "2026-01-02T03:04:05.000Z",
                "lastModified": "2026-01-02T03:04:05.000Z",
                "location": "https://h/scim/v2/Users/id-1",
                "version": "W/\"1\""
            }
        })
    );
}
