//! The whole server on PostgreSQL and MySQL/MariaDB, when
//! `SCIM_TEST_POSTGRES_URL` / `SCIM_TEST_MYSQL_URL` name a database the
//! tests may own (CI sets them; without `CI` they skip and say so).

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

/// The same token on every run: the `default` tenant of a reused test
/// database keeps the token it was created with.
pub(crate) const TOKEN: &str = "backend-e2e-token-3f9a1c";

pub(crate) fn database_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} must be set when CI is set: .ci/run provides it"
            );
            eprintln!("skipping: {var} is not set");
            None
        }
    }
}

async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client()
        .request(method, server.url(path))
        .bearer_auth(&server.token);
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A joiner, a lookup by a value filter, a mover's PATCH, a group with
/// the user, and a leaver, through HTTP and the real database.
async fn lifecycle(url: &str) {
    let server = TestServer::start_on_database(url, TOKEN).await;
    // Unique per run: the database may hold earlier runs' users.
    let name = format!("e2e-{}@example.com", uuid_like());
    let (status, user) = call(
        &server,
        reqwest::Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
            "emails": [{"value": name, "type": "work", "primary": true}],
            "active": true
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();

    let filter = format!(
        r#"emails[type eq "work" and value eq "{}"]"#,
        name.to_uppercase()
    );
    let path = format!("/Users?filter={}", percent_encode(&filter));
    let (status, found) = call(&server, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    let (status, patched) = call(
        &server,
        reqwest::Method::PATCH,
        &format!("/Users/{id}"),
        Some(json!({"Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "title", "value": "Leaver"}
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], false);

    let (status, group) = call(
        &server,
        reqwest::Method::POST,
        "/Groups",
        Some(json!({"displayName": format!("group of {name}"), "members": [{"value": id}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let (_, read) = call(&server, reqwest::Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(read["groups"][0]["value"], group["id"]);

    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &format!("/Users/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, gone) = call(&server, reqwest::Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    server.stop().await;
}

/// A string unique enough for one test run.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}")
}

#[tokio::test]
async fn the_server_on_postgresql() {
    if let Some(url) = database_url("SCIM_TEST_POSTGRES_URL") {
        lifecycle(&url).await;
    }
}

#[tokio::test]
async fn the_server_on_mariadb() {
    if let Some(url) = database_url("SCIM_TEST_MYSQL_URL") {
        lifecycle(&url).await;
    }
}
