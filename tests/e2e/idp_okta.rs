//! Okta's provisioning traffic, replayed over HTTP against the real
//! server, from Okta's public documentation:
//!
//! - "SCIM 2.0 Protocol Reference",
//!   <https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/>
//!   (formerly `/docs/reference/scim/scim-20/`): user operations (create,
//!   retrieve, PUT update, PATCH deactivate) and group operations (Group
//!   Push: create, lookup, rename, membership, delete);
//! - "Build your SCIM API service", "Test your SCIM API",
//!   <https://developer.okta.com/docs/guides/scim-provisioning-integration-prepare/main/>,
//!   and the OIN test suite it links, "Okta SCIM 2.0 Spec Test"
//!   (<https://developer.okta.com/standards/SCIM/SCIMFiles/Okta-SCIM-20-SPEC-Test.json>);
//! - "Connect your SCIM API service to Okta",
//!   <https://developer.okta.com/docs/guides/scim-provisioning-integration-connect/main/>
//!   ("To App": reactivation of a reassigned user).
//!
//! Okta's documented requests carry `User-Agent: Okta SCIM Client 1.0.0`
//! and no `Content-Type` (none is shown), encode filters with `%20` for
//! spaces, and page with `startIndex` and `count=100`.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use scim_tests::TestServer;
use serde_json::{Value, json};

use crate::idp_support::{
    CORE_GROUP, CORE_USER, ERROR, Idp, LIST_RESPONSE, Reply, assert_error, assert_list,
    assert_resource,
};

const USER_AGENT: &str = "Okta SCIM Client 1.0.0";

fn okta(server: &TestServer) -> Idp<'_> {
    Idp::new(server).with_header("User-Agent", USER_AGENT)
}

/// Percent-encodes a filter as Okta does (`%20` for spaces).
fn encode(filter: &str) -> String {
    scim_tests::percent_encode(filter)
}

async fn send(idp: &Idp<'_>, method: Method, path: &str, body: &str) -> Reply {
    idp.send(method, path, None, Some(body)).await
}

/// "Create the User" request body of the reference.
// Source: scim-20, "SCIM User operations" > "Create Users" > "Create the
// User" (first request).
fn create_user_body(user_name: &str, external_id: &str) -> String {
    format!(
        r#"{{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "{user_name}",
    "name": {{
        "givenName": "Test",
        "familyName": "User"
    }},
    "emails": [{{
        "primary": true,
        "value": "{user_name}",
        "type": "work"
    }}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "{external_id}",
    "groups": [],
    "password": "1mz050nq",
    "active": true
}}"#
    )
}

/// The Runscope "Okta SCIM 2.0 Spec Test" that OIN submissions must pass,
/// step by step with its assertions, after the one user the guide asks to
/// create before running it ("Run Okta SPEC tests against your SCIM
/// server", note).
#[tokio::test]
async fn okta_oin_spec_test() {
    let server = TestServer::start().await;
    // The suite's requests carry these headers (Runscope test steps).
    let runscope = Idp::new(&server)
        .with_header("Accept", "application/scim+json")
        .with_header("Accept-Charset", "utf-8")
        .with_header("Content-Type", "application/scim+json; charset=utf-8");
    let seeded = send(
        &okta(&server),
        Method::POST,
        "/Users",
        &create_user_body("seeded.user@okta.local", "00ujl29u0le5T6Aj10h7"),
    )
    .await;
    assert_resource(&seeded, StatusCode::CREATED, CORE_USER);

    // "Required Test: Test Users endpoint".
    let reply = runscope.get("/Users?count=1&startIndex=1").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.summary());
    let first = reply.body["Resources"][0].clone();
    assert!(
        reply.body["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(LIST_RESPONSE))
    );
    for number in ["itemsPerPage", "startIndex", "totalResults"] {
        assert!(reply.body[number].is_u64(), "{number}: {}", reply.summary());
    }
    let id = first["id"].as_str().unwrap().to_owned();
    assert!(!id.is_empty());
    assert!(
        first["name"]["familyName"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        first["name"]["givenName"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(first["userName"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(first["active"].is_boolean());
    assert!(
        first["emails"][0]["value"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    // "Required Test: Get Users/{{id}}".
    let reply = runscope.get(&format!("/Users/{id}")).await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["id"], id.as_str());
    assert!(reply.body["name"]["familyName"].is_string());
    assert!(reply.body["emails"][0]["value"].is_string());

    // "Required Test: Test invalid User by username" and "Required Test:
    // Make sure random user doesn't exist" (both `randomEmail`).
    let filter = encode("userName eq \"Runscope300Hfluaklab151@example.com\"");
    let reply = runscope.get(&format!("/Users?filter={filter}")).await;
    assert!(assert_list(&reply, 0).is_empty());

    // "Required Test: Test invalid User by ID" (`UserIdThatDoesNotExist`):
    // 404 with a `detail` and the Error schema.
    let reply = runscope.get("/Users/010101001010101011001010101011").await;
    assert_error(&reply, StatusCode::NOT_FOUND, None);
    assert!(reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(
        reply.body["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ERROR))
    );

    // "Required Test: Create Okta user with realistic values", then
    // "Required Test: Verify that user was created".
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Runscope300Hfluaklab151@example.com",
        "name": {"givenName": "Runscope300", "familyName": "Hfluaklab151"},
        "emails": [{"primary": true, "value": "Runscope300Hfluaklab151@example.com", "type": "work"}],
        "displayName": "Runscope300 Hfluaklab151",
        "active": true
    })
    .to_string();
    let created = runscope
        .send(Method::POST, "/Users", None, Some(&body))
        .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["name"]["familyName"], "Hfluaklab151");
    assert_eq!(created.body["name"]["givenName"], "Runscope300");
    assert_eq!(
        created.body["userName"],
        "Runscope300Hfluaklab151@example.com"
    );
    let reply = runscope.get(&format!("/Users/{}", created.id())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["userName"],
        "Runscope300Hfluaklab151@example.com"
    );
    assert_eq!(reply.body["name"]["familyName"], "Hfluaklab151");
    assert_eq!(reply.body["name"]["givenName"], "Runscope300");

    // "Required Test: Expect failure when recreating user with same
    // values": 409.
    let again = runscope
        .send(Method::POST, "/Users", None, Some(&body))
        .await;
    assert_error(&again, StatusCode::CONFLICT, Some("uniqueness"));

    // "Required Test: Username Case Sensitivity Check"
    // (`randomUsernameCaps`): 200, and the same user.
    let filter = encode("userName eq \"RUNSCOPE300HFLUAKLAB151@EXAMPLE.COM\"");
    let reply = runscope.get(&format!("/Users?filter={filter}")).await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], created.id().as_str());

    // "Optional Test: Verify Groups endpoint".
    let reply = runscope.get("/Groups").await;
    assert_list(&reply, 0);
    server.stop().await;
}

/// A user's life as the reference shows it: the connector test, the
/// lookup before create, create with a password (never returned), read,
/// GET-then-PUT update, PATCH deactivation and reactivation, and the
/// duplicate create refused.
#[tokio::test]
async fn okta_user_lifecycle() {
    let server = TestServer::start().await;
    let okta = okta(&server);

    // "Test API Credentials" / "Test Connector Configuration": a first
    // page of users and of groups, with fixed parameters (Okta's SCIM 1.1
    // reference, "Creating users", prints these two requests as sent
    // after the configuration is saved; the 2.0 reference does not).
    let reply = okta.get("/Users?startIndex=1&count=2").await;
    assert_list(&reply, 0);
    let reply = okta.get("/Groups?startIndex=1&count=100").await;
    assert_list(&reply, 0);

    // Source: scim-20, "Determine if the User already exists": the
    // request as printed, answered by an empty ListResponse.
    let lookup =
        "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100";
    let reply = okta.get(lookup).await;
    assert!(assert_list(&reply, 0).is_empty());
    assert_eq!(reply.body["startIndex"], 1);

    // Source: scim-20, "Create the User": 201 with the user; the password
    // is write-only and never returned.
    let created = send(
        &okta,
        Method::POST,
        "/Users",
        &create_user_body("test.user@okta.local", "00ujl29u0le5T6Aj10h7"),
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    let id = created.id();
    let user = &created.body;
    assert_eq!(user["userName"], "test.user@okta.local");
    assert_eq!(user["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(user["displayName"], "Test User");
    assert_eq!(user["locale"], "en-US");
    assert_eq!(user["active"], true);
    assert_eq!(
        user["name"],
        json!({"givenName": "Test", "familyName": "User"})
    );
    assert!(user.get("password").is_none(), "{user}");

    // Source: scim-20, "Create the User": a create of a user that already
    // exists is answered 409, which stops the provisioning job. The same
    // request again, externalId included, is what a retry after a lost
    // answer sends: by default the server treats it as that retry and
    // answers with the stored user, creating nothing (the duplicate-create
    // policy; `scim-server tenant update TENANT --duplicates conflict`
    // makes it 409, as docs/idp/okta.md explains). A different identity
    // with the same userName is 409 either way.
    let body = create_user_body("test.user@okta.local", "00ujl29u0le5T6Aj10h7");
    let again = send(&okta, Method::POST, "/Users", &body).await;
    assert_resource(&again, StatusCode::CREATED, CORE_USER);
    assert_eq!(again.id(), id, "the retry answers with the stored user");
    let other = create_user_body("TEST.USER@okta.local", "00uOTHER0000000000");
    let conflict = send(&okta, Method::POST, "/Users", &other).await;
    assert_error(&conflict, StatusCode::CONFLICT, Some("uniqueness"));
    let reply = okta.get(lookup).await;
    assert_eq!(
        assert_list(&reply, 1)[0]["id"],
        id.as_str(),
        "nothing was created twice"
    );

    // Source: scim-20, "Retrieve a specific User".
    let read = okta.get(&format!("/Users/{id}")).await;
    assert_resource(&read, StatusCode::OK, CORE_USER);
    assert!(read.body.get("password").is_none());
    let reply = okta.get(lookup).await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());
    // userName lookups ignore case (the Spec Test's case check).
    let reply = okta
        .get("/Users?filter=userName%20eq%20%22Test.User%40OKTA.local%22&startIndex=1&count=100")
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: scim-20, "Update a specific User (PUT)": "Retrieve the
    // User", then "Update the User" with the whole body, `id`, `groups`
    // and `meta` included.
    let reply = okta.get(&format!("/Users/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let put = format!(
        r#"{{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "{id}",
    "userName": "test.user@okta.local",
    "name": {{
        "givenName": "Another",
        "middleName": "Excited",
        "familyName": "User"
    }},
    "emails": [{{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work",
        "display": "test.user@okta.local"
    }}],
    "active": true,
    "groups": [],
    "meta": {{
        "resourceType": "User"
    }}
}}"#
    );
    let updated = send(&okta, Method::PUT, &format!("/Users/{id}"), &put).await;
    assert_resource(&updated, StatusCode::OK, CORE_USER);
    assert_eq!(updated.body["id"], id.as_str());
    assert_eq!(
        updated.body["name"],
        json!({"givenName": "Another", "middleName": "Excited", "familyName": "User"})
    );
    assert_eq!(
        updated.body["emails"],
        json!([{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}])
    );
    assert_eq!(updated.body["active"], true);

    // Source: scim-20, "Update a specific User (PATCH)": deactivation.
    let deactivate = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "active": false
        }
    }]
}"#;
    let reply = send(&okta, Method::PATCH, &format!("/Users/{id}"), deactivate).await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], false);
    assert_eq!(reply.body["userName"], "test.user@okta.local");
    let read = okta.get(&format!("/Users/{id}")).await;
    assert_eq!(read.body["active"], false);

    // Source: "Connect your SCIM API service to Okta", "To App" >
    // "Deactivate Users": Okta reactivates the account when the app is
    // assigned again; the same request with `true`.
    let reply = send(
        &okta,
        Method::PATCH,
        &format!("/Users/{id}"),
        &deactivate.replace("false", "true"),
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], true);

    // Source: scim-20, "Create the User", second request (custom
    // attributes, no externalId) for the userName that exists: 409.
    let again = send(
        &okta,
        Method::POST,
        "/Users",
        r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Test",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work"
    }],
    "displayName": "Test User",
    "locale": "en-US",
    "groups": [],
    "password": "1mz050nq",
    "active": true
}"#,
    )
    .await;
    assert_error(&again, StatusCode::CONFLICT, Some("uniqueness"));

    server.stop().await;
}

/// Group Push as the reference shows it, with 200 users: lookup by
/// displayName, create, a PATCH of 200 `add` operations, the documented
/// remove-and-add, rename by a path-less `replace` echoing the `id`, a
/// full membership `replace`, the AIW's PUT, paging through users and
/// groups with `count=100`, and delete (204).
#[tokio::test]
async fn okta_group_push_with_200_members() {
    // Two hundred creates in a burst; the tenant rate limit is not under
    // test here.
    let server = TestServer::start_with(|s| s.rate_limit_per_second = 0).await;
    let okta = okta(&server);
    let mut users = Vec::new();
    for i in 0..200 {
        let name = format!("push.user{i:03}@okta.local");
        let created = send(
            &okta,
            Method::POST,
            "/Users",
            &create_user_body(&name, &format!("00u{i:017}")),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.summary());
        users.push((created.id(), name));
    }

    // Source: scim-20, "Retrieve Users": pages of count=100 from
    // startIndex 1, 101, 201; integers; the same order every time; every
    // user exactly once.
    let mut seen = HashSet::new();
    for start in [1, 101, 201] {
        let reply = okta
            .get(&format!("/Users?startIndex={start}&count=100"))
            .await;
        let page = assert_list(&reply, 200).clone();
        assert_eq!(reply.body["startIndex"], start);
        assert_eq!(page.len(), if start == 201 { 0 } else { 100 });
        for user in &page {
            assert!(seen.insert(user["id"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(seen.len(), 200);

    // Source: scim-20, "Retrieve Groups": the lookup before a push.
    let lookup = "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100";
    let reply = okta.get(lookup).await;
    assert!(assert_list(&reply, 0).is_empty());

    // Source: scim-20, "Create Groups".
    let created = send(
        &okta,
        Method::POST,
        "/Groups",
        r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": []
}"#,
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_GROUP);
    let gid = created.id();
    assert_eq!(created.body["displayName"], "Test SCIMv2");
    let reply = okta.get(lookup).await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], gid.as_str());

    // Source: scim-20, "Update specific Group membership": one `add` per
    // member, `display` included, 200 of them in one request.
    let operations: Vec<Value> = users
        .iter()
        .map(|(id, name)| {
            json!({"op": "add", "path": "members", "value": [{"value": id, "display": name}]})
        })
        .collect();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations
    })
    .to_string();
    let reply = send(&okta, Method::PATCH, &format!("/Groups/{gid}"), &body).await;
    assert!(reply.status.is_success(), "{}", reply.summary());
    let read = okta.get(&format!("/Groups/{gid}")).await;
    assert_resource(&read, StatusCode::OK, CORE_GROUP);
    let members: HashSet<&str> = read.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members.len(), 200);
    assert!(users.iter().all(|(id, _)| members.contains(id.as_str())));

    // Source: scim-20, "Update specific Group membership": the printed
    // request, a `remove` by filter and an `add` in one PATCH.
    let (leaver, _) = &users[0];
    let reply = send(
        &okta,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        &format!(
            r#"{{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{{
            "op": "remove",
            "path": "members[value eq \"{leaver}\"]"
            }},
            {{
            "op": "add",
            "path": "members",
            "value": [{{
                "value": "{}",
                "display": "{}"
            }}]
        }}]
    }}"#,
            users[1].0, users[1].1
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.summary());
    let check = |member: &str| {
        format!(
            "/Groups?filter={}",
            encode(&format!(
                "id eq \"{gid}\" and members[value eq \"{member}\"]"
            ))
        )
    };
    assert_list(&okta.get(&check(leaver)).await, 0);
    assert_list(&okta.get(&check(&users[1].0)).await, 1);
    let reply = okta.get(&format!("/Users/{leaver}")).await;
    assert!(reply.body.get("groups").is_none(), "{}", reply.summary());

    // Source: scim-20, "Update a specific Group name": a path-less
    // `replace` echoing the group's `id`, sent with every membership
    // update, first with the current name, then with a new one.
    for name in ["Test SCIMv2", "Test SCIMv20"] {
        let reply = send(
            &okta,
            Method::PATCH,
            &format!("/Groups/{gid}"),
            &format!(
                r#"{{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{{
        "op": "replace",
        "value": {{
            "id": "{gid}",
            "displayName": "{name}"
        }}
    }}]
}}"#
            ),
        )
        .await;
        // Okta takes 200 with the group or 204; the server answers 200.
        assert_resource(&reply, StatusCode::OK, CORE_GROUP);
        assert_eq!(reply.body["displayName"], name);
        let read = okta.get(&format!("/Groups/{gid}")).await;
        assert_resource(&read, StatusCode::OK, CORE_GROUP);
        assert_eq!(read.body["id"], gid.as_str());
        assert_eq!(read.body["displayName"], name);
    }

    // Source: scim-20, "Update specific Group membership": a full push of
    // the membership is a `replace` of `members`.
    let (a, b) = (&users[2], &users[3]);
    let reply = send(
        &okta,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        &format!(
            r#"{{
  "schemas": [
    "urn:ietf:params:scim:api:messages:2.0:PatchOp"
  ],
  "Operations": [
    {{
      "op": "replace",
      "path": "members",
      "value": [
        {{
          "value": "{}",
          "display": "{}"
        }},
        {{
          "value": "{}",
          "display": "{}"
        }}
      ]
    }}
  ]
}}"#,
            a.0, a.1, b.0, b.1
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.summary());
    let read = okta.get(&format!("/Groups/{gid}")).await;
    let members: HashSet<&str> = read.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, HashSet::from([a.0.as_str(), b.0.as_str()]));

    // Source: scim-20, "Update specific Group membership": custom (AIW)
    // integrations send the group with PUT.
    let reply = send(
        &okta,
        Method::PUT,
        &format!("/Groups/{gid}"),
        &format!(
            r#"{{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Test SCIMv2",
        "members": [
                {{
                "value": "{}",
                "display": "{}"
                }}
        ]
    }}"#,
            users[4].0, users[4].1
        ),
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_GROUP);
    assert_eq!(reply.body["displayName"], "Test SCIMv2");
    let values: Vec<&str> = reply.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, [users[4].0.as_str()]);

    // Source: scim-20, "Retrieve Groups" and "Retrieve specific Groups".
    let reply = okta.get("/Groups?startIndex=1&count=100").await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], gid.as_str());
    let reply = okta.get(&format!("/Groups/{gid}")).await;
    assert_resource(&reply, StatusCode::OK, CORE_GROUP);

    // Source: scim-20, "Delete a specific Group": 204, empty body.
    let reply = okta.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
    assert_eq!(reply.body, Value::Null);
    let reply = okta.get(&format!("/Groups/{gid}")).await;
    assert_error(&reply, StatusCode::NOT_FOUND, None);
    // The members stay, without the group.
    let reply = okta.get(&format!("/Users/{}", users[4].0)).await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert!(reply.body.get("groups").is_none(), "{}", reply.summary());
    server.stop().await;
}
