//! Microsoft Entra ID's provisioning traffic, replayed over HTTP against
//! the real server, from Microsoft's public documentation:
//!
//! - "Tutorial: Develop and plan provisioning for a SCIM endpoint in
//!   Microsoft Entra ID",
//!   <https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups>
//!   ("SCIM protocol requests and responses": User Operations, Group
//!   Operations, Schema discovery; "Handling provisioning and
//!   deprovisioning of users": Examples 1 to 6; "Getting started": Test
//!   Connection);
//! - "Known issues and resolutions with SCIM 2.0 protocol compliance of
//!   the Microsoft Entra user provisioning service",
//!   <https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility>
//!   ("Flags to alter the SCIM behavior": the requests without and with
//!   the `aadOptscim062020` flag).
//!
//! Entra encodes filters in the query string as a form does (`+` for
//! spaces, `%22` for quotes, `%40` for `@`), and sends bodies with
//! `Content-Type: application/scim+json` (Examples 2 and 5).

use reqwest::{Method, StatusCode};
use scim_tests::TestServer;
use serde_json::{Value, json};

use crate::idp_support::{
    CORE_GROUP, CORE_USER, ENTERPRISE_USER, Idp, Reply, SCIM_JSON, assert_error, assert_list,
    assert_resource, form_encode,
};

/// `GET /Users?filter=userName eq "<name>"` as Entra encodes it.
fn user_query(attribute: &str, value: &str) -> String {
    format!(
        "/Users?filter={}",
        form_encode(&format!("{attribute} eq \"{value}\""))
    )
}

/// `GET /Groups?excludedAttributes=members&filter=<attribute> eq "<value>"`.
fn group_query(attribute: &str, value: &str) -> String {
    format!(
        "/Groups?excludedAttributes=members&filter={}",
        form_encode(&format!("{attribute} eq \"{value}\""))
    )
}

async fn post(idp: &Idp<'_>, path: &str, body: &str) -> Reply {
    idp.send(Method::POST, path, Some(SCIM_JSON), Some(body))
        .await
}

async fn patch(idp: &Idp<'_>, path: &str, body: &str) -> Reply {
    idp.send(Method::PATCH, path, Some(SCIM_JSON), Some(body))
        .await
}

/// "Create User" request body of the tutorial, with the GUIDs of the
/// user's `userName` and e-mail address and its `externalId` as given.
// Source: use-scim-to-provision-users-and-groups, "User Operations" >
// "Create User" > "Request".
fn create_user_body(user_guid: &str, mail_guid: &str, external_id: &str) -> String {
    format!(
        r#"{{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "{external_id}",
    "userName": "Test_User_{user_guid}",
    "active": true,
    "emails": [{{
        "primary": true,
        "type": "work",
        "value": "Test_User_{mail_guid}@testuser.com"
    }}],
    "meta": {{
        "resourceType": "User"
    }},
    "name": {{
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    }},
    "roles": []
}}"#
    )
}

/// Creates a user with the tutorial's body; returns its id.
async fn create_user(idp: &Idp<'_>, user_guid: &str, mail_guid: &str, external_id: &str) -> String {
    let created = post(
        idp,
        "/Users",
        &create_user_body(user_guid, mail_guid, external_id),
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    created.id()
}

/// Test Connection and the credential check: a user that does not exist,
/// looked up by a random GUID, is 200 with an empty ListResponse; so is a
/// random group; a wrong secret token is 401; `/Schemas` is a
/// ListResponse of the schemas.
#[tokio::test]
async fn entra_test_connection_gets_an_empty_list_response() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);

    // Source: use-scim-to-provision-users-and-groups, "Getting started",
    // the note on Test Connection: a lookup of a user that does not exist,
    // a random GUID as the matching value, expects 200 and an empty
    // ListResponse.
    let reply = entra
        .get(&user_query(
            "userName",
            "5e2b8a4c-0f4d-4a2e-9d61-3b1f7c9a8e20",
        ))
        .await;
    assert!(assert_list(&reply, 0).is_empty());

    // Source: same page, "General": Entra also fetches a random user and
    // a random group to check the endpoint and the credentials; groups
    // are queried by displayName with members excluded ("Get Group by
    // displayName").
    let reply = entra
        .get(&group_query(
            "displayName",
            "3f9c1a77-8e2d-4b5a-a0c4-6d2e9b1f0a53",
        ))
        .await;
    assert!(assert_list(&reply, 0).is_empty());

    // Source: "Getting started": a failed Test Connection shows the error;
    // here, a wrong Secret Token.
    let reply = reqwest::Client::new()
        .get(server.url(&user_query("userName", "x")))
        .bearer_auth("not-the-secret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    assert!(
        reply.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    // Source: "Schema discovery" > "Discover schema": GET /Schemas
    // answers a ListResponse of the User, Group and Enterprise User
    // schemas ("/Schemas (Schema discovery)" asks for a list response).
    let reply = entra.get("/Schemas").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.summary());
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    let ids: Vec<&str> = reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in [CORE_USER, CORE_GROUP, ENTERPRISE_USER] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    server.stop().await;
}

/// A user's whole life as the tutorial shows it, in the default (SCIM
/// job, no flag) dialect: lookup, create, read, lookups by every matching
/// attribute, updates of multi- and single-valued attributes, the
/// non-compliant disable and re-enable (`"False"`/`"True"` strings), the
/// compliant disable, and delete.
#[tokio::test]
async fn entra_user_lifecycle_without_flag() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);
    let user_guid = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee";
    let mail_guid = "11bb11bb-cc22-dd33-ee44-55ff55ff55ff";
    let external_id = "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef";
    let user_name = format!("Test_User_{user_guid}");

    // Source: "Get User by query - Zero results": 200 and an empty list.
    let reply = entra.get(&user_query("userName", &user_name)).await;
    assert!(assert_list(&reply, 0).is_empty());

    // Source: "Create User" > "Request" / "Response": 201 with the id and
    // the values as sent ("General": values are stored in the format they
    // were sent in, untransformed).
    let created = post(
        &entra,
        "/Users",
        &create_user_body(user_guid, mail_guid, external_id),
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    let id = created.id();
    let user = &created.body;
    assert_eq!(user["userName"], user_name.as_str());
    assert_eq!(user["externalId"], external_id);
    assert_eq!(user["active"], true);
    assert_eq!(
        user["name"],
        json!({"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"})
    );
    assert_eq!(
        user["emails"],
        json!([{"primary": true, "type": "work", "value": format!("Test_User_{mail_guid}@testuser.com")}])
    );

    // Source: "Get User" > "Request" / "Response (User found)".
    let read = entra.get(&format!("/Users/{id}")).await;
    assert_resource(&read, StatusCode::OK, CORE_USER);
    assert_eq!(read.body, created.body);

    // Source: "Get User by query" > "Request" / "Response".
    let reply = entra.get(&user_query("userName", &user_name)).await;
    let found = assert_list(&reply, 1);
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["userName"], user_name.as_str());

    // Source: "/Users": uniqueness on emails[type eq "work"] must be
    // queryable as `emails[type eq "work"].value eq "..."`.
    let reply = entra
        .get(&user_query(
            "emails[type eq \"work\"].value",
            &format!("Test_User_{mail_guid}@testuser.com"),
        ))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: Microsoft Q&A, "How can we customize SCIM query filter in
    // Azure?" (answer by a Microsoft employee),
    // https://learn.microsoft.com/en-us/answers/questions/552440/how-can-we-customize-scim-query-filter-in-azure.html:
    // with externalId as the second matching attribute Entra sends
    // `GET /Users?filter=externalId eq "GuidValue"`.
    let reply = entra.get(&user_query("externalId", external_id)).await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: "Update User [Multi-valued properties]" > "Request".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(
        reply.body["emails"],
        json!([{"primary": true, "type": "work", "value": "updatedEmail@microsoft.com"}])
    );
    assert_eq!(reply.body["name"]["familyName"], "updatedFamilyName");
    assert_eq!(reply.body["name"]["givenName"], "givenName");

    // Source: "Update User [Single-valued properties]" > "Request".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(
        reply.body["userName"],
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
    let reply = entra.get(&user_query("userName", &user_name)).await;
    assert_list(&reply, 0);
    let reply = entra
        .get(&user_query(
            "userName",
            "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
        ))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: known issues, "Requests made to add a single-value string
    // attribute", "Without feature flag".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["nickName"], "Babs");

    // Source: known issues, "Requests to replace multiple attributes",
    // "Without feature flag".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    let user = &reply.body;
    assert_eq!(user["displayName"], "Pvlo");
    assert_eq!(user["emails"][0]["value"], "TestBcwqnm@test.microsoft.com");
    assert_eq!(user["emails"].as_array().unwrap().len(), 1);
    assert_eq!(user["name"]["givenName"], "Gtfd");
    assert_eq!(user["name"]["familyName"], "Pkqf");
    assert_eq!(user["externalId"], "Eqpj");
    assert_eq!(user[ENTERPRISE_USER]["employeeNumber"], "Eqpj");
    assert!(
        user["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ENTERPRISE_USER))
    );

    // Source: known issues, "Requests made to disable users", "Without
    // feature flag": `active` as the string "False".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], false);
    // Source: "Understand the Microsoft Entra SCIM implementation", the
    // soft-delete requirement: an inactive user is still returned; only a
    // hard-deleted one is not.
    let read = entra.get(&format!("/Users/{id}")).await;
    assert_eq!(read.body["active"], false);
    let reply = entra.get(&user_query("externalId", "Eqpj")).await;
    assert_eq!(assert_list(&reply, 1)[0]["active"], false);

    // Re-enabling (restoring `active=true`, same table) is the same
    // request with "True".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "True"
        }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], true);

    // Source: "Disable User" > "Request" (a boolean, `Operations` first).
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], false);

    // Source: "Delete User" > "Request" / "Response": 204; afterwards the
    // user is gone ("Get User" > "Response (User not found ...)": 404).
    let reply = entra.delete(&format!("/Users/{id}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
    assert_eq!(reply.body, Value::Null);
    let reply = entra.get(&format!("/Users/{id}")).await;
    assert_error(&reply, StatusCode::NOT_FOUND, None);
    let reply = entra.get(&user_query("externalId", "Eqpj")).await;
    assert_list(&reply, 0);
    server.stop().await;
}

/// The same life with the `aadOptscim062020` flag: lowercase ops, a
/// path-less `replace` with dotted and URN-qualified keys, `active` as a
/// boolean; and the requests of the tutorial's sample-code walkthrough
/// (Examples 2, 3 and 6).
#[tokio::test]
async fn entra_user_lifecycle_with_aad_opt_scim062020() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);

    // Source: "Handling provisioning and deprovisioning of users",
    // "Example 2. Provision a user": its body as printed, with the
    // misspelt enterprise URN and nulls for unmapped attributes.
    let created = post(
        &entra,
        "/Users",
        r#"{
   "schemas":
   [
     "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
   "externalId":"jyoung",
   "userName":"jyoung@testuser.com",
   "active":true,
   "addresses":null,
   "displayName":"Joy Young",
   "emails": [
     {
       "type":"work",
       "value":"jyoung@Contoso.com",
       "primary":true}],
   "meta": {
     "resourceType":"User"},
    "name":{
     "familyName":"Young",
     "givenName":"Joy"},
   "phoneNumbers":null,
   "preferredLanguage":null,
   "title":null,
   "department":null,
   "manager":null}"#,
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    let id = created.id();
    assert_eq!(created.body["userName"], "jyoung@testuser.com");
    assert_eq!(created.body["externalId"], "jyoung");
    assert_eq!(created.body["displayName"], "Joy Young");
    assert_eq!(created.body["emails"][0]["value"], "jyoung@Contoso.com");
    for unassigned in ["addresses", "phoneNumbers", "preferredLanguage", "title"] {
        assert!(created.body.get(unassigned).is_none(), "{unassigned}");
    }

    // Source: "Example 3. Query the current state of a user".
    let read = entra.get(&format!("/Users/{id}")).await;
    assert_resource(&read, StatusCode::OK, CORE_USER);
    assert_eq!(read.body["id"], id.as_str());

    // Source: known issues, "Requests made to add a single-value string
    // attribute", "With feature flag".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
      {
        "op": "add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["nickName"], "Babs");

    // Source: known issues, "Requests to replace multiple attributes",
    // "With feature flag".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    let user = &reply.body;
    assert_eq!(user["emails"][0]["value"], "TestMhvaes@test.microsoft.com");
    assert_eq!(user["displayName"], "Bjfe");
    assert_eq!(
        user["name"],
        json!({"givenName": "Kkom", "familyName": "Unua"})
    );
    assert_eq!(user[ENTERPRISE_USER]["employeeNumber"], "Aklq");

    // Source: known issues, "Requests made to disable users", "With
    // feature flag".
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "active",
            "value": false
        }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], false);
    let reply = entra
        .get(&user_query("userName", "jyoung@testuser.com"))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["active"], false);

    // Re-enabling is the same request with `true`.
    let reply = patch(
        &entra,
        &format!("/Users/{id}"),
        r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "active",
            "value": true
        }
    ]
  }"#,
    )
    .await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(reply.body["active"], true);

    // Source: "Example 6. Deprovision a user".
    let reply = entra.delete(&format!("/Users/{id}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
    let reply = entra.get(&format!("/Users/{id}")).await;
    assert_error(&reply, StatusCode::NOT_FOUND, None);
    server.stop().await;
}

/// Requests printed in the tutorial's sample-code walkthrough: an
/// unquoted filter value (refused, as the RFC requires) and the
/// enterprise `manager` as an array of one reference (accepted).
#[tokio::test]
async fn entra_sample_code_requests() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);
    let manager = create_user(
        &entra,
        "00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "22cc22cc-dd33-ee44-ff55-66aa66aa66aa",
        "58342554-38d6-4ec8-948c-50044d0a33fd",
    )
    .await;
    let created = post(
        &entra,
        "/Users",
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"jyoung","userName":"jyoung@testuser.com","active":true}"#,
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    let id = created.id();

    // Source: "Example 1. Query the service for a matching user": the
    // comparison value is printed without quotes, which RFC 7644
    // §3.4.2.2 does not allow (a value is a JSON string, number, boolean
    // or null). Entra ID's own traffic quotes it; the unquoted form is
    // refused as an invalid filter rather than guessed at.
    let reply = entra.get("/Users?filter=externalId+eq+jyoung").await;
    assert_error(&reply, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    let reply = entra.get("/Users?filter=externalId+eq+%22jyoung%22").await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: "Example 5. Request from Microsoft Entra ID to an SCIM
    // endpoint to update a user": `manager` without its URN, the value an
    // array of one reference.
    let body = format!(
        r#"{{
    "schemas":
    [
      "urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":
    [
      {{
        "op":"Add",
        "path":"manager",
        "value":
          [
            {{
              "$ref":"http://.../scim/Users/{manager}",
              "value":"{manager}"}}]}}]}}"#
    );
    let reply = patch(&entra, &format!("/Users/{id}"), &body).await;
    assert_resource(&reply, StatusCode::OK, CORE_USER);
    assert_eq!(
        reply.body[ENTERPRISE_USER]["manager"]["value"],
        manager.as_str(),
        "{}",
        reply.summary()
    );
    server.stop().await;
}

/// A group's whole life as the tutorial shows it, in the default dialect:
/// lookup, create with Entra's extra schema URI, reads without members,
/// lookups by displayName and externalId, members added (`"op": "Add"`)
/// and removed (`"op": "Remove"` with a value list), a membership check,
/// rename and delete.
#[tokio::test]
async fn entra_group_lifecycle_without_flag() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);
    let alice = create_user(
        &entra,
        "33dd33dd-ee44-ff55-aa66-77bb77bb77bb",
        "44ee44ee-ff55-aa66-bb77-88cc88cc88cc",
        "7fce0092-d52e-4f76-b727-3955bd72c939",
    )
    .await;
    let bob = create_user(
        &entra,
        "55ff55ff-aa66-bb77-cc88-99dd99dd99dd",
        "66aa66aa-bb77-cc88-dd99-00ee00ee00ee",
        "6c75de36-30fa-4d2d-a196-6bdcdb6b6539",
    )
    .await;

    let reply = entra.get(&group_query("displayName", "displayName")).await;
    assert_list(&reply, 0);

    // Source: "Group Operations" > "Create Group" > "Request" / "Response".
    let created = post(
        &entra,
        "/Groups",
        r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}"#,
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_GROUP);
    let gid = created.id();
    assert_eq!(created.body["displayName"], "displayName");
    assert_eq!(
        created.body["externalId"],
        "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    );

    // Source: "Get Group" > "Request" / "Response": no members.
    let read = entra
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert_resource(&read, StatusCode::OK, CORE_GROUP);
    assert!(read.body.get("members").is_none(), "{}", read.summary());
    assert_eq!(read.body["displayName"], "displayName");

    // Source: "Get Group by displayName" > "Request" / "Response".
    let reply = entra.get(&group_query("displayName", "displayName")).await;
    let found = assert_list(&reply, 1);
    assert_eq!(found[0]["id"], gid.as_str());
    assert!(found[0].get("members").is_none());

    // Source: "Design your user and group schema": the group's objectId
    // maps to externalId, which an administrator may make the matching
    // attribute; it is queried like displayName.
    let reply = entra
        .get(&group_query(
            "externalId",
            "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        ))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], gid.as_str());

    // Source: "Update Group [Add Members]" > "Request" (`"$ref": null`),
    // for each of two members. The tutorial's response is 204; a 200 with
    // the group is accepted by Entra too.
    for member in [&alice, &bob] {
        let body = format!(
            r#"{{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{{
        "op": "Add",
        "path": "members",
        "value": [{{
            "$ref": null,
            "value": "{member}"
        }}]
    }}]
}}"#
        );
        let reply = patch(&entra, &format!("/Groups/{gid}"), &body).await;
        // Tutorial, "Group Operations": Entra ID takes 204 or 200; the
        // server answers 200 with the group, as conformance tools expect
        // (docs/idp/entra.md).
        assert_resource(&reply, StatusCode::OK, CORE_GROUP);
    }

    // Source: "Group provisioning and deprovisioning": a reference
    // attribute is checked with a query about the members attribute, the
    // members being excluded from the response.
    let check = |member: &str| {
        format!(
            "/Groups?excludedAttributes=members&filter={}",
            form_encode(&format!(
                "id eq \"{gid}\" and members[value eq \"{member}\"]"
            ))
        )
    };
    let reply = entra.get(&check(&alice)).await;
    let found = assert_list(&reply, 1);
    assert!(found[0].get("members").is_none());

    // Source: known issues, "Requests made to remove a group member",
    // "Without feature flag" (the tutorial's "Update Group [Remove
    // Members]" adds `"$ref": null`): only the listed member goes.
    let reply = patch(
        &entra,
        &format!("/Groups/{gid}"),
        &format!(
            r#"{{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{{
        "op": "Remove",
        "path": "members",
        "value": [{{
            "$ref": null,
            "value": "{alice}"
        }}]
    }}]
}}"#
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.summary());
    let reply = entra.get(&check(&alice)).await;
    assert_list(&reply, 0);
    let reply = entra.get(&check(&bob)).await;
    assert_list(&reply, 1);
    let read = entra.get(&format!("/Groups/{gid}")).await;
    assert_resource(&read, StatusCode::OK, CORE_GROUP);
    let members: Vec<&str> = read.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [bob.as_str()]);

    // Source: "Update Group [Non-member attributes]" > "Request".
    let reply = patch(
        &entra,
        &format!("/Groups/{gid}"),
        r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}"#,
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.summary());
    let reply = entra.get(&group_query("displayName", "displayName")).await;
    assert_list(&reply, 0);
    let reply = entra
        .get(&group_query(
            "displayName",
            "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
        ))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], gid.as_str());

    // Source: "Delete Group" > "Request" / "Response".
    let reply = entra.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
    let reply = entra
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, None);
    server.stop().await;
}

/// Member removal with the `aadOptscim062020` flag: a `members[value eq
/// "..."]` path and no value.
#[tokio::test]
async fn entra_group_member_removal_with_aad_opt_scim062020() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);
    let alice = create_user(
        &entra,
        "77bb77bb-cc88-dd99-ee00-11ff11ff11ff",
        "88cc88cc-dd99-ee00-ff11-22aa22aa22aa",
        "aa1eca08-7179-4eeb-a0be-a519f7e5cd1a",
    )
    .await;
    let bob = create_user(
        &entra,
        "99dd99dd-ee00-ff11-aa22-33bb33bb33bb",
        "00ee00ee-ff11-aa22-bb33-44cc44cc44cc",
        "7f4bc1a3-285e-48ae-8202-5accb43efb0e",
    )
    .await;
    let created = post(
        &entra,
        "/Groups",
        r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], "externalId": "60f1bb27-2e1e-402d-bcc4-ec999564a194", "displayName": "Flagged", "meta": {"resourceType": "Group"}}"#,
    )
    .await;
    assert_resource(&created, StatusCode::CREATED, CORE_GROUP);
    let gid = created.id();
    let reply = patch(
        &entra,
        &format!("/Groups/{gid}"),
        &format!(
            r#"{{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{{"op": "add", "path": "members", "value": [{{"value": "{alice}"}}, {{"value": "{bob}"}}]}}]}}"#
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.summary());

    // Source: known issues, "Requests made to remove a group member",
    // "With feature flag".
    let reply = patch(
        &entra,
        &format!("/Groups/{gid}"),
        &format!(
            r#"{{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {{
            "op": "remove",
            "path": "members[value eq \"{alice}\"]"
        }}
    ]
  }}"#
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.summary());
    let read = entra.get(&format!("/Groups/{gid}")).await;
    let members: Vec<&str> = read.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [bob.as_str()]);
    // The leaver's groups no longer list the group.
    let read = entra.get(&format!("/Users/{alice}")).await;
    assert!(read.body.get("groups").is_none(), "{}", read.summary());
    server.stop().await;
}

/// Entra asks groups to be unique on `displayName`, beyond what the SCIM
/// RFCs ask (tutorial, "Understand the Microsoft Entra SCIM
/// implementation" > "/Groups"); RFC 7643 §4.2 gives `displayName` no
/// uniqueness, and this server follows the RFC: a second group with the
/// same name is created, and a lookup by name finds both (Entra then
/// matches on `externalId`). docs/idp/entra.md says so.
#[tokio::test]
async fn entra_group_display_names_are_not_unique() {
    let server = TestServer::start().await;
    let entra = Idp::new(&server);
    let body = r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], "externalId": "0db508eb-91e2-46e4-809c-30dcbda0c685", "displayName": "displayName", "meta": {"resourceType": "Group"}}"#;
    let first = post(&entra, "/Groups", body).await;
    assert_resource(&first, StatusCode::CREATED, CORE_GROUP);
    let again = body.replace(
        "0db508eb-91e2-46e4-809c-30dcbda0c685",
        "927fa2c0-8dcb-4a7f-ae9e-0c3b1d2e4f5a",
    );
    let second = post(&entra, "/Groups", &again).await;
    assert_resource(&second, StatusCode::CREATED, CORE_GROUP);
    assert_ne!(first.id(), second.id());
    let reply = entra.get(&group_query("displayName", "displayName")).await;
    assert_list(&reply, 2);
    server.stop().await;
}
