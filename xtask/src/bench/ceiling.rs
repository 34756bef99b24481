//! The ceiling: a bare axum endpoint that answers `GET
//! /scim/v2/Users/{id}` with a fixed SCIM user (the requested id filled in,
//! so that the load generator's checks pass), with no authentication,
//! storage or validation. It runs as its own process (`cargo xtask
//! bench-ceiling-server --listen ADDR`, hidden from the usage text) so that
//! its CPU time and memory are read exactly like a server's; what it serves
//! is the most this machine, HTTP/1.1 and the load generator allow.
//!
//! It stops when its standard input closes, so that it never outlives the
//! task that started it.

use std::io::Read;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

/// The subcommand that runs the ceiling server.
pub(crate) const SUBCOMMAND: &str = "bench-ceiling-server";

/// Runs the ceiling server with the arguments after its subcommand
/// (`--listen ADDR`) until its standard input closes.
pub(crate) fn serve(args: &[String]) -> Result<(), String> {
    let addr: SocketAddr = match args {
        [flag, addr] if flag == "--listen" => addr
            .parse()
            .map_err(|e| format!("{SUBCOMMAND}: bad address {addr:?}: {e}"))?,
        other => {
            return Err(format!(
                "{SUBCOMMAND}: expected --listen ADDR, got {other:?}"
            ));
        }
    };
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    // The same runtime as the server's `#[tokio::main]`: one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("{SUBCOMMAND}: cannot start a runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("{SUBCOMMAND}: cannot listen on {addr}: {e}"))?;
        axum::serve(listener, router())
            .await
            .map_err(|e| format!("{SUBCOMMAND}: {e}"))
    })
}

/// The ceiling's routes.
fn router() -> Router {
    Router::new()
        .route("/scim/v2/Users/{id}", get(user))
        .route("/scim/v2/ServiceProviderConfig", get(|| async { "{}" }))
}

async fn user(Path(id): Path<String>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/scim+json")], user_json(&id))
}

/// The fixed user, about the size of the server's answer, with `id`.
pub(crate) fn user_json(id: &str) -> String {
    // Ids come from the load generator: UUID-like, nothing to escape; a
    // quote or a backslash would only break this endpoint's own answers.
    format!(
        concat!(
            r#"{{"active":true,"displayName":"Seed User","#,
            r#""emails":[{{"primary":true,"type":"work","value":"user@example.com"}}],"#,
            r#""externalId":"seed-0","id":"{id}","#,
            r#""meta":{{"created":"2026-01-01T00:00:00.000Z","lastModified":"2026-01-01T00:00:00.000Z","#,
            r#""location":"http://127.0.0.1/scim/v2/Users/{id}","resourceType":"User","version":"W/\"1\""}},"#,
            r#""name":{{"familyName":"User","givenName":"Seed"}},"#,
            r#""schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user@example.com"}}"#
        ),
        id = id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_user_is_json_with_the_id() {
        let body: serde_json::Value = serde_json::from_str(&user_json("0193-abc")).unwrap();
        assert_eq!(body["id"], "0193-abc");
        assert_eq!(
            body["meta"]["location"],
            "http://127.0.0.1/scim/v2/Users/0193-abc"
        );
        assert_eq!(body["userName"], "user@example.com");
    }

    #[test]
    fn the_listen_flag_is_required() {
        assert!(serve(&[]).is_err());
        assert!(serve(&["--listen".to_owned(), "nowhere".to_owned()]).is_err());
    }
}
