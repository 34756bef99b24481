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

/// The value of the sample `series` (a metric name with its labels, as
/// rendered) in a Prometheus text page.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

async fn scrape(server: &TestServer) -> String {
    let response = server
        .client()
        .get(format!("{}/metrics", origin(server)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// Scrapes until `expected` holds (the backlog is read at most once a
/// second), for at most ten seconds; returns the last page.
async fn scrape_until(server: &TestServer, what: &str, expected: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = scrape(server).await;
        if expected(&text) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn metrics_report_the_database_pool_and_the_webhook_backlog() {
    use scim_server::{Settings, WebhookCommand, admin};
    let server = TestServer::start_with(|settings| {
        settings.webhook_poll_millis = 50;
        settings.webhook_settle_millis = 0;
        settings.rate_limit_per_second = 0;
    })
    .await;
    let text = scrape(&server).await;
    let open = sample(&text, "scim_db_pool_connections_open").unwrap();
    let idle = sample(&text, "scim_db_pool_connections_idle").unwrap();
    assert_eq!(sample(&text, "scim_db_pool_connections_max"), Some(10.0));
    assert!((1.0..=10.0).contains(&open) && idle <= open, "{text}");
    // No webhooks: nothing is owed to anyone.
    assert_eq!(sample(&text, "scim_webhook_backlog_events"), Some(0.0));
    for state in ["active", "failing", "disabled"] {
        assert_eq!(
            sample(&text, &format!("scim_webhooks{{state=\"{state}\"}}")),
            Some(0.0),
            "{text}"
        );
    }

    // A webhook to a closed port: the events it cannot deliver pile up.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let settings = Settings::with_defaults(server.data_dir.path(), "127.0.0.1:0".parse().unwrap());
    let created: serde_json::Value = serde_json::from_str(
        &admin::webhook(
            &settings,
            &WebhookCommand::Create {
                tenant: "default".into(),
                url: format!("http://127.0.0.1:{port}/hook"),
                after: None,
            },
            true,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let id = created["webhook"]["id"].as_str().unwrap().to_owned();
    for i in 0..3 {
        let response = server
            .client()
            .post(server.url("/Users"))
            .bearer_auth(&server.token)
            .header("content-type", "application/scim+json")
            .body(
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("owed-{i}@example.com"),
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    scrape_until(&server, "three events are owed to one webhook", |text| {
        sample(text, "scim_webhook_backlog_events") == Some(3.0)
            && sample(text, r#"scim_webhooks{state="active"}"#) == Some(1.0)
    })
    .await;

    // Disabled, it owes nothing (its events wait) and is counted as such.
    admin::webhook(
        &settings,
        &WebhookCommand::Disable {
            tenant: "default".into(),
            id,
        },
        false,
    )
    .await
    .unwrap();
    scrape_until(&server, "the disabled webhook is counted", |text| {
        sample(text, "scim_webhook_backlog_events") == Some(0.0)
            && sample(text, r#"scim_webhooks{state="disabled"}"#) == Some(1.0)
            && sample(text, r#"scim_webhooks{state="active"}"#) == Some(0.0)
    })
    .await;
    server.stop().await;
}
