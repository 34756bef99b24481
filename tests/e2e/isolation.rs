//! Tenant isolation on every endpoint: a credential of one tenant can
//! neither read, change nor learn of another tenant's resources, through
//! ids, filters, `.search`, cursors, Bulk (by id and by bulkId), group
//! memberships, ETags, discovery, or the admin API. Whatever it tries, the
//! other tenant's data is unchanged afterwards.

use reqwest::{Method, StatusCode};
use scim_server::{Settings, TenantCommand};
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "isolation-admin-token-0123456789abcdefgh";

async fn call(method: Method, url: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    scim_tests::send_json(method, url, Some(token), "application/scim+json", body).await
}

/// A request with extra headers; the status and body.
async fn call_with(
    method: Method,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, what: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{what}: {body}"
    );
    assert_eq!(body["status"], expected.as_str(), "{what}: {body}");
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

/// What tenant A holds, read through its own token, to compare before
/// and after tenant B's attempts.
async fn snapshot(server: &TestServer, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for kind in ["Users", "Groups"] {
        let (status, page) = call(
            Method::GET,
            &server.url(&format!("/{kind}?count=1000&sortBy=id")),
            token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        all.extend(page["Resources"].as_array().unwrap().iter().cloned());
    }
    all
}

#[tokio::test]
async fn a_tenant_can_neither_read_change_nor_learn_of_another_tenants_resources() {
    let server = TestServer::start_with(|s| s.admin_token = Some(ADMIN_TOKEN.to_owned())).await;
    let settings = Settings::with_defaults(server.data_dir.path(), "127.0.0.1:0".parse().unwrap());
    let created = scim_server::admin::tenant(
        &settings,
        &TenantCommand::Create {
            name: "globex".into(),
            token_expires_in_days: None,
        },
        true,
    )
    .await
    .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    let b = created["token"].as_str().unwrap().to_owned();
    let a = server.token.clone();

    // Tenant A: a user with an externalId, a group holding it.
    let (status, user) = call(
        Method::POST,
        &server.url("/Users"),
        &a,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "secret.agent@acme.example",
            "externalId": "acme-ext-007",
            "displayName": "Secret Agent",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let user_id = user["id"].as_str().unwrap().to_owned();
    let user_etag = user["meta"]["version"].as_str().unwrap().to_owned();
    let (status, group) = call(
        Method::POST,
        &server.url("/Groups"),
        &a,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Acme Spies",
            "members": [{"value": user_id}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let (status, first_page) =
        call(Method::GET, &server.url("/Users?count=1&cursor="), &a, None).await;
    assert_eq!(status, StatusCode::OK, "{first_page}");
    let a_cursor = first_page["nextCursor"].as_str().map(str::to_owned);
    let before = snapshot(&server, &a).await;

    // By id, with every method, with and without A's ETag.
    let user_url = server.url(&format!("/Users/{user_id}"));
    let group_url = server.url(&format!("/Groups/{group_id}"));
    let replace_user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "taken.over@globex.example",
    });
    let replace_group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Taken over",
    });
    let take_over = patch(json!([{"op": "replace", "path": "displayName", "value": "Taken over"}]));
    for (url, replacement) in [(&user_url, &replace_user), (&group_url, &replace_group)] {
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(replacement.clone())),
            (Method::PATCH, Some(take_over.clone())),
            (Method::DELETE, None),
        ] {
            for headers in [vec![], vec![("If-Match", user_etag.as_str())]] {
                let (status, answer) =
                    call_with(method.clone(), url, &b, &headers, body.clone()).await;
                assert_error(
                    status,
                    &answer,
                    StatusCode::NOT_FOUND,
                    &format!("{method} {url} {headers:?} as B"),
                );
            }
        }
    }
    let (status, answer) = call_with(
        Method::GET,
        &user_url,
        &b,
        &[("If-None-Match", user_etag.as_str())],
        None,
    )
    .await;
    assert_error(status, &answer, StatusCode::NOT_FOUND, "a conditional GET");

    // Filters, sorted lists and .search: nothing of A matches for B.
    let filters = [
        format!("id eq \"{user_id}\""),
        "userName eq \"secret.agent@acme.example\"".to_owned(),
        "userName sw \"secret\"".to_owned(),
        "externalId eq \"acme-ext-007\"".to_owned(),
        "displayName co \"Agent\"".to_owned(),
        "userName pr".to_owned(),
        format!("groups.value eq \"{group_id}\""),
        format!("groups[value eq \"{group_id}\"]"),
        "meta.created gt \"2000-01-01T00:00:00Z\"".to_owned(),
    ];
    for filter in &filters {
        let url = server.url(&format!("/Users?filter={}", percent_encode(filter)));
        let (status, page) = call(Method::GET, &url, &b, None).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {page}");
        assert_eq!(page["totalResults"], 0, "{filter}: {page}");
        for search in ["/Users/.search", "/.search"] {
            let (status, page) = call(
                Method::POST,
                &server.url(search),
                &b,
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": filter,
                })),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{search} {filter}: {page}");
            assert_eq!(page["totalResults"], 0, "{search} {filter}: {page}");
        }
    }
    for filter in [
        format!("members.value eq \"{user_id}\""),
        format!("members[value eq \"{user_id}\"]"),
        "displayName eq \"Acme Spies\"".to_owned(),
        format!("id eq \"{group_id}\""),
    ] {
        let url = server.url(&format!("/Groups?filter={}", percent_encode(&filter)));
        let (status, page) = call(Method::GET, &url, &b, None).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {page}");
        assert_eq!(page["totalResults"], 0, "{filter}: {page}");
    }
    // The same membership filters find A's resources for A.
    for (path, filter) in [
        ("/Users", format!("groups.value eq \"{group_id}\"")),
        ("/Groups", format!("members.value eq \"{user_id}\"")),
    ] {
        let url = server.url(&format!("{path}?filter={}", percent_encode(&filter)));
        let (status, page) = call(Method::GET, &url, &a, None).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {page}");
        assert_eq!(page["totalResults"], 1, "{filter} as A: {page}");
    }
    for path in ["/Users", "/Groups", "/Users?sortBy=userName&count=1000"] {
        let (status, page) = call(Method::GET, &server.url(path), &b, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert_eq!(page["totalResults"], 0, "{path} as B: {page}");
    }
    let (status, page) = call(
        Method::POST,
        &server.url("/.search"),
        &b,
        Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["totalResults"], 0, "{page}");

    // A's cursor means nothing to B.
    if let Some(cursor) = &a_cursor {
        let url = server.url(&format!("/Users?count=1&cursor={}", percent_encode(cursor)));
        let (status, answer) = call(Method::GET, &url, &b, None).await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "A's cursor as B");
        assert_eq!(answer["scimType"], "invalidCursor", "{answer}");
    }

    // B's own group cannot take in A's user, neither at creation nor by PATCH.
    let (status, answer) = call(
        Method::POST,
        &server.url("/Groups"),
        &b,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Globex",
            "members": [{"value": user_id}],
        })),
    )
    .await;
    assert!(
        status.is_client_error(),
        "a member of another tenant is refused: {status} {answer}"
    );
    let (status, own_group) = call(
        Method::POST,
        &server.url("/Groups"),
        &b,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Globex",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{own_group}");
    let own_group_url = server.url(&format!("/Groups/{}", own_group["id"].as_str().unwrap()));
    let (status, answer) = call(
        Method::PATCH,
        &own_group_url,
        &b,
        Some(patch(
            json!([{"op": "add", "path": "members", "value": [{"value": user_id}]}]),
        )),
    )
    .await;
    assert!(
        status.is_client_error(),
        "adding another tenant's user is refused: {status} {answer}"
    );
    let (status, own) = call(Method::GET, &own_group_url, &b, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        own.get("members")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty),
        "nothing of A joined B's group: {own}"
    );

    // Bulk: by id, and through a bulkId that would resolve to A's data.
    let (status, bulk) = call(
        Method::POST,
        &server.url("/Bulk"),
        &b,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "PUT", "path": format!("/Users/{user_id}"), "data": replace_user},
                {"method": "PATCH", "path": format!("/Users/{user_id}"), "data": take_over},
                {"method": "PATCH", "path": format!("/Groups/{group_id}"),
                 "data": patch(json!([{"op": "remove", "path": "members"}]))},
                {"method": "DELETE", "path": format!("/Users/{user_id}")},
                {"method": "DELETE", "path": format!("/Groups/{group_id}")},
                {"method": "POST", "path": "/Groups", "bulkId": "g",
                 "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                          "displayName": "Bulk Globex", "members": [{"value": user_id}]}},
            ],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    let results = bulk["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 6, "{bulk}");
    for (i, result) in results.iter().take(5).enumerate() {
        assert_eq!(result["status"], "404", "bulk operation {i}: {result}");
    }
    let last = results[5]["status"].as_str().unwrap();
    assert!(
        last.starts_with('4'),
        "a bulk group with A's user is refused: {}",
        results[5]
    );

    // Discovery and the admin API.
    for path in ["/Schemas", "/ResourceTypes", "/ServiceProviderConfig"] {
        let (status, answer) = call(Method::GET, &server.url(path), &b, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        let text = answer.to_string();
        assert!(
            !text.contains(&user_id) && !text.contains("acme"),
            "{path} tells nothing of A: {text}"
        );
    }
    let origin = server.base.trim_end_matches("/scim/v2");
    for (method, path) in [
        (Method::GET, "/admin/v1/tenants"),
        (Method::GET, "/admin/v1/tenants/default"),
        (Method::GET, "/admin/v1/tenants/default/tokens"),
        (Method::POST, "/admin/v1/tenants/default/tokens"),
        (Method::DELETE, "/admin/v1/tenants/default"),
    ] {
        let url = format!("{origin}{path}");
        let (status, answer) = call(method.clone(), &url, &b, None).await;
        assert_error(
            status,
            &answer,
            StatusCode::UNAUTHORIZED,
            &format!("{method} {path} with B's SCIM token"),
        );
    }
    let (status, tenants) = call(
        Method::GET,
        &format!("{origin}/admin/v1/tenants"),
        ADMIN_TOKEN,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the admin routes exist: {tenants}");
    let (status, answer) = call(Method::GET, &server.url("/Users"), ADMIN_TOKEN, None).await;
    assert_error(
        status,
        &answer,
        StatusCode::UNAUTHORIZED,
        "the admin token is not a SCIM credential",
    );

    // After all that, A's directory is as it was.
    assert_eq!(snapshot(&server, &a).await, before);
}
