//! OneLogin, JumpCloud and PingOne provisioning, replayed over HTTP
//! against the real server, kept to what each vendor's public SCIM
//! documentation shows. Their documents describe the calls more than
//! they print them; where a body is not printed, the comment says so and
//! the request uses the RFC 7644 form.
//!
//! - OneLogin: "Step 1. Define Your SCIM User Schema",
//!   <https://developers.onelogin.com/scim/define-user-schema>; "Step 2.
//!   Implement RESTful SCIM APIs for Your App",
//!   <https://developers.onelogin.com/scim/implement-scim-api> ("Example
//!   API Flow"); "Step 4. Test Your SCIM Implementation",
//!   <https://developers.onelogin.com/scim/test-your-scim>.
//! - JumpCloud: "Identity Management using a Custom SCIM Integration",
//!   <https://jumpcloud.com/support/provision-and-manage-users-and-groups-in-apps-using-custom-scim-identity-management-integration>
//!   ("Important Considerations", "Group Management Considerations").
//! - PingOne: "SCIM filter expressions",
//!   <https://docs.pingidentity.com/pingone/integrations/p1_scim_filter_expressions.html>;
//!   "SCIM provisioning features",
//!   <https://docs.pingidentity.com/pingone/integrations/p1_scim_provisioning_features.html>;
//!   "SCIM Provisioner settings reference",
//!   <https://docs.pingidentity.com/integrations/scim/setup/pf_scim_connector_scim_connector_settings_reference.html>.

use reqwest::{Method, StatusCode};
use scim_tests::{TestServer, percent_encode};
use serde_json::json;

use crate::idp_support::{
    CORE_GROUP, CORE_USER, ENTERPRISE_USER, Idp, SCIM_JSON, assert_error, assert_list,
    assert_resource,
};

fn user_filter(filter: &str) -> String {
    format!("/Users?filter={}", percent_encode(filter))
}

/// OneLogin's "Example API Flow": the initial connection, the provisioning
/// lookup and create from the SCIM JSON template, read by id, the groups
/// read and created, delete, and the users list.
#[tokio::test]
async fn onelogin_example_api_flow() {
    let server = TestServer::start().await;
    let onelogin = Idp::new(&server);

    // Source: implement-scim-api, "Example API Flow", 1. "Initial
    // connection": a Get User by userName with a value known not to
    // exist; an empty list of users (or a 404) confirms the endpoint.
    let reply = onelogin
        .get(&user_filter(
            "userName eq \"onelogin-connection-check@example.com\"",
        ))
        .await;
    assert!(assert_list(&reply, 0).is_empty());

    // Source: implement-scim-api, "Example API Flow", 2. "Provisioning
    // request": a Get User by userName for each user given access.
    let reply = onelogin
        .get(&user_filter("userName eq \"jbibinka@example.com\""))
        .await;
    assert!(assert_list(&reply, 0).is_empty());

    // Source: define-user-schema, "OneLogin Enterprise User Schema", the
    // template's placeholders filled in. Its SCIM 1.x URNs are not SCIM
    // 2.0: this server answers 400 invalidValue, naming the schema it
    // needs (docs/idp/onelogin.md: choose a SCIM v2 connector).
    let template_v1 = r#"{
    "schemas": [
        "urn:scim:schemas:core:1.0",
        "urn:scim:schemas:extension:enterprise:1.0"
    ],
    "userName": "jbibinka@example.com",
    "name": {
        "familyName": "Bibinka",
        "givenName": "Justin",
        "formatted": "Justin Bibinka"
    },
    "emails": {
        "value": "jbibinka@example.com",
        "type": "work",
        "primary": true
    },
    "title": "Director",
    "urn:scim:schemas:extension:enterprise:1.0": {
        "department": "Sales",
        "manager": {
            "managerId": "ext-mgr-1",
            "displayName": "Mia Manager"
        }
    }
}"#;
    let reply = onelogin
        .send(
            Method::POST,
            "/Users",
            Some("application/json"),
            Some(template_v1),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, Some("invalidValue"));
    assert!(
        reply.body["detail"].as_str().unwrap().contains(CORE_USER),
        "{}",
        reply.summary()
    );

    // The same template with the SCIM 2.0 URNs, as the SCIM v2 connectors
    // ("SCIM Provisioner with SAML (SCIM v2 Enterprise)") use: `emails`
    // as one object rather than a list, the SCIM 1.1 `managerId`.
    let template_v2 = template_v1
        .replace("urn:scim:schemas:core:1.0", CORE_USER)
        .replace("urn:scim:schemas:extension:enterprise:1.0", ENTERPRISE_USER);
    let created = onelogin
        .send(
            Method::POST,
            "/Users",
            Some("application/json"),
            Some(&template_v2),
        )
        .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    let id = created.id();
    let user = &created.body;
    assert_eq!(user["userName"], "jbibinka@example.com");
    assert_eq!(
        user["emails"],
        json!([{"value": "jbibinka@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(user["name"]["formatted"], "Justin Bibinka");
    assert_eq!(user["title"], "Director");
    assert_eq!(user[ENTERPRISE_USER]["department"], "Sales");

    // Source: implement-scim-api, "Get User by ID".
    let read = onelogin.get(&format!("/Users/{id}")).await;
    assert_resource(&read, StatusCode::OK, CORE_USER);
    let reply = onelogin
        .get(&user_filter("userName eq \"jbibinka@example.com\""))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: implement-scim-api, "Get Groups" and "Create Group" (the
    // group body is not printed; a displayName and no members).
    let reply = onelogin.get("/Groups").await;
    assert_list(&reply, 0);
    let group = onelogin
        .send(
            Method::POST,
            "/Groups",
            Some("application/json"),
            Some(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Contractors","members":[]}"#),
        )
        .await;
    assert_resource(&group, StatusCode::CREATED, CORE_GROUP);
    let reply = onelogin.get("/Groups").await;
    assert_eq!(assert_list(&reply, 1)[0]["displayName"], "Contractors");

    // Source: test-your-scim, "When users are deleted in OneLogin...":
    // Delete; implement-scim-api, "Delete User".
    let reply = onelogin.delete(&format!("/Users/{id}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
    let reply = onelogin.get(&format!("/Users/{id}")).await;
    assert_error(&reply, StatusCode::NOT_FOUND, None);

    // Source: implement-scim-api, "Get Users".
    let reply = onelogin.get("/Users").await;
    assert_list(&reply, 0);
    server.stop().await;
}

/// JumpCloud's connection test creates a test user and a test group and
/// deletes both when the application supports DELETE (custom SCIM
/// integration, "Important Considerations"). JumpCloud does not print the
/// bodies; the RFC 7643 minimal forms are used. DELETE is supported, so
/// nothing is left behind.
#[tokio::test]
async fn jumpcloud_connection_test_creates_and_deletes_a_test_user_and_group() {
    let server = TestServer::start().await;
    let jumpcloud = Idp::new(&server);
    let user = jumpcloud
        .send(
            Method::POST,
            "/Users",
            Some(SCIM_JSON),
            Some(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jc.test.user@example.com","name":{"givenName":"Test","familyName":"User"},"emails":[{"value":"jc.test.user@example.com","type":"work","primary":true}],"active":true}"#),
        )
        .await;
    assert_resource(&user, StatusCode::CREATED, CORE_USER);
    let group = jumpcloud
        .send(
            Method::POST,
            "/Groups",
            Some(SCIM_JSON),
            Some(&format!(
                r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"JumpCloud Test Group","members":[{{"value":"{}"}}]}}"#,
                user.id()
            )),
        )
        .await;
    assert_resource(&group, StatusCode::CREATED, CORE_GROUP);

    // JumpCloud takes over an existing group whose name matches its user
    // group's name ("Group Management Considerations"): groups are found
    // by displayName.
    let reply = jumpcloud
        .get(&format!(
            "/Groups?filter={}",
            percent_encode("displayName eq \"JumpCloud Test Group\"")
        ))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], group.id().as_str());

    for path in [
        format!("/Groups/{}", group.id()),
        format!("/Users/{}", user.id()),
    ] {
        let reply = jumpcloud.delete(&path).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
        let reply = jumpcloud.get(&path).await;
        assert_error(&reply, StatusCode::NOT_FOUND, None);
    }
    server.stop().await;
}

/// PingOne's matching and connection settings: the documented user
/// filter expression `username Eq "%s"` (attribute name and operator in
/// another case than RFC 7644 prints them, which §3.4.2.2 allows), the
/// default identifier `userName`, the "Bearer" authorization header type,
/// and the Delete remove action.
#[tokio::test]
async fn pingone_user_filter_expressions_and_remove_action() {
    let server = TestServer::start().await;
    let pingone = Idp::new(&server);
    let created = pingone
        .send(
            Method::POST,
            "/Users",
            Some(SCIM_JSON),
            Some(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"marcher","name":{"familyName":"Archer","givenName":"Meredith"},"emails":[{"type":"work","value":"meredith.archer@example.com"}],"active":true}"#),
        )
        .await;
    assert_resource(&created, StatusCode::CREATED, CORE_USER);
    let id = created.id();

    // Source: p1_scim_filter_expressions, "Example filter expressions":
    // `username Eq "%s"`, `%s` replaced by the User Identifier's value.
    let reply = pingone.get(&user_filter("username Eq \"marcher\"")).await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());
    // The default expression, from the User Identifier `userName`.
    let reply = pingone.get(&user_filter("userName eq \"MArcher\"")).await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());
    let reply = pingone.get(&user_filter("username Eq \"nobody\"")).await;
    assert!(assert_list(&reply, 0).is_empty());
    // The page's second example, `email Co "%s"`, names no SCIM attribute
    // (docs/idp/pingone.md); the e-mail is matched by its SCIM path.
    let reply = pingone.get(&user_filter("email Co \"marcher\"")).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    let reply = pingone
        .get(&user_filter(
            "emails.value eq \"meredith.archer@example.com\"",
        ))
        .await;
    assert_eq!(assert_list(&reply, 1)[0]["id"], id.as_str());

    // Source: settings reference, "OAuth 2 Bearer Token" > "Access Token"
    // and the authorization header type override: the token is accepted
    // under the Bearer scheme only.
    let reply = reqwest::Client::new()
        .get(server.url(&format!("/Users/{id}")))
        .header("Authorization", format!("OAuth {}", server.token))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);

    // Source: p1_scim_provisioning_features, "Configurable deprovisioning
    // actions": with the Delete action PingOne sends DELETE.
    let reply = pingone.delete(&format!("/Users/{id}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.summary());
    let reply = pingone.get(&user_filter("username Eq \"marcher\"")).await;
    assert!(assert_list(&reply, 0).is_empty());
    server.stop().await;
}
