//! Unit tests of the resource service over the in-memory store and mocks.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::model::{DeleteMode, DuplicatePolicy, EventType, GroupRef, IdpProfile, TenantPolicies};
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
                "name": {"GIVENNAME": "Barbara"}
            }),
        )
        .await
        .unwrap();
    assert_ne!(created.id, "client-chosen");
    assert_eq!(created.version, 1);
    assert_eq!(created.external_id.as_deref(), Some("ext-1"));
    assert_eq!(created.attributes["userName"], "Bjensen@Example.com");
    assert_eq!(created.attributes["name"], json!({"givenName": "Barbara"}));
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
        .create(&tenant("t"), json!({"userName": true}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    // A number is what the client meant as text.
    let numeric = svc
        .create(&tenant("t"), json!({"userName": 7}))
        .await
        .unwrap();
    assert_eq!(numeric.attributes["userName"], "7");
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
            json!({"userName": "a", "externalId": {"id": 5}}),
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
    store.expect_groups_of_many().times(1).returning(|_, ids| {
        Ok(vec![(
            ids[0].clone(),
            GroupRef {
                id: "g-1".into(),
                display: Some("Sales".into()),
            },
        )])
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
    // `groups` is read from the membership store once, for the default
    // projection, and not at all when it is excluded (`times(1)` above).
    let with_groups = svc
        .render(
            &tenant("t"),
            &user,
            Some("https://h/scim/v2"),
            &Fields::all(),
        )
        .await
        .unwrap();
    let rendered = svc
        .render(
            &tenant("t"),
            &user,
            Some("https://h/scim/v2"),
            &Fields {
                attributes: None,
                excluded: Some("groups".into()),
            },
        )
        .await
        .unwrap();
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
    assert_eq!(
        with_groups["groups"],
        json!([{"value": "g-1", "$ref": "https://h/scim/v2/Groups/g-1", "display": "Sales", "type": "direct"}])
    );
}

#[tokio::test]
async fn replace_swaps_the_document_and_bumps_the_version_only_on_change() {
    let svc = users(Arc::default());
    let t = tenant("t");
    let created = svc
        .create(
            &t,
            json!({"userName": "ann", "title": "Engineer", "externalId": "e1"}),
        )
        .await
        .unwrap();
    let same = svc
        .replace(
            &t,
            &created.id,
            json!({"userName": "ann", "title": "Engineer", "externalId": "e1"}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(same, created, "an identical PUT changes nothing");
    let replaced = svc
        .replace(
            &t,
            &created.id,
            json!({"userName": "Ann", "displayName": "Ann Lee"}),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(replaced.version, 2);
    assert_eq!(
        replaced.external_id, None,
        "PUT replaces: omitted attributes are cleared"
    );
    assert!(!replaced.attributes.contains_key("title"));
    assert_eq!(replaced.attributes["displayName"], "Ann Lee");
    let err = svc
        .replace(&t, &created.id, json!({"userName": "x"}), Some(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    let err = svc
        .replace(
            &tenant("other"),
            &created.id,
            json!({"userName": "x"}),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn replace_onto_a_taken_user_name_conflicts() {
    let svc = users(Arc::default());
    let t = tenant("t");
    svc.create(&t, json!({"userName": "taken"})).await.unwrap();
    let mover = svc.create(&t, json!({"userName": "mover"})).await.unwrap();
    let err = svc
        .replace(&t, &mover.id, json!({"userName": "TAKEN"}), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Uniqueness);
}

#[tokio::test]
async fn over_long_or_nul_keys_are_invalid_values() {
    let svc = users(Arc::default());
    let long = "x".repeat(MAX_KEY_CHARS + 1);
    for body in [
        json!({"userName": long}),
        json!({"userName": "a", "externalId": long}),
        json!({"userName": "nul\u{0}byte"}),
        json!({"userName": "a", "externalId": "\u{0}"}),
    ] {
        let err = svc.create(&tenant("t"), body).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
    }
}

#[tokio::test]
async fn render_hides_never_returned_and_applies_the_projection() {
    let svc = users(Arc::default());
    let user = svc
        .create(
            &tenant("t"),
            json!({"userName": "ann", "title": "Engineer", "password": "secret"}),
        )
        .await
        .unwrap();
    let full = svc
        .render(&tenant("t"), &user, None, &Fields::all())
        .await
        .unwrap();
    assert!(full.get("password").is_none());
    assert_eq!(full["title"], "Engineer");
    let slim = svc
        .render(
            &tenant("t"),
            &user,
            None,
            &Fields {
                attributes: Some("userName".into()),
                excluded: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(slim.as_object().unwrap().len(), 3, "{slim}");
    assert_eq!(slim["id"], user.id.as_str());
    assert_eq!(slim["userName"], "ann");
}

#[tokio::test]
async fn a_retried_create_with_the_same_external_id_returns_the_stored_user() {
    let svc = users(Arc::default());
    let t = tenant("t");
    let first = svc
        .create(&t, json!({"userName": "ann", "externalId": "e-1"}))
        .await
        .unwrap();
    let retried = svc
        .create(
            &t,
            json!({"userName": "ANN", "externalId": "e-1", "title": "ignored"}),
        )
        .await
        .unwrap();
    assert_eq!(
        retried, first,
        "a retry creates nothing and returns the original"
    );
    for body in [
        json!({"userName": "ann", "externalId": "e-2"}),
        json!({"userName": "ann"}),
        json!({"userName": "ann", "externalId": ""}),
    ] {
        let err = svc.create(&t, body.clone()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Uniqueness, "{body}");
    }
}

#[tokio::test]
async fn duplicate_policies_can_be_strict_or_always_return_the_existing() {
    let store: Arc<MemoryStore> = Arc::default();
    let strict = users(store.clone()).with_duplicate_policy(DuplicatePolicy::Conflict);
    let t = tenant("t");
    let first = strict
        .create(&t, json!({"userName": "ann", "externalId": "e-1"}))
        .await
        .unwrap();
    let err = strict
        .create(&t, json!({"userName": "ann", "externalId": "e-1"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Uniqueness);
    let lenient = users(store).with_duplicate_policy(DuplicatePolicy::ReturnExisting);
    let found = lenient
        .create(&t, json!({"userName": "Ann"}))
        .await
        .unwrap();
    assert_eq!(found.id, first.id);
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing() {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let stored = StoredResource {
        id: "u-1".into(),
        kind: ResourceKind::User,
        external_id: None,
        attributes: json!({
            "schemas": [scim_schema::urn::USER],
            "userName": "ann",
            "active": false
        })
        .as_object()
        .cloned()
        .unwrap(),
        version: 4,
        created: at,
        last_modified: at,
    };
    let mut store = MockResourceStore::new();
    let found = stored.clone();
    store
        .expect_get()
        .times(1)
        .returning(move |_, _, _| Ok(Some(found.clone())));
    // No expectation for replace or change_members: a write fails the test.
    let svc = ResourceService::new(
        ResourceKind::User,
        Arc::new(store),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "replace", "value": {"userName": "ann"}}
        ]
    });
    let result = svc.patch(&tenant("t"), "u-1", body, Some(4)).await.unwrap();
    assert_eq!(result, stored, "the version stays 4");
}

#[tokio::test]
async fn hard_delete_removes_the_record_and_purge_removes_old_soft_deletes() {
    let store: Arc<MemoryStore> = Arc::default();
    let t = tenant("t");
    let soft = users(store.clone());
    let kept = soft.create(&t, json!({"userName": "kept"})).await.unwrap();
    soft.delete(&t, &kept.id, None).await.unwrap();
    // The soft-deleted record is still there for purge to find.
    assert_eq!(soft.purge(&t, chrono::Duration::hours(1)).await.unwrap(), 0);
    assert_eq!(soft.purge(&t, chrono::Duration::zero()).await.unwrap(), 1);

    let hard = users(store.clone()).with_delete_mode(DeleteMode::Hard);
    let gone = hard.create(&t, json!({"userName": "gone"})).await.unwrap();
    hard.delete(&t, &gone.id, None).await.unwrap();
    assert_eq!(
        soft.purge(&t, chrono::Duration::zero()).await.unwrap(),
        0,
        "a hard delete leaves nothing to purge"
    );
}

#[tokio::test]
async fn every_real_change_emits_its_events_and_no_op_changes_emit_none() {
    use crate::model::EventType::*;
    let store: Arc<MemoryStore> = Arc::default();
    let t = tenant("t");
    let users = users(store.clone());
    let groups = ResourceService::new(
        ResourceKind::Group,
        store,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let ann = users
        .create(&t, json!({"userName": "ann", "title": "Dev"}))
        .await
        .unwrap();
    let deactivate = json!({"Operations": [{"op": "replace", "path": "active", "value": false}]});
    users
        .patch(&t, &ann.id, deactivate.clone(), None)
        .await
        .unwrap();
    users.patch(&t, &ann.id, deactivate, None).await.unwrap();
    users
        .replace(
            &t,
            &ann.id,
            json!({"userName": "ann", "active": true}),
            None,
        )
        .await
        .unwrap();
    let sales = groups
        .create(
            &t,
            json!({"displayName": "Sales", "members": [{"value": ann.id}]}),
        )
        .await
        .unwrap();
    let remove = json!({"Operations": [{"op": "remove", "path": format!("members[value eq \"{}\"]", ann.id)}]});
    groups.patch(&t, &sales.id, remove, None).await.unwrap();
    users.delete(&t, &ann.id, None).await.unwrap();

    let feed = users.events(&t, 0, 100).await.unwrap();
    let seen: Vec<(EventType, &str, &Value)> = feed
        .iter()
        .map(|e| {
            (
                e.event.event_type,
                e.event.resource_id.as_str(),
                &e.event.data,
            )
        })
        .collect();
    let member = json!({"member": ann.id});
    assert_eq!(
        seen,
        vec![
            (UserCreated, ann.id.as_str(), &Value::Null),
            (
                UserUpdated,
                ann.id.as_str(),
                &json!({"attributes": ["active"]})
            ),
            (UserDeactivated, ann.id.as_str(), &Value::Null),
            (
                UserUpdated,
                ann.id.as_str(),
                &json!({"attributes": ["active", "title"]})
            ),
            (UserReactivated, ann.id.as_str(), &Value::Null),
            (GroupCreated, sales.id.as_str(), &Value::Null),
            (MemberAdded, sales.id.as_str(), &member),
            (MemberRemoved, sales.id.as_str(), &member),
            (UserDeleted, ann.id.as_str(), &Value::Null),
        ]
    );
    assert!(
        users
            .events(&tenant("other"), 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn each_tenant_chooses_its_own_policies() {
    use crate::ports::TenantStore as _;
    let store: Arc<MemoryStore> = Arc::default();
    let mut ids = Vec::new();
    for name in ["strict", "relaxed"] {
        let id = TenantId(name.to_owned());
        store
            .create_tenant(
                crate::model::NewTenant {
                    id: id.clone(),
                    name: name.to_owned(),
                    created: Utc::now(),
                },
                None,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let (strict, relaxed) = (&ids[0], &ids[1]);
    store
        .set_policies(
            strict,
            TenantPolicies {
                duplicates: Some(DuplicatePolicy::Conflict),
                delete_mode: Some(DeleteMode::Hard),
                strictness: Some(scim_schema::Strictness::Strict),
                idp: None,
                extensions: Vec::new(),
            },
        )
        .await
        .unwrap();
    let svc = users(store.clone()).with_tenant_policies(store.clone());

    let body = json!({"userName": "ann", "externalId": "e-1", "favouriteColour": "green"});
    let err = svc.create(strict, body.clone()).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidSyntax,
        "strict tenants refuse unknown attributes"
    );
    let kept = svc.create(relaxed, body.clone()).await.unwrap();
    assert!(!kept.attributes.contains_key("favouriteColour"));
    // Retried creates: returned for the relaxed tenant, 409 for the strict one.
    assert_eq!(svc.create(relaxed, body).await.unwrap().id, kept.id);
    let strict_body = json!({"userName": "ann", "externalId": "e-1"});
    let first = svc.create(strict, strict_body.clone()).await.unwrap();
    assert_eq!(
        svc.create(strict, strict_body).await.unwrap_err().kind(),
        ErrorKind::Uniqueness
    );
    // Hard delete for the strict tenant, soft for the other.
    svc.delete(strict, &first.id, None).await.unwrap();
    svc.delete(relaxed, &kept.id, None).await.unwrap();
    assert_eq!(
        svc.purge(strict, chrono::Duration::zero()).await.unwrap(),
        0
    );
    assert_eq!(
        svc.purge(relaxed, chrono::Duration::zero()).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn cursors_carry_the_stores_position_and_bad_ones_never_reach_it() {
    use crate::model::{Page, Position, SortValue};
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let position = Position {
        key: Some(SortValue::Text("bjensen".to_owned())),
        created: at,
        id: "u-1".to_owned(),
    };
    let mut store = MockResourceStore::new();
    let minted = position.clone();
    store
        .expect_query()
        .withf(|_, _, q| q.after.is_none() && q.start_index == 1 && q.count == 1)
        .times(1)
        .returning(move |_, _, _| {
            Ok(Page {
                resources: Vec::new(),
                total_results: 2,
                next: Some(minted.clone()),
            })
        });
    let resumed = position.clone();
    store
        .expect_query()
        .withf(move |_, _, q| q.after.as_ref() == Some(&resumed) && q.start_index == 1)
        .times(1)
        .returning(|_, _, _| {
            Ok(Page {
                resources: Vec::new(),
                total_results: 2,
                next: None,
            })
        });
    let svc = ResourceService::new(
        ResourceKind::User,
        Arc::new(store),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let request = ListRequest {
        sort_by: Some("userName".to_owned()),
        // Ignored with a cursor: the position says where to start.
        start_index: 5,
        count: 1,
        cursor: Some(String::new()),
        ..ListRequest::default()
    };
    let first = svc.list(&tenant("t"), &request).await.unwrap();
    assert_eq!(first.total_results, 2);
    let next = first.next_cursor.expect("a next page follows");
    let second = ListRequest {
        cursor: Some(next.clone()),
        ..request.clone()
    };
    let last = svc.list(&tenant("t"), &second).await.unwrap();
    assert_eq!(last.next_cursor, None);

    // Each of these fails before the store is asked again (the mock
    // allows no third query).
    let other_sort = ListRequest {
        sort_by: Some("id".to_owned()),
        ..second.clone()
    };
    let other_filter = ListRequest {
        filter: Some("userName pr".to_owned()),
        ..second.clone()
    };
    let garbage = ListRequest {
        cursor: Some("%%%".to_owned()),
        ..second.clone()
    };
    for (bad, t) in [
        (&second, "another-tenant"),
        (&other_sort, "t"),
        (&other_filter, "t"),
        (&garbage, "t"),
    ] {
        let err = svc.list(&tenant(t), bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCursor, "{bad:?}");
    }
}

#[tokio::test]
async fn index_requests_get_no_cursor() {
    let store = Arc::new(MemoryStore::default());
    let svc = users(store);
    for name in ["a", "b", "c"] {
        svc.create(&tenant("t"), json!({"userName": name}))
            .await
            .unwrap();
    }
    let listing = svc
        .list(
            &tenant("t"),
            &ListRequest {
                start_index: 2,
                count: 1,
                ..ListRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listing.resources[0].attributes["userName"], "b");
    assert_eq!(listing.total_results, 3);
    assert_eq!(listing.next_cursor, None);
}

#[tokio::test]
async fn a_patch_naming_another_message_is_refused() {
    let svc = users(Arc::default());
    let t = tenant("t");
    let created = svc.create(&t, json!({"userName": "pat"})).await.unwrap();
    for body in [
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
               "Operations": [{"op": "replace", "path": "active", "value": false}]}),
        json!([{"op": "replace", "path": "active", "value": false}]),
    ] {
        let err = svc.patch(&t, &created.id, body, None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSyntax);
    }
    // Without schemas the operations are served, as many clients send them.
    let patched = svc
        .patch(
            &t,
            &created.id,
            json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(patched.attributes["active"], false);
}

#[tokio::test]
async fn an_okta_tenant_refuses_repeated_creates_unless_it_chose_otherwise() {
    let store = Arc::new(MemoryStore::default());
    let mut ids = Vec::new();
    for name in ["okta", "okta-lenient", "entra"] {
        let id = tenant(name);
        store
            .create_tenant(
                crate::model::NewTenant {
                    id: id.clone(),
                    name: name.to_owned(),
                    created: Utc::now(),
                },
                None,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let profile = |idp, duplicates| TenantPolicies {
        idp: Some(idp),
        duplicates,
        ..TenantPolicies::default()
    };
    store
        .set_policies(&ids[0], profile(IdpProfile::Okta, None))
        .await
        .unwrap();
    store
        .set_policies(
            &ids[1],
            profile(
                IdpProfile::Okta,
                Some(DuplicatePolicy::ReturnSameExternalId),
            ),
        )
        .await
        .unwrap();
    store
        .set_policies(&ids[2], profile(IdpProfile::Entra, None))
        .await
        .unwrap();
    let svc = users(store.clone()).with_tenant_policies(store.clone());
    let body = json!({"userName": "ann", "externalId": "e-1"});
    for id in &ids {
        svc.create(id, body.clone()).await.unwrap();
    }
    // Okta documents 409 for any repeated create.
    assert_eq!(
        svc.create(&ids[0], body.clone()).await.unwrap_err().kind(),
        ErrorKind::Uniqueness
    );
    // The tenant's own choice wins over its provider's.
    assert!(svc.create(&ids[1], body.clone()).await.is_ok());
    // Entra documents nothing else: the retry-safe default.
    assert!(svc.create(&ids[2], body).await.is_ok());
    assert_eq!(
        svc.tenant_policies(&ids[2]).await.unwrap().idp,
        Some(IdpProfile::Entra)
    );
}

#[tokio::test]
async fn a_group_member_without_a_value_is_refused() {
    let store: Arc<MemoryStore> = Arc::default();
    let groups = ResourceService::new(
        ResourceKind::Group,
        store,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let t = tenant("t");
    for members in [
        json!([{}]),
        json!([{"value": null}]),
        json!([{"display": "x"}]),
    ] {
        let err = groups
            .create(&t, json!({"displayName": "G", "members": members}))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{members}");
    }
    // No members, or an empty list, is fine.
    groups
        .create(&t, json!({"displayName": "G", "members": []}))
        .await
        .unwrap();
}

fn devices(store: Arc<MemoryStore>) -> ResourceService {
    let schema: scim_schema::SchemaDef = serde_json::from_value(json!({
        "id": "urn:example:Device", "name": "Device", "attributes": [
            {"name": "serial", "type": "string", "required": true, "uniqueness": "server"},
            {"name": "model", "type": "string"}]
    }))
    .unwrap();
    ResourceService::for_type(
        ResourceType::new("Device", "/Devices", schema),
        store,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    )
}

#[tokio::test]
async fn a_configured_kind_keeps_its_schemas_unique_attribute_unique() {
    let store: Arc<MemoryStore> = Arc::default();
    let svc = devices(store.clone());
    assert_eq!(svc.kind(), ResourceKind::named("Device"));
    assert_eq!(svc.unique_attribute(), Some("serial"));
    let t = tenant("t");
    let made = svc
        .create(&t, json!({"serial": "SN-1", "model": "X"}))
        .await
        .unwrap();
    let err = svc.create(&t, json!({"serial": "sn-1"})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Uniqueness);
    assert!(err.detail().contains("serial"), "{}", err.detail());
    // The user service does not see it, and a group cannot hold it.
    assert_eq!(
        users(store.clone())
            .get(&t, &made.id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let groups = ResourceService::new(
        ResourceKind::Group,
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let err = groups
        .create(
            &t,
            json!({"displayName": "g", "members": [{"value": made.id}]}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    let events = svc.events(&t, 0, 10).await.unwrap();
    assert_eq!(events[0].event.event_type, EventType::ResourceCreated);
    assert_eq!(events[0].event.resource_kind, svc.kind());
}

#[tokio::test]
async fn a_tenants_extensions_apply_to_that_tenant_only_and_are_built_once() {
    let store: Arc<MemoryStore> = Arc::default();
    let svc = users(store.clone()).with_tenant_policies(store.clone());
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    for t in [&acme, &globex] {
        store
            .create_tenant(
                crate::model::NewTenant {
                    id: t.clone(),
                    name: t.to_string(),
                    created: Utc::now(),
                },
                None,
            )
            .await
            .unwrap();
    }
    let badge: scim_schema::SchemaDef = serde_json::from_value(json!({
        "id": "urn:example:Badge", "attributes": [{"name": "number", "type": "integer"}]
    }))
    .unwrap();
    let extension = crate::TenantExtension {
        resource_type: "User".into(),
        schema: Arc::new(badge),
        required: false,
    };
    store
        .set_policies(
            &acme,
            TenantPolicies {
                extensions: vec![extension.clone()],
                ..TenantPolicies::default()
            },
        )
        .await
        .unwrap();
    let body = json!({"userName": "a", "urn:example:Badge": {"number": 7}});
    let theirs = svc.create(&acme, body.clone()).await.unwrap();
    assert_eq!(theirs.attributes["urn:example:Badge"], json!({"number": 7}));
    let others = svc.create(&globex, body).await.unwrap();
    assert!(!others.attributes.contains_key("urn:example:Badge"));

    // The tenant's type is built once and reused until its extensions change.
    let first = svc.policies((&acme).into()).await.unwrap().typed;
    let again = svc.policies((&acme).into()).await.unwrap().typed;
    assert!(Arc::ptr_eq(&first, &again));
    assert!(Arc::ptr_eq(
        &svc.policies((&globex).into()).await.unwrap().typed,
        &svc.typed
    ));
    let required = crate::TenantExtension {
        required: true,
        ..extension
    };
    store
        .set_policies(
            &acme,
            TenantPolicies {
                extensions: vec![required],
                ..TenantPolicies::default()
            },
        )
        .await
        .unwrap();
    let rebuilt = svc.policies((&acme).into()).await.unwrap().typed;
    assert!(!Arc::ptr_eq(&first, &rebuilt));
    let err = svc
        .create(&acme, json!({"userName": "b"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
}
