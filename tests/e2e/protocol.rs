//! Protocol behaviour over real HTTP that identity providers depend on:
//! rate limiting with `Retry-After`, and ETag preconditions.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, RETRY_AFTER};
use scim_tests::TestServer;
use serde_json::{Value, json};

const SCIM_JSON: &str = "application/scim+json";

#[tokio::test]
async fn a_burst_over_the_rate_limit_gets_429_then_is_served() {
    let server = TestServer::start_with(|settings| {
        settings.rate_limit_per_second = 1;
        settings.rate_limit_burst = 3;
    })
    .await;
    let http = server.client();
    let sends = (0..20).map(|_| {
        http.get(server.url("/Users?count=1"))
            .bearer_auth(&server.token)
            .send()
    });
    let responses = futures_join_all(sends).await;
    let mut served = 0;
    let mut limited = Vec::new();
    for response in responses {
        match response.status() {
            StatusCode::OK => served += 1,
            StatusCode::TOO_MANY_REQUESTS => limited.push(response),
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(served >= 3, "the burst is served: {served}");
    assert!(
        !limited.is_empty(),
        "beyond the burst, requests are limited"
    );
    let first = limited.remove(0);
    let wait: u64 = first.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    assert!(
        first.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(SCIM_JSON)
    );
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["status"], "429");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );

    // A client that honours Retry-After is served again.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let again = http
        .get(server.url("/Users?count=1"))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

/// Runs the requests concurrently and collects the responses in order.
async fn futures_join_all<F>(requests: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn etags_guard_concurrent_changes() {
    let server = TestServer::start().await;
    let http = server.client();
    let created = http
        .post(server.url("/Users"))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, SCIM_JSON)
        .body(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "etag.user"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let v1 = created.headers()[ETAG].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    let url = server.url(&format!("/Users/{}", body["id"].as_str().unwrap()));

    // The client's copy is current: 304 without a body.
    let cached = http
        .get(&url)
        .bearer_auth(&server.token)
        .header(IF_NONE_MATCH, &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers()[ETAG], v1.as_str());

    let patch = |version: &str, active: bool| {
        http.patch(&url)
            .bearer_auth(&server.token)
            .header(CONTENT_TYPE, SCIM_JSON)
            .header(IF_MATCH, version)
            .body(
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": active}]
                })
                .to_string(),
            )
            .send()
    };
    // Two writers read v1; the first wins, the second gets 412.
    let first = patch(&v1, false).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let v2 = first.headers()[ETAG].to_str().unwrap().to_owned();
    assert_ne!(v1, v2);
    let second = patch(&v1, true).await.unwrap();
    assert_eq!(second.status(), StatusCode::PRECONDITION_FAILED);
    let error: Value = second.json().await.unwrap();
    assert_eq!(error["status"], "412");

    // The loser re-reads and retries with the current version.
    let stale_delete = http
        .delete(&url)
        .bearer_auth(&server.token)
        .header(IF_MATCH, &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(stale_delete.status(), StatusCode::PRECONDITION_FAILED);
    let retried = patch(&v2, true).await.unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    let current: Value = retried.json().await.unwrap();
    assert_eq!(current["active"], true);
    // A stale If-None-Match gets the full resource.
    let fresh = http
        .get(&url)
        .bearer_auth(&server.token)
        .header(IF_NONE_MATCH, &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
}
