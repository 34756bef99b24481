//! In-process tests of the router over the in-memory store.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use scim_core::ports::{SystemClock, UuidV7Ids};
use scim_core::testing::MemoryStore;
use scim_core::{AuthService, ResourceKind, ResourceService};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;

const TOKEN: &str = "test-token-0123456789";

async fn app() -> Router {
    app_with(HttpConfig {
        max_body_bytes: 4096,
        ..HttpConfig::default()
    })
    .await
}

async fn app_with(config: HttpConfig) -> Router {
    let store = Arc::new(MemoryStore::default());
    let auth = AuthService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    auth.bootstrap("default", Some(TOKEN)).await.unwrap();
    let users = ResourceService::new(
        ResourceKind::User,
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    let groups = ResourceService::new(
        ResourceKind::Group,
        store,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    router(AppState {
        users: Arc::new(users),
        groups: Arc::new(groups),
        custom: Vec::new(),
        auth: Arc::new(auth),
        audit: None,
        config: Arc::new(config),
    })
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn request(method: &str, uri: &str, body: Option<&str>) -> axum::http::request::Builder {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "scim.test")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/scim+json");
    }
    builder
}

fn with_body(builder: axum::http::request::Builder, body: &str) -> Request<Body> {
    builder.body(Body::from(body.to_owned())).unwrap()
}

fn empty(builder: axum::http::request::Builder) -> Request<Body> {
    builder.body(Body::empty()).unwrap()
}

/// Asserts a SCIM Error body with the given status and scimType.
fn assert_scim_error(reply: &Reply, status: StatusCode, scim_type: Option<&str>) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        SCIM_CONTENT_TYPE,
        "{}",
        reply.body
    );
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(reply.body["status"], json!(status.as_u16().to_string()));
    match scim_type {
        Some(t) => assert_eq!(reply.body["scimType"], t),
        None => assert!(reply.body.get("scimType").is_none(), "{}", reply.body),
    }
    assert!(reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

const BJENSEN: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","externalId":"bj-1","name":{"givenName":"Barbara"}}"#;

#[tokio::test]
async fn create_read_delete_lifecycle() {
    let app = app().await;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let location = format!("http://scim.test/scim/v2/Users/{id}");
    assert_eq!(created.headers[header::LOCATION], location.as_str());
    assert_eq!(created.headers[header::ETAG], "W/\"1\"");
    assert_eq!(created.headers[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
    assert_eq!(created.body["meta"]["location"], location.as_str());
    assert_eq!(created.body["meta"]["resourceType"], "User");
    assert_eq!(created.body["meta"]["version"], "W/\"1\"");
    assert_eq!(created.body["userName"], "bjensen");
    assert_eq!(created.body["externalId"], "bj-1");

    let read = send(
        &app,
        empty(request("GET", &format!("/scim/v2/Users/{id}"), None)),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, created.body);
    assert_eq!(read.headers[header::ETAG], "W/\"1\"");

    let deleted = send(
        &app,
        empty(request("DELETE", &format!("/scim/v2/Users/{id}"), None)),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);

    let gone = send(
        &app,
        empty(request("GET", &format!("/scim/v2/Users/{id}"), None)),
    )
    .await;
    assert_scim_error(&gone, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn missing_or_wrong_tokens_are_401_with_a_scim_body() {
    let app = app().await;
    let no_token = Request::builder()
        .uri("/scim/v2/Users/x")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, no_token).await;
    assert_scim_error(&reply, StatusCode::UNAUTHORIZED, None);
    assert!(reply.headers.contains_key(header::WWW_AUTHENTICATE));

    for auth in ["Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer", TOKEN] {
        let req = Request::builder()
            .method("POST")
            .uri("/scim/v2/Users")
            .header(header::AUTHORIZATION, auth)
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(Body::from(BJENSEN))
            .unwrap();
        assert_scim_error(&send(&app, req).await, StatusCode::UNAUTHORIZED, None);
    }
}

#[tokio::test]
async fn bad_bodies_are_4xx_scim_errors() {
    let app = app().await;
    let cases: [(&str, Option<&str>, StatusCode, Option<&str>); 8] = [
        (
            "{not json",
            Some("application/scim+json"),
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
        ),
        (
            "",
            Some("application/scim+json"),
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
        ),
        (
            "[1,2]",
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
        ),
        (
            r#"{"name":{"givenName":"x"}}"#,
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
        ),
        (
            r#"{"userName":false}"#,
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
        ),
        (
            BJENSEN,
            Some("text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            BJENSEN,
            Some("application/x-www-form-urlencoded"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            &"x".repeat(5000),
            Some("application/json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
    ];
    for (body, content_type, status, scim_type) in cases {
        let mut builder = request("POST", "/scim/v2/Users", None);
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        let reply = send(&app, with_body(builder, body)).await;
        assert_scim_error(&reply, status, scim_type);
    }
}

#[tokio::test]
async fn a_missing_content_type_is_tolerated() {
    let app = app().await;
    let reply = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", None), BJENSEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[tokio::test]
async fn duplicate_user_names_conflict_case_insensitively() {
    let app = app().await;
    let first = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users", Some("")),
            r#"{"userName":"BJensen"}"#,
        ),
    )
    .await;
    assert_scim_error(&again, StatusCode::CONFLICT, Some("uniqueness"));
}

#[tokio::test]
async fn if_match_guards_delete() {
    let app = app().await;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let uri = format!("/scim/v2/Users/{}", created.body["id"].as_str().unwrap());
    for stale in ["W/\"2\"", "\"garbage\"", "nonsense"] {
        let reply = send(
            &app,
            empty(request("DELETE", &uri, None).header(header::IF_MATCH, stale)),
        )
        .await;
        assert_scim_error(&reply, StatusCode::PRECONDITION_FAILED, None);
    }
    let reply = send(
        &app,
        empty(request("DELETE", &uri, None).header(header::IF_MATCH, "W/\"1\"")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_scim_errors() {
    let app = app().await;
    let reply = send(&app, empty(request("GET", "/scim/v2/Nope", None))).await;
    assert_scim_error(&reply, StatusCode::NOT_FOUND, None);
    let reply = send(&app, empty(request("GET", "/elsewhere", None))).await;
    assert_scim_error(&reply, StatusCode::NOT_FOUND, None);
    let reply = send(&app, empty(request("POST", "/scim/v2/Users/abc", None))).await;
    assert_scim_error(&reply, StatusCode::METHOD_NOT_ALLOWED, None);
    let reply = send(&app, empty(request("POST", "/scim/v2/Bulk", None))).await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
}

#[tokio::test]
async fn service_provider_config_needs_no_token() {
    let app = app().await;
    let req = Request::builder()
        .uri("/scim/v2/ServiceProviderConfig")
        .header(header::HOST, "scim.test")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(reply.body["etag"]["supported"], true);
    assert_eq!(reply.body["patch"]["supported"], true);
    assert_eq!(
        reply.body["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    assert_eq!(
        reply.body["meta"]["location"],
        "http://scim.test/scim/v2/ServiceProviderConfig"
    );
}

#[tokio::test]
async fn put_replaces_and_guards_versions_and_uniqueness() {
    let app = app().await;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let uri = format!("/scim/v2/Users/{}", created.body["id"].as_str().unwrap());
    let put = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","displayName":"Babs","active":"False"}"#;
    let replaced = send(
        &app,
        with_body(
            request("PUT", &uri, Some("")).header(header::IF_MATCH, "W/\"1\""),
            put,
        ),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.headers[header::ETAG], "W/\"2\"");
    assert_eq!(replaced.body["displayName"], "Babs");
    assert_eq!(replaced.body["active"], false);
    assert!(
        replaced.body.get("externalId").is_none(),
        "PUT clears what it omits"
    );
    assert_eq!(
        replaced.body["meta"]["created"],
        created.body["meta"]["created"]
    );

    let stale = send(
        &app,
        with_body(
            request("PUT", &uri, Some("")).header(header::IF_MATCH, "W/\"1\""),
            put,
        ),
    )
    .await;
    assert_scim_error(&stale, StatusCode::PRECONDITION_FAILED, None);

    send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users", Some("")),
            r#"{"userName":"taken"}"#,
        ),
    )
    .await;
    let clash = send(
        &app,
        with_body(request("PUT", &uri, Some("")), r#"{"userName":"Taken"}"#),
    )
    .await;
    assert_scim_error(&clash, StatusCode::CONFLICT, Some("uniqueness"));

    let missing = send(
        &app,
        with_body(
            request("PUT", "/scim/v2/Users/nope", Some("")),
            r#"{"userName":"x"}"#,
        ),
    )
    .await;
    assert_scim_error(&missing, StatusCode::NOT_FOUND, None);
    let invalid = send(
        &app,
        with_body(
            request("PUT", &uri, Some("")),
            r#"{"displayName":"no userName"}"#,
        ),
    )
    .await;
    assert_scim_error(&invalid, StatusCode::BAD_REQUEST, Some("invalidValue"));
}

#[tokio::test]
async fn attributes_and_excluded_attributes_shape_responses() {
    let app = app().await;
    let created = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users?attributes=userName", Some("")),
            BJENSEN,
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let keys: Vec<&String> = created.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    let uri = format!("/scim/v2/Users/{}", created.body["id"].as_str().unwrap());
    let read = send(
        &app,
        empty(request(
            "GET",
            &format!("{uri}?ExcludedAttributes=name,meta"),
            None,
        )),
    )
    .await;
    assert!(read.body.get("name").is_none());
    assert!(read.body.get("meta").is_none());
    assert_eq!(read.body["externalId"], "bj-1");
    let read = send(
        &app,
        empty(request(
            "GET",
            &format!("{uri}?attributes=name.givenName"),
            None,
        )),
    )
    .await;
    assert_eq!(read.body["name"], json!({"givenName": "Barbara"}));
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let app = app().await;
    for name in ["alice", "Bob", "carol"] {
        let body = format!(r#"{{"userName":"{name}","externalId":"ext-{name}"}}"#);
        let reply = send(
            &app,
            with_body(request("POST", "/scim/v2/Users", Some("")), &body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    // Okta and Entra ID look users up by userName before creating them.
    let reply = send(
        &app,
        empty(request(
            "GET",
            "/scim/v2/Users?filter=userName%20eq%20%22BOB%22",
            None,
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(reply.body["totalResults"], 1);
    assert_eq!(reply.body["itemsPerPage"], 1);
    assert_eq!(reply.body["startIndex"], 1);
    assert_eq!(reply.body["Resources"][0]["userName"], "Bob");
    assert!(
        reply.body["Resources"][0]["meta"]["location"]
            .as_str()
            .is_some()
    );

    let reply = send(
        &app,
        empty(request(
            "GET",
            "/scim/v2/Users?filter=externalId+eq+%22ext-carol%22&attributes=userName",
            None,
        )),
    )
    .await;
    assert_eq!(
        reply.body["Resources"][0],
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": reply.body["Resources"][0]["id"],
            "userName": "carol"
        })
    );

    let reply = send(
        &app,
        empty(request(
            "GET",
            "/scim/v2/Users?sortBy=userName&sortOrder=descending&StartIndex=2&Count=1",
            None,
        )),
    )
    .await;
    assert_eq!(reply.body["totalResults"], 3);
    assert_eq!(reply.body["startIndex"], 2);
    assert_eq!(reply.body["Resources"][0]["userName"], "Bob");

    let reply = send(&app, empty(request("GET", "/scim/v2/Users?count=0", None))).await;
    assert_eq!(reply.body["totalResults"], 3);
    assert_eq!(reply.body["itemsPerPage"], 0);

    let reply = send(
        &app,
        empty(request(
            "GET",
            "/scim/v2/Users?filter=userName%20eq%20%22nobody%22",
            None,
        )),
    )
    .await;
    assert_eq!(reply.body["totalResults"], 0);
    assert_eq!(reply.body["Resources"], json!([]));
}

#[tokio::test]
async fn bad_list_parameters_are_scim_errors() {
    let app = app().await;
    for (query, scim_type) in [
        ("filter=userName%20eq", "invalidFilter"),
        ("filter=nosuchattr%20eq%20%22x%22", "invalidFilter"),
        ("filter=active%20gt%20true", "invalidFilter"),
        ("startIndex=abc", "invalidValue"),
        ("count=1.5", "invalidValue"),
        ("sortBy=nosuchattr", "invalidValue"),
        ("sortOrder=sideways", "invalidValue"),
    ] {
        let reply = send(
            &app,
            empty(request("GET", &format!("/scim/v2/Users?{query}"), None)),
        )
        .await;
        assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some(scim_type));
    }
}

#[tokio::test]
async fn resource_types_and_schemas_describe_what_is_served() {
    let app = app().await;
    let public = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::HOST, "scim.test")
            .body(Body::empty())
            .unwrap()
    };
    let types = send(&app, public("/scim/v2/ResourceTypes")).await;
    assert_eq!(types.status, StatusCode::OK);
    assert_eq!(types.body["totalResults"], 2);
    assert_eq!(types.body["Resources"][1]["endpoint"], "/Groups");
    let user = &types.body["Resources"][0];
    assert_eq!(user["id"], "User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(
        user["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"])
    );
    assert_eq!(
        user["meta"]["location"],
        "http://scim.test/scim/v2/ResourceTypes/User"
    );
    let one = send(&app, public("/scim/v2/ResourceTypes/User")).await;
    assert_eq!(
        one.body["schema"],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );

    let schemas = send(&app, public("/scim/v2/Schemas")).await;
    let ids: Vec<&str> = schemas.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
            "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
            "urn:ietf:params:scim:schemas:core:2.0:Schema"
        ]
    );
    let spc_schema = send(
        &app,
        public("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"),
    )
    .await;
    assert_eq!(spc_schema.status, StatusCode::OK);
    assert_eq!(spc_schema.body["attributes"][2]["name"], "bulk");
    assert_eq!(
        spc_schema.body["attributes"][2]["subAttributes"][1]["name"],
        "maxOperations"
    );
    let user_schema = send(
        &app,
        public("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
    )
    .await;
    assert_eq!(user_schema.status, StatusCode::OK);
    assert_eq!(user_schema.body["attributes"][0]["name"], "userName");
    assert_eq!(user_schema.body["attributes"][0]["uniqueness"], "server");
    assert_eq!(
        user_schema.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
    );

    assert_scim_error(
        &send(&app, public("/scim/v2/Schemas/urn:nope")).await,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_scim_error(
        &send(&app, public("/scim/v2/ResourceTypes/Nope")).await,
        StatusCode::NOT_FOUND,
        None,
    );
}

#[tokio::test]
async fn groups_keep_members_and_users_show_their_groups() {
    let app = app().await;
    let mut ids = Vec::new();
    for name in ["ann", "bob"] {
        let reply = send(
            &app,
            with_body(
                request("POST", "/scim/v2/Users", Some("")),
                &format!(r#"{{"userName":"{name}"}}"#),
            ),
        )
        .await;
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[{{"value":"{}"}}]}}"#,
        ids[0]
    );
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Groups", Some("")), &body),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let gid = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers[header::LOCATION],
        format!("http://scim.test/scim/v2/Groups/{gid}").as_str()
    );
    assert_eq!(
        created.body["members"],
        json!([{"value": ids[0], "$ref": format!("http://scim.test/scim/v2/Users/{}", ids[0]), "type": "User"}])
    );

    let ann = send(
        &app,
        empty(request("GET", &format!("/scim/v2/Users/{}", ids[0]), None)),
    )
    .await;
    assert_eq!(ann.body["groups"][0]["value"], gid.as_str());
    assert_eq!(ann.body["groups"][0]["display"], "Sales");

    // Entra ID reads groups without their members.
    let slim = send(
        &app,
        empty(request(
            "GET",
            &format!("/scim/v2/Groups/{gid}?excludedAttributes=members"),
            None,
        )),
    )
    .await;
    assert!(slim.body.get("members").is_none());
    assert_eq!(slim.body["displayName"], "Sales");

    let listed = send(&app, empty(request("GET", "/scim/v2/Groups", None))).await;
    assert_eq!(listed.body["totalResults"], 1);

    // PUT with members replaces them; an unknown member is invalid.
    let put = format!(
        r#"{{"displayName":"Sales","members":[{{"value":"{}"}}]}}"#,
        ids[1]
    );
    let replaced = send(
        &app,
        with_body(
            request("PUT", &format!("/scim/v2/Groups/{gid}"), Some("")),
            &put,
        ),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["members"][0]["value"], ids[1].as_str());
    let bad = r#"{"displayName":"Sales","members":[{"value":"no-such-user"}]}"#;
    let reply = send(
        &app,
        with_body(
            request("PUT", &format!("/scim/v2/Groups/{gid}"), Some("")),
            bad,
        ),
    )
    .await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidValue"));

    // Deleting a user ends its memberships.
    send(
        &app,
        empty(request(
            "DELETE",
            &format!("/scim/v2/Users/{}", ids[1]),
            None,
        )),
    )
    .await;
    let after = send(
        &app,
        empty(request("GET", &format!("/scim/v2/Groups/{gid}"), None)),
    )
    .await;
    assert!(after.body.get("members").is_none(), "{}", after.body);
}

#[tokio::test]
async fn search_posts_the_query_in_the_body() {
    let app = app().await;
    for name in ["smith.a", "smith.b", "jones"] {
        send(
            &app,
            with_body(
                request("POST", "/scim/v2/Users", Some("")),
                &format!(r#"{{"userName":"{name}"}}"#),
            ),
        )
        .await;
    }
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "attributes":["userName"],"filter":"userName sw \"smith\"","sortBy":"userName","sortOrder":"descending","startIndex":1,"count":10}"#;
    let reply = send(
        &app,
        with_body(request("POST", "/scim/v2/Users/.search", Some("")), body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["totalResults"], 2);
    assert_eq!(reply.body["Resources"][0]["userName"], "smith.b");
    assert!(reply.body["Resources"][0].get("meta").is_none());
    let bad = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users/.search", Some("")),
            r#"{"count":"ten"}"#,
        ),
    )
    .await;
    assert_scim_error(&bad, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    for (method, uri) in [("GET", "/scim/v2/Me")] {
        let reply = send(&app, with_body(request(method, uri, Some("")), "{}")).await;
        assert_scim_error(&reply, StatusCode::NOT_IMPLEMENTED, None);
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = app().await;
    let reply = send(&app, empty(request("GET", "/scim/v2/Users/nope", None))).await;
    let generated = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let reply = send(
        &app,
        empty(request("GET", "/scim/v2/Users/nope", None).header("x-request-id", "idp-trace-42")),
    )
    .await;
    assert_eq!(reply.headers["x-request-id"], "idp-trace-42");
}

#[tokio::test]
async fn patch_deactivates_users_and_changes_members_as_entra_id_sends_them() {
    let app = app().await;
    let user = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let uid = user.body["id"].as_str().unwrap().to_owned();
    let uri = format!("/scim/v2/Users/{uid}");
    let deactivate = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#;
    let patched = send(
        &app,
        with_body(request("PATCH", &uri, Some("")), deactivate),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["active"], false);
    assert_eq!(patched.headers[header::ETAG], "W/\"2\"");
    // The same PATCH again changes nothing: same version.
    let again = send(
        &app,
        with_body(request("PATCH", &uri, Some("")), deactivate),
    )
    .await;
    assert_eq!(again.headers[header::ETAG], "W/\"2\"");
    // Deactivated users stay readable.
    let read = send(&app, empty(request("GET", &uri, None))).await;
    assert_eq!(read.body["active"], false);

    let group = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Groups", Some("")),
            r#"{"displayName":"Sales"}"#,
        ),
    )
    .await;
    let guri = format!("/scim/v2/Groups/{}", group.body["id"].as_str().unwrap());
    let add = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Add","path":"members","value":[{{"value":"{uid}"}}]}}]}}"#
    );
    // With `Prefer: return=minimal`, 204 and the new ETag, no body.
    let added = send(
        &app,
        with_body(
            request("PATCH", &guri, Some("")).header("prefer", "return=minimal"),
            &add,
        ),
    )
    .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    assert_eq!(added.body, Value::Null);
    assert_eq!(added.headers[header::ETAG], "W/\"2\"");
    let read = send(&app, empty(request("GET", &guri, None))).await;
    assert_eq!(read.body["members"][0]["value"], uid.as_str());
    let remove = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Remove","path":"members","value":[{{"value":"{uid}"}}]}}]}}"#
    );
    let removed = send(
        &app,
        with_body(
            request("PATCH", &guri, Some("")).header("prefer", "return=representation"),
            &remove,
        ),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(removed.body.get("members").is_none(), "{}", removed.body);
    let renamed = send(
        &app,
        with_body(
            request("PATCH", &format!("{guri}?attributes=displayName"), Some("")),
            r#"{"Operations":[{"op":"replace","path":"displayName","value":"Sales EMEA"}]}"#,
        ),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["displayName"], "Sales EMEA");

    let unknown_member =
        r#"{"Operations":[{"op":"add","path":"members","value":[{"value":"nobody"}]}]}"#;
    let reply = send(
        &app,
        with_body(request("PATCH", &guri, Some("")), unknown_member),
    )
    .await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let no_target = r#"{"Operations":[{"op":"replace","path":"emails[value co \"nope\"].display","value":"x"}]}"#;
    let reply = send(&app, with_body(request("PATCH", &uri, Some("")), no_target)).await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("noTarget"));
    let read_only = r#"{"Operations":[{"op":"replace","path":"id","value":"other"}]}"#;
    let reply = send(&app, with_body(request("PATCH", &uri, Some("")), read_only)).await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("mutability"));
    let not_a_patch = r#"{"op":"replace"}"#;
    let reply = send(
        &app,
        with_body(request("PATCH", &uri, Some("")), not_a_patch),
    )
    .await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    let stale = send(
        &app,
        with_body(
            request("PATCH", &uri, Some("")).header(header::IF_MATCH, "W/\"1\""),
            deactivate,
        ),
    )
    .await;
    assert_scim_error(&stale, StatusCode::PRECONDITION_FAILED, None);
}

#[tokio::test]
async fn if_none_match_answers_304_while_the_version_is_current() {
    let app = app().await;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let uri = format!("/scim/v2/Users/{}", created.body["id"].as_str().unwrap());
    let cached = send(
        &app,
        empty(request("GET", &uri, None).header(header::IF_NONE_MATCH, "W/\"1\"")),
    )
    .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers[header::ETAG], "W/\"1\"");
    assert_eq!(cached.body, Value::Null);
    let stale = send(
        &app,
        empty(request("GET", &uri, None).header(header::IF_NONE_MATCH, "W/\"0\", \"7\"")),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body["id"], created.body["id"]);
}

#[tokio::test]
async fn a_burst_over_the_tenant_limit_gets_429_with_retry_after() {
    let app = app_with(HttpConfig {
        rate_limit: Some(RateLimit {
            per_second: std::num::NonZeroU32::MIN,
            burst: std::num::NonZeroU32::new(3).unwrap(),
        }),
        ..HttpConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..5 {
        let reply = send(&app, empty(request("GET", "/scim/v2/Users?count=0", None))).await;
        statuses.push(reply.status.as_u16());
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(reply);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let limited = limited.unwrap();
    assert_scim_error(&limited, StatusCode::TOO_MANY_REQUESTS, None);
    assert_eq!(limited.headers[header::RETRY_AFTER], "1");
    // Discovery is not a tenant's traffic and is never limited.
    let public = Request::builder()
        .uri("/scim/v2/ServiceProviderConfig")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, public).await.status, StatusCode::OK);
}

#[tokio::test]
async fn patch_answers_204_when_the_client_prefers_a_minimal_return() {
    let app = app().await;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let uri = format!("/scim/v2/Users/{}", created.body["id"].as_str().unwrap());
    let patch = r#"{"Operations":[{"op":"replace","path":"title","value":"Guide"}]}"#;
    let reply = send(
        &app,
        with_body(
            request("PATCH", &uri, Some("")).header("prefer", "return=minimal"),
            patch,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.headers[header::ETAG], "W/\"2\"");
    assert_eq!(reply.body, Value::Null);
    let read = send(&app, empty(request("GET", &uri, None))).await;
    assert_eq!(read.body["title"], "Guide");
}

/// Creates users with these names, in order, through the API.
async fn create_users(app: &Router, names: &[&str]) {
    for name in names {
        let body = format!(r#"{{"userName":"{name}"}}"#);
        let reply = send(
            app,
            with_body(request("POST", "/scim/v2/Users", Some("")), &body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

fn user_names(reply: &Reply) -> Vec<String> {
    reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `nextCursor` from `first` (a GET path with `cursor` in it,
/// `{}` where the cursor goes) to the last page: the pages' replies.
async fn walk_by_cursor(app: &Router, path: &str) -> Vec<Reply> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let uri = path.replace("{}", &cursor);
        let reply = send(app, empty(request("GET", &uri, None))).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
        let next = reply.body.get("nextCursor").map(|c| c.as_str().unwrap());
        let next = next.map(str::to_owned);
        pages.push(reply);
        match next {
            Some(next) => cursor = next,
            None => return pages,
        }
        assert!(pages.len() < 50, "nextCursor must end");
    }
}

#[tokio::test]
async fn lists_page_by_cursor_in_get_and_search() {
    let app = app().await;
    let names = [
        "golf", "alpha", "Echo", "charlie", "bravo", "delta", "foxtrot",
    ];
    create_users(&app, &names).await;

    // `?cursor` without a value asks for the first page; parameter names
    // are matched case-insensitively, as for index paging.
    let pages = walk_by_cursor(&app, "/scim/v2/Users?Cursor={}&COUNT=3").await;
    assert_eq!(pages.len(), 3);
    let mut walked = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.body["totalResults"], 7, "{}", page.body);
        assert!(page.body.get("startIndex").is_none(), "{}", page.body);
        let count = page.body["Resources"].as_array().unwrap().len();
        assert_eq!(page.body["itemsPerPage"], count);
        assert_eq!(count, if i < 2 { 3 } else { 1 });
        if let Some(next) = page.body.get("nextCursor") {
            // RFC 9865 §2: only unreserved URI characters.
            let next = next.as_str().unwrap();
            assert!(
                next.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c)),
                "{next}"
            );
        }
        walked.extend(user_names(page));
    }
    // Without sortBy, creation order.
    assert_eq!(walked, names);

    // The same by POST .search, sorted.
    let mut cursor = json!("");
    let mut walked = Vec::new();
    loop {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "sortBy": "userName",
            "sortOrder": "descending",
            "cursor": cursor,
            "count": 2
        });
        let reply = send(
            &app,
            with_body(
                request("POST", "/scim/v2/Users/.search", Some("")),
                &body.to_string(),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(reply.body.get("startIndex").is_none());
        walked.extend(user_names(&reply));
        match reply.body.get("nextCursor") {
            Some(next) => cursor = next.clone(),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [
            "golf", "foxtrot", "Echo", "delta", "charlie", "bravo", "alpha"
        ]
    );

    // Without cursor, paging stays by index, as before.
    let reply = send(&app, empty(request("GET", "/scim/v2/Users?count=2", None))).await;
    assert_eq!(reply.body["startIndex"], 1);
    assert!(reply.body.get("nextCursor").is_none());

    // count=0 by cursor: only the total, nothing to continue from.
    let reply = send(
        &app,
        empty(request("GET", "/scim/v2/Users?cursor=&count=0", None)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["totalResults"], 7);
    assert_eq!(reply.body["itemsPerPage"], 0);
    assert_eq!(reply.body["Resources"], json!([]));
    assert!(reply.body.get("nextCursor").is_none());
    assert!(reply.body.get("startIndex").is_none());
}

#[tokio::test]
async fn a_cursor_walk_survives_creates_and_deletes_between_pages() {
    let app = app().await;
    create_users(&app, &["u1", "u2", "u3", "u4", "u5", "u6"]).await;
    let first = send(
        &app,
        empty(request("GET", "/scim/v2/Users?cursor&count=2", None)),
    )
    .await;
    assert_eq!(user_names(&first), ["u1", "u2"]);
    let ids: Vec<String> = {
        let all = send(&app, empty(request("GET", "/scim/v2/Users", None))).await;
        all.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // A seen user (the page's last) and an unseen one leave; one arrives.
    for id in [&ids[1], &ids[2]] {
        let reply = send(
            &app,
            empty(request("DELETE", &format!("/scim/v2/Users/{id}"), None)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
    }
    create_users(&app, &["u7"]).await;
    let next = first.body["nextCursor"].as_str().unwrap();
    let pages = walk_by_cursor(&app, "/scim/v2/Users?cursor={}&count=2")
        .await
        .len();
    assert_eq!(pages, 3);
    let mut walked = Vec::new();
    let mut cursor = next.to_owned();
    loop {
        let reply = send(
            &app,
            empty(request(
                "GET",
                &format!("/scim/v2/Users?cursor={cursor}&count=2"),
                None,
            )),
        )
        .await;
        assert_eq!(reply.body["totalResults"], 5);
        walked.extend(user_names(&reply));
        match reply.body.get("nextCursor") {
            Some(next) => cursor = next.as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(walked, ["u4", "u5", "u6", "u7"]);
}

#[tokio::test]
async fn foreign_tampered_and_garbage_cursors_are_400_invalid_cursor() {
    let app = app().await;
    create_users(&app, &["ann", "ben", "cy", "dee"]).await;
    let first = send(
        &app,
        empty(request(
            "GET",
            "/scim/v2/Users?filter=userName%20pr&sortBy=userName&cursor&count=1",
            None,
        )),
    )
    .await;
    let token = first.body["nextCursor"].as_str().unwrap().to_owned();
    // The same query continues.
    let second = send(
        &app,
        empty(request(
            "GET",
            &format!("/scim/v2/Users?filter=userName%20PR&sortBy=userName&cursor={token}&count=2"),
            None,
        )),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(user_names(&second), ["ben", "cy"]);

    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let long = "A".repeat(20_000);
    let cases = [
        // Another filter, another sort, another order, no sort.
        format!("filter=userName%20sw%20%22a%22&sortBy=userName&cursor={token}"),
        format!("filter=userName%20pr&sortBy=id&cursor={token}"),
        format!("filter=userName%20pr&sortBy=userName&sortOrder=descending&cursor={token}"),
        format!("filter=userName%20pr&cursor={token}"),
        // Altered, truncated, extended and made-up cursors.
        format!("filter=userName%20pr&sortBy=userName&cursor={tampered}"),
        format!(
            "filter=userName%20pr&sortBy=userName&cursor={}",
            &token[..token.len() - 3]
        ),
        format!("filter=userName%20pr&sortBy=userName&cursor={token}AAAA"),
        "cursor=not-a-cursor".to_owned(),
        "cursor=%F0%9F%92%A5".to_owned(),
        "cursor=%00".to_owned(),
        format!("cursor={long}"),
    ];
    for query in cases {
        let reply = send(
            &app,
            empty(request("GET", &format!("/scim/v2/Users?{query}"), None)),
        )
        .await;
        assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidCursor"));
    }
    let search = json!({"filter": "userName pr", "cursor": "garbage"});
    let reply = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users/.search", Some("")),
            &search.to_string(),
        ),
    )
    .await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidCursor"));
    // A Users cursor is not a Groups cursor.
    let reply = send(
        &app,
        empty(request(
            "GET",
            &format!("/scim/v2/Groups?filter=userName%20pr&sortBy=userName&cursor={token}"),
            None,
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
}

#[tokio::test]
async fn cursor_and_start_index_together_are_400_invalid_value() {
    let app = app().await;
    for query in [
        "cursor&startIndex=1",
        "startIndex=2&cursor=abc",
        "CURSOR=&STARTINDEX=1",
    ] {
        let reply = send(
            &app,
            empty(request("GET", &format!("/scim/v2/Users?{query}"), None)),
        )
        .await;
        assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidValue"));
    }
    let reply = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users/.search", Some("")),
            r#"{"cursor":"","startIndex":1}"#,
        ),
    )
    .await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidValue"));
}

#[tokio::test]
async fn a_cursor_of_one_tenant_is_invalid_for_another() {
    const OTHER: &str = "other-tenant-token-9876543210";
    let store = Arc::new(MemoryStore::default());
    let auth = AuthService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    auth.bootstrap("default", Some(TOKEN)).await.unwrap();
    auth.bootstrap("other", Some(OTHER)).await.unwrap();
    let service = |kind| {
        Arc::new(ResourceService::new(
            kind,
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        ))
    };
    let app = router(AppState {
        users: service(ResourceKind::User),
        groups: service(ResourceKind::Group),
        custom: Vec::new(),
        auth: Arc::new(auth),
        audit: None,
        config: Arc::new(HttpConfig::default()),
    });
    create_users(&app, &["a1", "a2", "a3"]).await;
    let first = send(
        &app,
        empty(request("GET", "/scim/v2/Users?cursor&count=1", None)),
    )
    .await;
    let token = first.body["nextCursor"].as_str().unwrap();
    let as_other = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::HOST, "scim.test")
            .header(header::AUTHORIZATION, format!("Bearer {OTHER}"))
            .body(Body::empty())
            .unwrap()
    };
    let foreign = send(&app, as_other(&format!("/scim/v2/Users?cursor={token}"))).await;
    assert_scim_error(&foreign, StatusCode::BAD_REQUEST, Some("invalidCursor"));
    let own = send(&app, as_other("/scim/v2/Users?cursor")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["totalResults"], 0);
}

#[tokio::test]
async fn service_provider_config_advertises_both_paging_methods() {
    let app = app_with(HttpConfig {
        max_results: 250,
        ..HttpConfig::default()
    })
    .await;
    let req = Request::builder()
        .uri("/scim/v2/ServiceProviderConfig")
        .header(header::HOST, "scim.test")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, req).await;
    assert_eq!(
        reply.body["pagination"],
        json!({
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": 250,
            "maxPageSize": 250
        })
    );
}

mod audit;
mod bulk;
mod idp_profile;
mod oauth;
mod root_search;

#[tokio::test]
async fn preconditions_read_tag_lists_and_if_none_match() {
    let app = app().await;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some("")), BJENSEN),
    )
    .await;
    let uri = format!("/scim/v2/Users/{}", created.body["id"].as_str().unwrap());
    let put = |header: &'static str, value: &'static str| {
        with_body(
            request("PUT", &uri, Some("")).header(header, value),
            BJENSEN,
        )
    };
    // A list naming the current version matches (RFC 9110 §13.1.1).
    let reply = send(&app, put("if-match", r#"W/"7", W/"1""#)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = send(&app, put("if-match", r#"W/"7", W/"8""#)).await;
    assert_scim_error(&reply, StatusCode::PRECONDITION_FAILED, None);
    // If-None-Match on a write fails when it names the current version.
    let reply = send(&app, put("if-none-match", "*")).await;
    assert_scim_error(&reply, StatusCode::PRECONDITION_FAILED, None);
    let reply = send(&app, put("if-none-match", r#"W/"1""#)).await;
    assert_scim_error(&reply, StatusCode::PRECONDITION_FAILED, None);
    let reply = send(&app, put("if-none-match", r#"W/"9""#)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // An unknown id is 404 before any precondition.
    let reply = send(
        &app,
        empty(request("DELETE", "/scim/v2/Users/nobody", None).header("if-match", "garbage")),
    )
    .await;
    assert_scim_error(&reply, StatusCode::NOT_FOUND, None);
    // An id that cannot exist (not UTF-8) is 404 with a SCIM Error too.
    let reply = send(&app, empty(request("GET", "/scim/v2/Users/%FF%FE", None))).await;
    assert_scim_error(&reply, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn searches_need_an_object_and_discovery_refuses_filters() {
    let app = app().await;
    let reply = send(
        &app,
        with_body(request("POST", "/scim/v2/Users/.search", Some("")), "[]"),
    )
    .await;
    assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    for path in [
        "/scim/v2/ServiceProviderConfig?filter=patch.supported%20eq%20true",
        "/scim/v2/Schemas?filter=id%20pr",
        "/scim/v2/ResourceTypes?filter=name%20eq%20%22User%22",
    ] {
        let reply = send(&app, empty(request("GET", path, None))).await;
        assert_scim_error(&reply, StatusCode::FORBIDDEN, None);
    }
}
