//! Clients that connect and then dawdle cannot hold the server: headers
//! have a deadline, idle connections are closed, and open connections are
//! bounded.

use std::time::Duration;

use scim_tests::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn address(base: &str) -> String {
    let rest = &base[base.find("://").map_or(0, |i| i + 3)..];
    rest[..rest.find('/').unwrap_or(rest.len())].to_owned()
}

/// Reads until the server closes the connection; what it sent meanwhile.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&seen).into_owned(),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn half_sent_headers_and_idle_connections_are_closed_at_the_deadline() {
    let server = TestServer::start_with(|s| s.header_read_timeout_secs = 1).await;
    let at = address(&server.base);

    // Slowloris: a request line and one header, then nothing more.
    let mut slow = TcpStream::connect(&at).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(20), until_closed(&mut slow)).await;
    assert!(closed.is_ok(), "a half-sent request is cut off");

    // A connection that never sends anything is closed too.
    let mut idle = TcpStream::connect(&at).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(20), until_closed(&mut idle)).await;
    assert!(closed.is_ok(), "an idle connection is closed");

    // Prompt clients are served as before.
    let ok = reqwest::get(format!("http://{at}/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let server = TestServer::start_with(|s| {
        s.max_connections = 2;
        s.header_read_timeout_secs = 300;
    })
    .await;
    let at = address(&server.base);
    let first = TcpStream::connect(&at).await.unwrap();
    let second = TcpStream::connect(&at).await.unwrap();
    // Give the server the moment it needs to accept both.
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A third client is not served while two idle ones hold every slot...
    let third = tokio::spawn({
        let at = at.clone();
        async move {
            let mut stream = TcpStream::connect(&at).await.unwrap();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            until_closed(&mut stream).await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "served beyond the connection limit");

    // ...and is served as soon as one of them leaves.
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(20), third)
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(second);
    server.stop().await;
}
