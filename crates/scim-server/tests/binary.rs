//! The `scim-server` binary as an operator runs it: no configuration but a
//! data folder and a port, the token printed once, a SCIM exchange over
//! HTTP, and a clean exit on SIGTERM.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Command;

use common::{BIN, read_banner, signal, start};
use serde_json::Value;

fn printed_token(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("scim_"))
        .map(str::to_owned)
}

#[tokio::test]
async fn first_start_prints_a_token_once_and_serves_scim() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut first = start(&data, &[]);
    let (lines, base) = read_banner(&mut first);
    let token = printed_token(&lines).unwrap_or_else(|| panic!("no token in {lines:?}"));
    assert!(
        data.join("scim.db").is_file(),
        "the SQLite file lives in the data folder"
    );

    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ops@example.com"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["userName"], "ops@example.com");

    let unauthorized = http.get(&location).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let err: Value = unauthorized.json().await.unwrap();
    assert_eq!(err["status"], "401");

    assert!(
        signal(&mut first, "TERM").success(),
        "SIGTERM is a clean shutdown"
    );
    drop(first);

    // Second start on the same folder: no token is printed, the old one works.
    let mut second = start(&data, &[]);
    let (lines, base) = read_banner(&mut second);
    assert_eq!(
        printed_token(&lines),
        None,
        "the token is shown only once: {lines:?}"
    );
    let read = http
        .get(format!("{base}/Users/{}", body["id"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn a_bootstrap_token_from_the_environment_is_used_and_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let token = "automation-token-5f1e9a0c7d";
    let mut running = start(dir.path(), &[("SCIM_BOOTSTRAP_TOKEN", token)]);
    let (lines, base) = read_banner(&mut running);
    assert!(lines.iter().all(|l| !l.contains(token)), "{lines:?}");
    let response = reqwest::Client::new()
        .get(format!("{base}/Users/none"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[test]
fn help_documents_every_setting() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "--listen",
        "SCIM_LISTEN",
        "--database-url",
        "SCIM_DATABASE_URL",
        "SCIM_DATA_DIR",
        "SCIM_BOOTSTRAP_TOKEN",
        "127.0.0.1:8080",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn invalid_settings_fail_fast_with_a_message() {
    let output = Command::new(BIN)
        .env_clear()
        .args(["--base-path", "no-slash"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--base-path"), "{stderr}");

    let output = Command::new(BIN)
        .env_clear()
        .args(["--database-url", "sqlite:///nonexistent-dir/x/y/scim.db"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
}

#[tokio::test]
async fn custom_user_extensions_load_from_schema_files() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("acme.json");
    std::fs::write(
        &schema,
        r#"{"id":"urn:example:params:scim:schemas:extension:acme:2.0:User","name":"AcmeUser",
            "attributes":[{"name":"badgeNumber","type":"integer","required":false}]}"#,
    )
    .unwrap();
    let token = "extension-test-token-8c1f";
    let mut running = start(
        &dir.path().join("data"),
        &[
            ("SCIM_BOOTSTRAP_TOKEN", token),
            ("SCIM_USER_EXTENSIONS", schema.to_str().unwrap()),
        ],
    );
    let (_, base) = read_banner(&mut running);
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/Users"))
        .bearer_auth(token)
        .header("content-type", "application/scim+json")
        .body(r#"{"userName":"badge","urn:example:params:scim:schemas:extension:acme:2.0:User":{"badgeNumber":42}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        body["urn:example:params:scim:schemas:extension:acme:2.0:User"]["badgeNumber"],
        42
    );
    let schemas: Value = http
        .get(format!(
            "{base}/Schemas/urn:example:params:scim:schemas:extension:acme:2.0:User"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(schemas["attributes"][0]["name"], "badgeNumber");

    // A file that is not a schema stops the server with a message.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a schema\"}").unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .env("SCIM_DATA_DIR", dir.path().join("other"))
        .env("SCIM_USER_EXTENSIONS", &bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a SCIM schema"), "{stderr}");
}

/// Runs an administration command (`tenant ...`, `token ...`) against the
/// data folder; returns the exit code, standard output and standard error.
fn admin(data_dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let data = data_dir.to_string_lossy();
    common::command(&[("SCIM_DATA_DIR", &data)], args)
}

/// An administration command that must succeed; returns its output.
fn admin_ok(data_dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = admin(data_dir, args);
    assert_eq!(code, Some(0), "{args:?} failed: {stderr}");
    stdout
}

/// The status of `GET {url}` with `token`.
async fn status_of(http: &reqwest::Client, url: &str, token: &str) -> u16 {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn operators_onboard_rotate_revoke_and_remove_tenants_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let default_token = "default-tenant-token-3b9d";
    let mut running = start(&data, &[("SCIM_BOOTSTRAP_TOKEN", default_token)]);
    let (_, base) = read_banner(&mut running);
    let http = reqwest::Client::new();

    // Onboarding: the tenant and its token, printed once with the URL.
    let created = admin_ok(&data, &["tenant", "create", "acme"]);
    let acme_token = printed_token(&created.lines().map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_else(|| panic!("no token in {created}"));
    assert_eq!(acme_token.len(), "scim_".len() + 64, "{created}");
    assert!(created.contains("SCIM endpoint: http"), "{created}");
    let (code, _, stderr) = admin(&data, &["tenant", "create", "acme"]);
    assert_eq!(code, Some(1), "a taken name fails");
    assert!(stderr.contains("exists already"), "{stderr}");
    let (code, _, stderr) = admin(&data, &["tenant", "create", "Not Valid"]);
    assert_eq!(code, Some(2), "an invalid name is a usage error");
    assert!(stderr.contains("invalid tenant name"), "{stderr}");

    // The new token provisions into acme, and only there.
    let created_user = http
        .post(format!("{base}/Users"))
        .bearer_auth(&acme_token)
        .header("content-type", "application/scim+json")
        .body(r#"{"userName":"wile@acme.example"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created_user.status(), 201);
    let user: Value = created_user.json().await.unwrap();
    let user_url = format!("{base}/Users/{}", user["id"].as_str().unwrap());
    assert_eq!(status_of(&http, &user_url, &acme_token).await, 200);
    assert_eq!(
        status_of(&http, &user_url, default_token).await,
        404,
        "another tenant's user does not exist for the default tenant"
    );
    // filter=userName eq "wile@acme.example", percent-encoded.
    let found: Value = http
        .get(format!(
            "{base}/Users?filter=userName%20eq%20%22wile%40acme.example%22"
        ))
        .bearer_auth(default_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["totalResults"], 0, "{found}");
    let own: Value = http
        .get(format!(
            "{base}/Users?filter=userName%20eq%20%22wile%40acme.example%22"
        ))
        .bearer_auth(&acme_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["totalResults"], 1, "{own}");

    // The token is listed by its prefix, never in full.
    let listing = admin_ok(&data, &["token", "list", "acme"]);
    assert!(listing.contains(&acme_token[..12]), "{listing}");
    assert!(listing.contains("active"), "{listing}");
    assert!(!listing.contains(&acme_token), "{listing}");
    let listed: Value =
        serde_json::from_str(&admin_ok(&data, &["--json", "token", "list", "acme"])).unwrap();
    let credentials = listed.as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0]["prefix"], acme_token[..12]);
    assert_eq!(credentials[0]["status"], "active");
    let old_id = credentials[0]["id"].as_str().unwrap().to_owned();
    let shown = admin_ok(&data, &["tenant", "show", "acme"]);
    assert!(shown.contains("tokens:      1 (1 active)"), "{shown}");

    // Rotation: the old token works until the new one is first used.
    let rotated: Value = serde_json::from_str(&admin_ok(
        &data,
        &[
            "token",
            "rotate",
            "acme",
            &old_id,
            "--grace-hours",
            "24",
            "--json",
        ],
    ))
    .unwrap();
    let new_token = rotated["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, acme_token);
    assert_eq!(rotated["previous"]["id"], old_id.as_str());
    assert!(rotated["previous"]["expires"].is_string(), "{rotated}");
    assert_eq!(status_of(&http, &user_url, &acme_token).await, 200);
    assert_eq!(status_of(&http, &user_url, &new_token).await, 200);
    assert_eq!(
        status_of(&http, &user_url, &acme_token).await,
        401,
        "the new token's first use confirmed the rotation"
    );

    // Revocation takes effect at once on the running server.
    let spare: Value =
        serde_json::from_str(&admin_ok(&data, &["token", "issue", "acme", "--json"])).unwrap();
    let spare_token = spare["token"].as_str().unwrap();
    assert_eq!(status_of(&http, &user_url, spare_token).await, 200);
    admin_ok(
        &data,
        &[
            "token",
            "revoke",
            "acme",
            spare["credential"]["id"].as_str().unwrap(),
        ],
    );
    assert_eq!(status_of(&http, &user_url, spare_token).await, 401);
    assert_eq!(status_of(&http, &user_url, &new_token).await, 200);
    let listing = admin_ok(&data, &["token", "list", "acme"]);
    assert!(listing.contains("revoked"), "{listing}");

    let tenants: Value =
        serde_json::from_str(&admin_ok(&data, &["tenant", "list", "--json"])).unwrap();
    let names: Vec<&str> = tenants
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["default", "acme"]);

    // Deletion needs --yes, then removes the tenant and its tokens.
    let (code, _, stderr) = admin(&data, &["tenant", "delete", "acme"]);
    assert_eq!(code, Some(2), "no deletion without --yes");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(status_of(&http, &user_url, &new_token).await, 200);
    admin_ok(&data, &["tenant", "delete", "acme", "--yes"]);
    assert_eq!(status_of(&http, &user_url, &new_token).await, 401);
    assert_eq!(
        status_of(&http, &format!("{base}/Users"), default_token).await,
        200,
        "the other tenant keeps working"
    );
    let (code, _, stderr) = admin(&data, &["tenant", "show", "acme"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no tenant named"), "{stderr}");
}

#[test]
fn operators_add_list_and_remove_a_tenants_schema_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    admin_ok(&data, &["tenant", "create", "acme"]);
    let schema = dir.path().join("acme.json");
    std::fs::write(
        &schema,
        r#"{"id":"urn:example:params:scim:schemas:extension:acme:2.0:User","name":"Acme",
            "attributes":[{"name":"costCenter","type":"string"}]}"#,
    )
    .unwrap();
    let added = admin_ok(
        &data,
        &[
            "tenant",
            "extension",
            "add",
            "acme",
            schema.to_str().unwrap(),
        ],
    );
    assert!(added.contains("urn:example:params:scim:schemas:extension:acme:2.0:User"));
    let listed: Value = serde_json::from_str(&admin_ok(
        &data,
        &["tenant", "extension", "list", "acme", "--json"],
    ))
    .unwrap();
    assert_eq!(
        listed,
        serde_json::json!([{
            "resourceType": "User",
            "schema": "urn:example:params:scim:schemas:extension:acme:2.0:User",
            "required": false,
            "attributes": ["costCenter"]
        }])
    );
    let shown = admin_ok(&data, &["tenant", "show", "acme"]);
    assert!(
        shown.contains(
            "extension:   urn:example:params:scim:schemas:extension:acme:2.0:User on User"
        ),
        "{shown}"
    );

    // Mistakes are usage errors (exit code 2) that name the fault.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"id":"not-a-urn","attributes":[]}"#).unwrap();
    let (code, _, stderr) = admin(
        &data,
        &["tenant", "extension", "add", "acme", bad.to_str().unwrap()],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("URN"), "{stderr}");
    let (code, _, stderr) = admin(
        &data,
        &[
            "tenant",
            "extension",
            "add",
            "acme",
            schema.to_str().unwrap(),
            "--resource-type",
            "Printer",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("serves no resource type"), "{stderr}");
    let (code, _, stderr) = admin(
        &data,
        &["tenant", "extension", "remove", "acme", "urn:nope"],
    );
    assert_eq!(code, Some(2), "{stderr}");

    admin_ok(
        &data,
        &[
            "tenant",
            "extension",
            "remove",
            "acme",
            "urn:example:params:scim:schemas:extension:acme:2.0:User",
        ],
    );
    assert_eq!(
        admin_ok(&data, &["tenant", "extension", "list", "acme"]),
        "No schema extensions.\n"
    );
}

#[test]
fn a_config_file_is_read_below_the_environment_and_flags_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scim.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:9100\"\nbase-path = \"/file\"\nrate_limit_per_second = 5\n\
         bootstrap_token = \"file-secret-token\"\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .env("SCIM_CONFIG", &config)
        .env("SCIM_BASE_PATH", "/env")
        .args(["--listen", "127.0.0.1:9200", "config", "check", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!stdout.contains("file-secret-token"), "{stdout}");
    let checked: Value = serde_json::from_str(&stdout).unwrap();
    let setting = |name: &str| checked["settings"][name].clone();
    assert_eq!(
        setting("listen"),
        serde_json::json!({"value": "127.0.0.1:9200", "source": "flag"})
    );
    assert_eq!(
        setting("base_path"),
        serde_json::json!({"value": "/env", "source": "env"})
    );
    assert_eq!(
        setting("rate_limit_per_second"),
        serde_json::json!({"value": 5, "source": "file"})
    );
    assert_eq!(
        setting("bootstrap_token"),
        serde_json::json!({"value": "(set)", "source": "file"})
    );
    assert_eq!(setting("max_body_bytes")["source"], "default");
    assert_eq!(
        checked["resourceTypes"],
        serde_json::json!(["User", "Group"])
    );

    // Mistakes stop the command with exit code 2 and the reason.
    std::fs::write(&config, "rate_limit_per_secnd = 5\n").unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .args(["--config", config.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown setting \"rate_limit_per_secnd\""),
        "{stderr}"
    );
    let missing = dir.path().join("missing.json");
    let output = Command::new(BIN)
        .env_clear()
        .env("SCIM_USER_EXTENSIONS", &missing)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the schema file"));
    // A webhook CA file without a certificate is caught before serving.
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .env("SCIM_WEBHOOK_CA_FILE", &not_pem)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--webhook-ca-file") && stderr.contains("no PEM certificate"),
        "{stderr}"
    );
}
