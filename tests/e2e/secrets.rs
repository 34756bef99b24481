//! Secrets never reach the logs: a full provisioning session runs with
//! every log event of the process captured at TRACE level, and neither
//! the bearer token nor any password sent by the client appears in it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use scim_tests::TestServer;
use serde_json::json;

/// Log output, scanned as it is written for the strings it must not
/// contain and for one it must (so that the check cannot pass by
/// capturing nothing).
#[derive(Clone, Default)]
struct Scanner(Arc<Mutex<Scan>>);

#[derive(Default)]
struct Scan {
    secrets: Vec<String>,
    marker: String,
    leaked: Vec<String>,
    marker_seen: bool,
}

impl Write for Scanner {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        if let Ok(mut scan) = self.0.lock() {
            let hits: Vec<String> = scan
                .secrets
                .iter()
                .filter(|s| text.contains(s.as_str()))
                .cloned()
                .collect();
            scan.leaked.extend(hits);
            if !scan.marker.is_empty() && text.contains(&scan.marker) {
                scan.marker_seen = true;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tokens_and_passwords_never_reach_the_logs() {
    let scanner = Scanner::default();
    let writer = scanner.clone();
    // The process's only subscriber: no other test installs one.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();

    let server = TestServer::start().await;
    let password = "Pa55-w0rd-that-must-never-be-logged-3f9a";
    let replacement = "An0ther-secret-p4ssword-8c1e";
    let request_id = "log-scan-marker-5d2b7e";
    if let Ok(mut scan) = scanner.0.lock() {
        scan.secrets = vec![
            server.token.clone(),
            password.to_owned(),
            replacement.to_owned(),
        ];
        scan.marker = request_id.to_owned();
    }

    let http = server.client();
    let created = http
        .post(server.url("/Users"))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, "application/scim+json")
        .header("x-request-id", request_id)
        .body(
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "logged.user",
                "password": password
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: serde_json::Value = created.json().await.unwrap();
    assert!(body.get("password").is_none());
    let url = server.url(&format!("/Users/{}", body["id"].as_str().unwrap()));
    for (op, value) in [
        ("replace", json!({"path": "password", "value": replacement})),
        ("replace", json!({"value": {"password": password}})),
    ] {
        let mut operation = value;
        operation["op"] = json!(op);
        let reply = http
            .patch(&url)
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, "application/scim+json")
            .body(
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [operation]
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
    }
    // A wrong token and a malformed body log their refusals too.
    let refused = http
        .get(server.url("/Users"))
        .bearer_auth(format!("{}x", server.token))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let bad = http
        .post(server.url("/Users"))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, "application/scim+json")
        .body(format!(r#"{{"userName": "x", "password": "{password}""#))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    server.stop().await;

    let scan = scanner.0.lock().unwrap();
    assert!(scan.marker_seen, "the session's requests were not logged");
    assert!(
        scan.leaked.is_empty(),
        "secrets found in the logs: {} occurrence(s)",
        scan.leaked.len()
    );
}
