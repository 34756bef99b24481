//! A tenant's identity provider profile picks the answer to group PATCH.

use scim_core::ports::TenantStore;
use scim_core::{IdpProfile, TenantPolicies};

use super::*;

/// The test app, with services that read each tenant's policies, and the
/// store to set them in.
async fn app_with_policies() -> (Router, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let auth = AuthService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    auth.bootstrap("default", Some(TOKEN)).await.unwrap();
    let service = |kind| {
        ResourceService::new(
            kind,
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        )
        .with_tenant_policies(store.clone())
    };
    let app = router(AppState {
        users: Arc::new(service(ResourceKind::User)),
        groups: Arc::new(service(ResourceKind::Group)),
        custom: Vec::new(),
        auth: Arc::new(auth),
        audit: None,
        config: Arc::new(HttpConfig::default()),
    });
    (app, store)
}

async fn set_idp(store: &MemoryStore, idp: IdpProfile) {
    let tenant = store.find_tenant_by_name("default").await.unwrap().unwrap();
    let policies = TenantPolicies {
        idp: Some(idp),
        ..TenantPolicies::default()
    };
    store.set_policies(&tenant.id, policies).await.unwrap();
}

const RENAME: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Renamed"}]}"#;

#[tokio::test]
async fn entra_and_okta_tenants_get_204_for_group_patch() {
    let (app, store) = app_with_policies().await;
    let group = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Groups", Some("")),
            r#"{"displayName":"Sales"}"#,
        ),
    )
    .await;
    let uri = format!("/scim/v2/Groups/{}", group.body["id"].as_str().unwrap());
    let patch = |extra: Option<(&'static str, &'static str)>, path: &str| {
        let mut builder = request("PATCH", path, Some(""));
        if let Some((name, value)) = extra {
            builder = builder.header(name, value);
        }
        with_body(builder, RENAME)
    };

    // Generic: 200 with the group.
    let reply = send(&app, patch(None, &uri)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["displayName"], "Renamed");

    for idp in [IdpProfile::Entra, IdpProfile::Okta] {
        set_idp(&store, idp).await;
        let reply = send(&app, patch(None, &uri)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{idp:?}");
        assert!(reply.headers.contains_key(header::ETAG));
        // A client that asks for the group gets it.
        let reply = send(&app, patch(Some(("prefer", "return=representation")), &uri)).await;
        assert_eq!(reply.status, StatusCode::OK, "{idp:?}");
        let reply = send(&app, patch(None, &format!("{uri}?attributes=displayName"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{idp:?}");
    }

    // Users keep their 200 whatever the profile.
    let user = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let user_uri = format!("/scim/v2/Users/{}", user.body["id"].as_str().unwrap());
    let reply = send(
        &app,
        with_body(
            request("PATCH", &user_uri, Some("")),
            r#"{"Operations":[{"op":"replace","path":"active","value":false}]}"#,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["active"], false);
}
