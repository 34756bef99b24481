//! In-process tests of `POST /.search` across resource types.

use super::*;

async fn create(app: &Router, path: &str, body: Value) -> String {
    let body = body.to_string();
    let reply = send(app, with_body(request("POST", path, Some(&body)), &body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn search(app: &Router, body: Value) -> Reply {
    let body = body.to_string();
    send(
        app,
        with_body(request("POST", "/scim/v2/.search", Some(&body)), &body),
    )
    .await
}

async fn seeded() -> Router {
    let app = app().await;
    for name in ["ann", "bob", "cid"] {
        create(
            &app,
            "/scim/v2/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "externalId": format!("x-{name}")}),
        )
        .await;
    }
    for name in ["Admins", "Staff"] {
        create(
            &app,
            "/scim/v2/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "externalId": format!("x-{name}")}),
        )
        .await;
    }
    app
}

fn resource_types(reply: &Reply) -> Vec<String> {
    reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["meta"]["resourceType"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn root_search_spans_users_then_groups() {
    let app = seeded().await;
    let reply = search(
        &app,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["totalResults"], 5);
    assert_eq!(
        resource_types(&reply),
        ["User", "User", "User", "Group", "Group"]
    );

    // A page that straddles the two types.
    let reply = search(&app, json!({"startIndex": 3, "count": 2})).await;
    assert_eq!(reply.body["totalResults"], 5);
    assert_eq!(reply.body["startIndex"], 3);
    assert_eq!(reply.body["itemsPerPage"], 2);
    assert_eq!(resource_types(&reply), ["User", "Group"]);
    assert_eq!(reply.body["Resources"][0]["userName"], "cid");
    assert_eq!(reply.body["Resources"][1]["displayName"], "Admins");

    // A page past the users only.
    let reply = search(&app, json!({"startIndex": 5, "count": 10})).await;
    assert_eq!(resource_types(&reply), ["Group"]);
    let reply = search(&app, json!({"count": 0})).await;
    assert_eq!(reply.body["totalResults"], 5);
    assert_eq!(reply.body["Resources"], json!([]));
}

#[tokio::test]
async fn root_search_filters_each_type_by_what_it_has() {
    let app = seeded().await;
    // Both types have externalId.
    let reply = search(&app, json!({"filter": "externalId sw \"x-\""})).await;
    assert_eq!(reply.body["totalResults"], 5);
    // Only Users have userName: Groups match nothing rather than failing.
    let reply = search(
        &app,
        json!({"filter": "userName eq \"bob\"", "attributes": ["userName"]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["totalResults"], 1);
    assert_eq!(reply.body["Resources"][0]["userName"], "bob");
    assert!(reply.body["Resources"][0].get("externalId").is_none());
    let reply = search(&app, json!({"filter": "displayName eq \"Staff\""})).await;
    assert_eq!(resource_types(&reply), ["Group"]);
}

#[tokio::test]
async fn root_search_refuses_what_it_cannot_do() {
    let app = seeded().await;
    for (body, scim_type) in [
        (json!({"filter": "nosuch eq 1"}), "invalidFilter"),
        (json!({"filter": "userName eq"}), "invalidFilter"),
        (json!({"sortBy": "userName"}), "invalidValue"),
        (json!({"cursor": ""}), "invalidValue"),
        (json!({"count": "ten"}), "invalidSyntax"),
    ] {
        let reply = search(&app, body.clone()).await;
        assert_scim_error(&reply, StatusCode::BAD_REQUEST, Some(scim_type));
    }
}
