//! The walking skeleton over real HTTP and a real SQLite file.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, LOCATION};
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

const SCIM_JSON: &str = "application/scim+json";

async fn json_of(response: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, body)
}

fn assert_scim_error(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    expected: StatusCode,
    scim_type: Option<&str>,
) {
    assert_eq!(status, expected, "{body}");
    assert!(
        headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(SCIM_JSON),
        "{headers:?}"
    );
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], json!(expected.as_u16().to_string()));
    assert_eq!(
        body.get("scimType").and_then(Value::as_str),
        scim_type,
        "{body}"
    );
}

#[tokio::test]
async fn user_lifecycle_over_http() {
    let server = TestServer::start().await;
    let http = server.client();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bjensen@example.com",
        "externalId": "00u1",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "active": true
    });
    let (status, headers, created) = json_of(
        http.post(server.url("/Users"))
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(user.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let location = headers[LOCATION].to_str().unwrap();
    assert_eq!(location, server.url(&format!("/Users/{id}")));
    assert_eq!(created["meta"]["location"], location);
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(headers[ETAG], created["meta"]["version"].as_str().unwrap());
    for key in ["userName", "externalId", "name", "emails", "active"] {
        assert_eq!(created[key], user[key], "{key}");
    }

    let (status, _, read) = json_of(
        http.get(location)
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let response = http
        .delete(location)
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let (status, headers, body) = json_of(
        http.get(location)
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_scim_error(status, &headers, &body, StatusCode::NOT_FOUND, None);

    // Deleted users free their userName: the IdP can provision them again.
    let (status, _, again) = json_of(
        http.post(server.url("/Users"))
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(user.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_ne!(again["id"], created["id"]);
    server.stop().await;
}

#[tokio::test]
async fn missing_and_wrong_tokens_are_401() {
    let server = TestServer::start().await;
    let http = server.client();
    let (status, headers, body) =
        json_of(http.get(server.url("/Users/x")).send().await.unwrap()).await;
    assert_scim_error(status, &headers, &body, StatusCode::UNAUTHORIZED, None);
    let (status, headers, body) = json_of(
        http.get(server.url("/Users/x"))
            .bearer_auth("scim_not-a-real-token")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_scim_error(status, &headers, &body, StatusCode::UNAUTHORIZED, None);
    server.stop().await;
}

#[tokio::test]
async fn bad_input_is_a_4xx_scim_error() {
    let server = TestServer::start().await;
    let http = server.client();
    let cases = [
        (
            "{\"userName\": ",
            SCIM_JSON,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
        ),
        (
            "{\"displayName\": \"no userName\"}",
            SCIM_JSON,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
        ),
        (
            "{\"userName\": \"x\"}",
            "text/xml",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
    ];
    for (body, content_type, expected, scim_type) in cases {
        let (status, headers, reply) = json_of(
            http.post(server.url("/Users"))
                .bearer_auth(&server.token)
                .header(CONTENT_TYPE, content_type)
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_scim_error(status, &headers, &reply, expected, scim_type);
    }
    let (status, headers, body) = json_of(
        http.get(server.url("/Users/00000000-0000-0000-0000-000000000000"))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_scim_error(status, &headers, &body, StatusCode::NOT_FOUND, None);
    server.stop().await;
}

#[tokio::test]
async fn service_provider_config_answers() {
    let server = TestServer::start().await;
    let (status, _, body) = json_of(
        server
            .client()
            .get(server.url("/ServiceProviderConfig"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    server.stop().await;
}

#[tokio::test]
async fn data_and_token_survive_a_restart_and_no_new_token_is_issued() {
    let server = TestServer::start().await;
    let token = server.token.clone();
    let http = server.client();
    let (status, _, created) = json_of(
        http.post(server.url("/Users"))
            .bearer_auth(&token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(r#"{"userName":"persistent"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let dir = server.stop().await;

    let settings = scim_server::Settings::with_defaults(dir.path(), "127.0.0.1:0".parse().unwrap());
    let restarted = scim_server::Server::start(&settings).await.unwrap();
    assert!(
        matches!(
            restarted.bootstrap(),
            scim_core::BootstrapOutcome::Existing(_)
        ),
        "a second start must not issue another token"
    );
    let base = restarted.base_url().to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(restarted.serve(async {
        let _ = rx.await;
    }));
    let id = created["id"].as_str().unwrap();
    let (status, _, read) = json_of(
        http.get(format!("{base}/Users/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["userName"], "persistent");
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// What Okta and Entra ID do for every joiner: look the userName up, create
/// when absent, then update with PUT.
#[tokio::test]
async fn identity_provider_lookup_create_and_replace_on_sqlite() {
    let server = TestServer::start().await;
    let http = server.client();
    let lookup = |filter: &str| {
        http.get(server.url(&format!("/Users?filter={}", percent_encode(filter))))
            .bearer_auth(&server.token)
            .send()
    };
    let (status, _, found) = json_of(
        lookup(r#"userName eq "ann.lee@example.com""#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 0);

    let (status, _, created) = json_of(
        http.post(server.url("/Users"))
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Ann.Lee@example.com","externalId":"a1b2","active":true}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let (_, _, found) = json_of(
        lookup(r#"userName eq "ann.lee@example.com""#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], created["id"]);
    let (_, _, found) = json_of(lookup(r#"externalId eq "a1b2""#).await.unwrap()).await;
    assert_eq!(found["Resources"][0]["id"], created["id"]);

    let id = created["id"].as_str().unwrap();
    let (status, headers, replaced) = json_of(
        http.put(server.url(&format!("/Users/{id}")))
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .header("If-Match", "W/\"1\"")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Ann.Lee@example.com","externalId":"a1b2","active":false,"title":"Leaver"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(headers[ETAG], "W/\"2\"");
    assert_eq!(replaced["active"], false);

    // Deactivated users stay visible and readable.
    let (_, _, found) = json_of(
        lookup(r#"userName eq "ANN.LEE@EXAMPLE.COM""#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found["Resources"][0]["title"], "Leaver");
    server.stop().await;
}

/// A group pushed with members, read back with and without them, and a
/// leaver's membership ending with the user.
#[tokio::test]
async fn group_membership_on_sqlite() {
    let server = TestServer::start().await;
    let http = server.client();
    let post = |path: &str, body: String| {
        http.post(server.url(path))
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(body)
            .send()
    };
    let mut users = Vec::new();
    for name in ["joiner", "leaver"] {
        let (status, _, user) = json_of(
            post("/Users", format!(r#"{{"userName":"{name}"}}"#))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        users.push(user["id"].as_str().unwrap().to_owned());
    }
    let (status, _, group) = json_of(
        post(
            "/Groups",
            format!(
                r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[{{"value":"{}"}},{{"value":"{}"}}]}}"#,
                users[0], users[1]
            ),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(group["members"].as_array().unwrap().len(), 2);
    let gid = group["id"].as_str().unwrap();

    // Entra ID checks one membership without reading the member list.
    let check = format!(r#"id eq "{gid}" and members[value eq "{}"]"#, users[0]);
    let (status, _, found) = json_of(
        http.get(server.url(&format!(
            "/Groups?excludedAttributes=members&filter={}",
            percent_encode(&check)
        )))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert!(found["Resources"][0].get("members").is_none());

    let (_, _, joiner) = json_of(
        http.get(server.url(&format!("/Users/{}", users[0])))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(joiner["groups"][0]["display"], "Engineering");

    let response = http
        .delete(server.url(&format!("/Users/{}", users[1])))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, _, group) = json_of(
        http.get(server.url(&format!("/Groups/{gid}")))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let members: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [users[0].as_str()]);
    server.stop().await;
}

/// The PATCH requests Microsoft Entra ID sends for a mover and a leaver,
/// and for group membership, against the real server on SQLite.
#[tokio::test]
async fn entra_style_patches_on_sqlite() {
    let server = TestServer::start().await;
    let http = server.client();
    let send = |method: reqwest::Method, path: String, body: String| {
        http.request(method, server.url(&path))
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(body)
            .send()
    };
    let (_, _, manager) = json_of(
        send(
            reqwest::Method::POST,
            "/Users".into(),
            r#"{"userName":"boss@contoso.com"}"#.into(),
        )
        .await
        .unwrap(),
    )
    .await;
    let (status, _, user) = json_of(
        send(
            reqwest::Method::POST,
            "/Users".into(),
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"mover@contoso.com","active":true,"displayName":"Mo Ver","emails":[{"primary":true,"type":"work","value":"mover@contoso.com"}],"name":{"givenName":"Mo","familyName":"Ver"}}"#.into(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let uid = user["id"].as_str().unwrap().to_owned();
    let mover = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
            {{"op":"Replace","path":"displayName","value":"Mo Ved"}},
            {{"op":"Replace","path":"emails[type eq \"work\"].value","value":"moved@contoso.com"}},
            {{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Finance"}},
            {{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{}"}}
        ]}}"#,
        manager["id"].as_str().unwrap()
    );
    let (status, headers, patched) = json_of(
        send(reqwest::Method::PATCH, format!("/Users/{uid}"), mover)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(headers[ETAG], "W/\"2\"");
    assert_eq!(patched["displayName"], "Mo Ved");
    assert_eq!(patched["emails"][0]["value"], "moved@contoso.com");
    let enterprise = &patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(enterprise["department"], "Finance");
    assert_eq!(enterprise["manager"]["value"], manager["id"]);

    let (status, _, group) = json_of(
        send(
            reqwest::Method::POST,
            "/Groups".into(),
            r#"{"displayName":"Finance"}"#.into(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let gid = group["id"].as_str().unwrap().to_owned();
    let add = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Add","path":"members","value":[{{"value":"{uid}"}}]}}]}}"#
    );
    let (status, _, _) = json_of(
        send(reqwest::Method::PATCH, format!("/Groups/{gid}"), add)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let leaver = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#;
    let (status, _, left) = json_of(
        send(
            reqwest::Method::PATCH,
            format!("/Users/{uid}"),
            leaver.into(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left["active"], false);
    assert_eq!(
        left["groups"][0]["value"],
        gid.as_str(),
        "deactivation keeps memberships"
    );

    let remove = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"Remove","path":"members[value eq \"{uid}\"]"}}]}}"#
    );
    let (status, _, _) = json_of(
        send(reqwest::Method::PATCH, format!("/Groups/{gid}"), remove)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, group) = json_of(
        send(
            reqwest::Method::GET,
            format!("/Groups/{gid}"),
            String::new(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{group}");
    assert!(group.get("members").is_none(), "{group}");
    server.stop().await;
}
