//! Schemas beyond the built-in ones, over HTTP: resource types an operator
//! configures (`--schema`, `--resource-type`), and schema extensions one
//! tenant adds at run time (`tenant extension add`).

use reqwest::StatusCode;
use scim_server::{ExtensionCommand, Settings, TenantCommand};
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

const SCIM_JSON: &str = "application/scim+json";
const DEVICE: &str = "urn:example:params:scim:schemas:core:2.0:Device";
const LEASE: &str = "urn:example:params:scim:schemas:extension:lease:2.0:Device";
const COST: &str = "urn:example:params:scim:schemas:extension:cost:2.0:User";
const BADGE: &str = "urn:example:params:scim:schemas:extension:badge:2.0:User";

/// Sends a request with the token (if any) and a SCIM JSON body (if any).
async fn send(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    scim_tests::send_json(method, url, token, SCIM_JSON, body).await
}

/// Writes the operator's schema and resource type files into `dir`.
fn configure_devices(dir: &std::path::Path, settings: &mut Settings) {
    let schemas = dir.join("schemas.json");
    std::fs::write(
        &schemas,
        json!({"Resources": [
            {"id": DEVICE, "name": "Device", "attributes": [
                {"name": "serial", "type": "string", "required": true, "uniqueness": "server"},
                {"name": "model", "type": "string"},
                {"name": "pin", "type": "string", "returned": "never"},
                {"name": "owner", "type": "complex", "subAttributes": [
                    {"name": "value", "type": "string"},
                    {"name": "display", "type": "string"}]}]},
            {"id": LEASE, "name": "Lease", "attributes": [
                {"name": "until", "type": "dateTime"}]},
            {"id": COST, "name": "Cost", "attributes": [
                {"name": "costCenter", "type": "string"}]}
        ]})
        .to_string(),
    )
    .unwrap();
    let types = dir.join("types.json");
    std::fs::write(
        &types,
        json!([
            {"name": "Device", "endpoint": "/Devices", "description": "Managed devices",
             "schema": DEVICE, "schemaExtensions": [{"schema": LEASE, "required": false}]},
            {"name": "User", "endpoint": "/Users",
             "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
             "schemaExtensions": [{"schema": COST, "required": false}]}
        ])
        .to_string(),
    )
    .unwrap();
    settings.schema_files = vec![schemas];
    settings.resource_type_files = vec![types];
}

#[tokio::test]
async fn a_configured_resource_type_is_served_like_the_built_in_ones() {
    let files = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(|s| configure_devices(files.path(), s)).await;
    let token = Some(server.token.as_str());
    use reqwest::Method as M;

    // Discovery publishes the type, its schemas and the User extension.
    let (status, types) = send(M::GET, &server.url("/ResourceTypes"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group", "Device"]);
    let (status, device_type) =
        send(M::GET, &server.url("/ResourceTypes/Device"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(device_type["endpoint"], "/Devices");
    assert_eq!(device_type["schema"], DEVICE);
    assert_eq!(
        device_type["schemaExtensions"],
        json!([{"schema": LEASE, "required": false}])
    );
    let (status, schema) = send(
        M::GET,
        &server.url(&format!("/Schemas/{DEVICE}")),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema["attributes"][0]["name"], "serial");
    let (_, user_type) = send(M::GET, &server.url("/ResourceTypes/User"), None, None).await;
    assert!(
        user_type["schemaExtensions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["schema"] == COST),
        "{user_type}"
    );

    // Create: validated by its schema, never-returned attributes hidden.
    let (status, created) = send(
        M::POST,
        &server.url("/Devices"),
        token,
        Some(json!({
            "schemas": [DEVICE, LEASE],
            "serial": "SN-1", "model": "X1", "pin": "0000",
            "owner": {"value": "u1", "display": "Ada"},
            LEASE: {"until": "2027-01-01T00:00:00Z"}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["meta"]["resourceType"], "Device");
    assert_eq!(
        created["meta"]["location"],
        server.url(&format!("/Devices/{id}"))
    );
    assert!(created.get("pin").is_none(), "{created}");
    assert_eq!(created[LEASE]["until"], "2027-01-01T00:00:00Z");
    let (status, bad) = send(
        M::POST,
        &server.url("/Devices"),
        token,
        Some(json!({"schemas": [DEVICE], "model": "no serial"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, bad) = send(
        M::POST,
        &server.url("/Devices"),
        token,
        Some(json!({"schemas": [DEVICE], "serial": "SN-9", "model": {"name": "X"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["scimType"], "invalidValue");

    // The schema's server uniqueness holds, case-insensitively.
    let (status, conflict) = send(
        M::POST,
        &server.url("/Devices"),
        token,
        Some(json!({"schemas": [DEVICE], "serial": "sn-1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["scimType"], "uniqueness");
    assert!(conflict["detail"].as_str().unwrap().contains("serial"));

    // Filtered by its own attributes; other endpoints do not see it.
    let filter = percent_encode(r#"model eq "x1" and owner.display sw "Ad""#);
    let (status, found) = send(
        M::GET,
        &server.url(&format!("/Devices?filter={filter}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (status, _) = send(M::GET, &server.url(&format!("/Users/{id}")), token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, users) = send(M::GET, &server.url("/Users"), token, None).await;
    assert_eq!(users["totalResults"], 0);

    // PATCH and PUT, with versions.
    let (status, patched) = send(
        M::PATCH,
        &server.url(&format!("/Devices/{id}")),
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "model", "value": "X2"}]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["model"], "X2");
    assert_ne!(patched["meta"]["version"], created["meta"]["version"]);
    let (status, replaced) = send(
        M::PUT,
        &server.url(&format!("/Devices/{id}")),
        token,
        Some(json!({"schemas": [DEVICE], "serial": "SN-1", "model": "X3"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["model"], "X3");
    assert!(replaced.get(LEASE).is_none(), "PUT replaces: {replaced}");

    // A device is no group member; the root search and Bulk reach it.
    let (status, group) = send(
        M::POST,
        &server.url("/Groups"),
        token,
        Some(json!({"displayName": "Fleet", "members": [{"value": id}]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{group}");
    let (status, everything) = send(
        M::POST,
        &server.url("/.search"),
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "model pr"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{everything}");
    assert_eq!(everything["totalResults"], 1);
    let (status, bulk) = send(
        M::POST,
        &server.url("/Bulk"),
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Devices", "bulkId": "d2",
                            "data": {"schemas": [DEVICE], "serial": "SN-2"}}]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    assert_eq!(bulk["Operations"][0]["status"], "201");
    assert!(
        bulk["Operations"][0]["location"]
            .as_str()
            .unwrap()
            .contains("/Devices/")
    );

    // The operator's User extension works like the enterprise one.
    let (status, user) = send(
        M::POST,
        &server.url("/Users"),
        token,
        Some(json!({"userName": "ada", COST: {"costCenter": "R&D"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user[COST]["costCenter"], "R&D");

    // Delete, then gone.
    let (status, _) = send(
        M::DELETE,
        &server.url(&format!("/Devices/{id}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, gone) = send(M::GET, &server.url(&format!("/Devices/{id}")), token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    server.stop().await;
}

#[tokio::test]
async fn configuration_mistakes_stop_the_server_with_the_reason() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let start = |change: &dyn Fn(&mut Value)| {
        let mut types = json!([{"name": "Device", "endpoint": "/Devices", "schema": DEVICE}]);
        change(&mut types);
        let path = files.path().join("mistaken.json");
        std::fs::write(&path, types.to_string()).unwrap();
        let mut settings = Settings::with_defaults(data.path(), "127.0.0.1:0".parse().unwrap());
        configure_devices(files.path(), &mut settings);
        settings.resource_type_files = vec![path];
        settings
            .resource_types()
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert!(start(&|t| t[0]["endpoint"] = json!("/Bulk")).contains("reserved"));
    assert!(start(&|t| t[0]["schema"] = json!("urn:nope")).contains("no schema urn:nope"));
    assert!(start(&|t| t[0]["name"] = json!("Group")).contains("built in"));
    let twice = start(&|t| {
        let copy = t[0].clone();
        t.as_array_mut().unwrap().push(copy);
    });
    assert!(twice.contains("taken"), "{twice}");
    assert!(start(&|t| t[0]["endpoint"] = json!("Devices")).contains("endpoint"));
}

/// Runs `tenant extension ...` as the operator would, against the server's
/// data folder.
async fn extension(server: &TestServer, command: ExtensionCommand) -> anyhow::Result<String> {
    let settings = Settings::with_defaults(server.data_dir.path(), "127.0.0.1:0".parse().unwrap());
    scim_server::admin::tenant(&settings, &TenantCommand::Extension(command), false).await
}

#[tokio::test]
async fn a_tenant_adds_its_own_user_attributes_at_run_time() {
    let server = TestServer::start().await;
    let token = Some(server.token.as_str());
    use reqwest::Method as M;
    let settings = Settings::with_defaults(server.data_dir.path(), "127.0.0.1:0".parse().unwrap());
    let created = scim_server::admin::tenant(
        &settings,
        &TenantCommand::Create {
            name: "other".into(),
            token_expires_in_days: None,
        },
        true,
    )
    .await
    .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    let other = created["token"].as_str().unwrap().to_owned();
    let other = Some(other.as_str());

    let body = json!({"userName": "grace", BADGE: {"badge": "B-7", "pin": "1234"}});
    // Before: an unknown extension is dropped (lenient by default).
    let (status, before) = send(M::POST, &server.url("/Users"), token, Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{before}");
    assert!(before.get(BADGE).is_none(), "{before}");

    let file = server.data_dir.path().join("badge.json");
    std::fs::write(
        &file,
        json!({"id": BADGE, "name": "Badge", "attributes": [
            {"name": "badge", "type": "string", "required": true},
            {"name": "pin", "type": "string", "returned": "never"}]})
        .to_string(),
    )
    .unwrap();
    let listed = extension(
        &server,
        ExtensionCommand::Add {
            tenant: "default".into(),
            file: file.clone(),
            resource_type: "user".into(),
            required: false,
        },
    )
    .await
    .unwrap();
    assert!(
        listed.contains(BADGE) && listed.contains("badge, pin"),
        "{listed}"
    );

    // At once, without a restart: stored, returned as the schema says,
    // filterable and patchable.
    let body = json!({"userName": "hopper", BADGE: {"badge": "B-8", "pin": "1234"}});
    let (status, user) = send(M::POST, &server.url("/Users"), token, Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user[BADGE], json!({"badge": "B-8"}));
    assert!(
        user["schemas"].as_array().unwrap().contains(&json!(BADGE)),
        "{user}"
    );
    let id = user["id"].as_str().unwrap().to_owned();
    let filter = percent_encode(&format!(r#"{BADGE}:badge eq "b-8""#));
    let (status, found) = send(
        M::GET,
        &server.url(&format!("/Users?filter={filter}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 1);
    let (status, patched) = send(
        M::PATCH,
        &server.url(&format!("/Users/{id}")),
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": format!("{BADGE}:badge"), "value": "B-9"}]
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched[BADGE]["badge"], "B-9");
    let (status, excluded) = send(
        M::GET,
        &server.url(&format!("/Users/{id}?excludedAttributes={BADGE}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(excluded.get(BADGE).is_none(), "{excluded}");

    // Discovery shows the tenant its own view; anonymous callers and
    // other tenants see the server's.
    let schema_url = server.url(&format!("/Schemas/{BADGE}"));
    assert_eq!(
        send(M::GET, &schema_url, token, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(M::GET, &schema_url, None, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(M::GET, &schema_url, other, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, user_type) = send(M::GET, &server.url("/ResourceTypes/User"), token, None).await;
    assert!(
        user_type["schemaExtensions"]
            .as_array()
            .unwrap()
            .contains(&json!({"schema": BADGE, "required": false})),
        "{user_type}"
    );
    let (status, _) = send(M::GET, &schema_url, Some("not-a-token"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The other tenant is untouched: its extension data is dropped and
    // its filters cannot name the attribute.
    let (status, theirs) = send(M::POST, &server.url("/Users"), other, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert!(theirs.get(BADGE).is_none(), "{theirs}");
    let (status, refused) = send(
        M::GET,
        &server.url(&format!("/Users?filter={filter}")),
        other,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["scimType"], "invalidFilter");

    // Required: creates without it are refused.
    extension(
        &server,
        ExtensionCommand::Add {
            tenant: "default".into(),
            file: file.clone(),
            resource_type: "User".into(),
            required: true,
        },
    )
    .await
    .unwrap();
    let (status, refused) = send(
        M::POST,
        &server.url("/Users"),
        token,
        Some(json!({"userName": "lovelace"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");

    // Operator mistakes are refused with the reason.
    let err = extension(
        &server,
        ExtensionCommand::Add {
            tenant: "default".into(),
            file: file.clone(),
            resource_type: "Printer".into(),
            required: false,
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("no resource type \"Printer\""), "{err}");
    let enterprise = server.data_dir.path().join("enterprise.json");
    std::fs::write(
        &enterprise,
        json!({"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
               "attributes": []})
        .to_string(),
    )
    .unwrap();
    let err = extension(
        &server,
        ExtensionCommand::Add {
            tenant: "default".into(),
            file: enterprise,
            resource_type: "User".into(),
            required: false,
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("already belongs to User"), "{err}");

    // Removed: no longer required or filterable.
    extension(
        &server,
        ExtensionCommand::Remove {
            tenant: "default".into(),
            schema: BADGE.into(),
        },
    )
    .await
    .unwrap();
    let (status, _) = send(
        M::POST,
        &server.url("/Users"),
        token,
        Some(json!({"userName": "lovelace"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(
        M::GET,
        &server.url(&format!("/Users?filter={filter}")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    server.stop().await;
}
