//! The database going away under a running server, and coming back: the
//! server answers 503 with a SCIM Error and `Retry-After` meanwhile (never
//! a 500), `/readyz` says so, and it recovers by itself.
//!
//! PostgreSQL is reached through a TCP relay on loopback that the test
//! cuts and restores, so that the shared database service stays up for
//! the other tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use scim_tests::TestServer;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::backends::{TOKEN, database_url};

/// A TCP relay to `target` that can be cut (every connection dropped, new
/// ones closed at once) and restored.
struct Relay {
    addr: SocketAddr,
    up: watch::Sender<bool>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, watching) = watch::channel(true);
        tokio::spawn(async move {
            let mut links = JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !*watching.borrow() {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let mut cut = watching.clone();
                links.spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Relay { addr, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

/// `url` with its `host:port` replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, rest) = match rest.split_once('@') {
        Some((user, rest)) => (format!("{user}@"), rest),
        None => (String::new(), rest),
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    (format!("{scheme}://{userinfo}{addr}/{path}"), host)
}

async fn create(server: &TestServer, name: &str) -> reqwest::Response {
    server
        .client()
        .post(server.url("/Users"))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, "application/scim+json")
        .body(json!({"userName": name}).to_string())
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap()
}

fn origin(base: &str) -> &str {
    let start = base.find("://").map_or(0, |i| i + 3);
    base[start..].find('/').map_or(base, |i| &base[..start + i])
}

#[tokio::test]
async fn a_lost_database_is_503_with_retry_after_and_the_server_recovers_by_itself() {
    let Some(url) = database_url("SCIM_TEST_POSTGRES_URL") else {
        return;
    };
    let (_, target) = through(&url, "127.0.0.1:1".parse().unwrap());
    let relay = Arc::new(Relay::start(target).await);
    let (relayed, _) = through(&url, relay.addr);
    let server = TestServer::start_on_database(&relayed, TOKEN).await;
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let ready = format!("{}/readyz", origin(&server.base));
    let http = server.client();

    let before = create(&server, &format!("before-{run}")).await;
    assert_eq!(before.status(), StatusCode::CREATED);
    let before: Value = before.json().await.unwrap();
    assert_eq!(
        http.get(&ready).send().await.unwrap().status(),
        StatusCode::OK
    );

    relay.set(false);
    let response = create(&server, &format!("during-{run}")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(RETRY_AFTER));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], "503");
    let read = http
        .get(server.url(&format!("/Users/{}", before["id"].as_str().unwrap())))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        http.get(&ready).send().await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    // Back: the server reconnects without a restart; no answer on the way
    // is a 500.
    relay.set(true);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let response = create(&server, &format!("after-{attempt}-{run}")).await;
        let status = response.status();
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
        if status == StatusCode::CREATED {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "no recovery within 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        http.get(&ready).send().await.unwrap().status(),
        StatusCode::OK
    );
    let read = http
        .get(server.url(&format!("/Users/{}", before["id"].as_str().unwrap())))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    server.stop().await;
}
