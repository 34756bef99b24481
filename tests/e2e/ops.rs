//! The operational endpoints over real HTTP: liveness, readiness and
//! Prometheus metrics.

use reqwest::StatusCode;
use scim_tests::TestServer;

fn origin(server: &TestServer) -> String {
    server.base.trim_end_matches("/scim/v2").to_owned()
}

#[tokio::test]
async fn health_and_readiness_need_no_token() {
    let server = TestServer::start().await;
    let http = server.client();
    let health = http
        .get(format!("{}/healthz", origin(&server)))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let ready = http
        .get(format!("{}/readyz", origin(&server)))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let server = TestServer::start().await;
    let http = server.client();
    // A status no other test of this binary provokes on this route.
    let missing = http
        .delete(server.url("/Groups/no-such-group-for-metrics"))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let metrics = http
        .get(format!("{}/metrics", origin(&server)))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.text().await.unwrap();
    let counted = text.lines().find(|line| {
        line.starts_with("scim_http_requests_total{")
            && line.contains(r#"method="DELETE""#)
            && line.contains(r#"route="/scim/v2/Groups/{id}""#)
            && line.contains(r#"status="404""#)
    });
    let value: f64 = counted
        .unwrap_or_else(|| panic!("no DELETE /Groups/{{id}} 404 counter in:\n{text}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(value >= 1.0);
    // The raw id never becomes a label: label sets stay bounded.
    assert!(!text.contains("no-such-group-for-metrics"));
    assert!(text.contains("scim_http_request_duration_seconds_bucket{"));
}
