//! The `scim-server` binary as an operator runs it: no configuration but a
//! data folder and a port, the token printed once, a SCIM exchange over
//! HTTP, and a clean exit on SIGTERM.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_scim-server");

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path, env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("SCIM_DATA_DIR", data_dir)
        .env("SCIM_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    Running { child, stdout }
}

/// Reads stdout up to the `SCIM endpoint:` line; returns (lines before, URL).
fn read_banner(running: &mut Running) -> (Vec<String>, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "no banner within 60 s: {lines:?}"
        );
        let mut line = String::new();
        let n = running
            .stdout
            .read_line(&mut line)
            .expect("stdout is readable");
        assert!(n > 0, "the server exited before its banner: {lines:?}");
        if let Some(url) = line.trim().strip_prefix("SCIM endpoint: ") {
            return (lines, url.to_owned());
        }
        lines.push(line.trim_end().to_owned());
    }
}

fn printed_token(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("scim_"))
        .map(str::to_owned)
}

fn sigterm(running: &mut Running) -> std::process::ExitStatus {
    let pid = running.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(exit) = running.child.try_wait().expect("wait works") {
            return exit;
        }
        assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
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

    assert!(sigterm(&mut first).success(), "SIGTERM is a clean shutdown");
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
