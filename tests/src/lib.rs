//! Harness for the end-to-end tests: a real server on a real SQLite file,
//! listening on a loopback port, driven over HTTP.

use std::net::SocketAddr;

use scim_core::BootstrapOutcome;
use scim_server::{Server, Settings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Stores `token` as a credential of `tenant` in the database at `url`,
/// unless it is stored already.
async fn accept_token(url: &str, tenant: &scim_core::TenantId, token: &str) {
    use scim_core::ports::{IdGenerator, StoreError, TenantStore, UuidV7Ids};
    let store = scim_adapter_seaorm::SeaOrmStore::connect(url)
        .await
        .expect("the test database is reachable");
    let credential = scim_core::NewCredential {
        id: UuidV7Ids.new_id(),
        tenant_id: tenant.clone(),
        token_hash: scim_core::hash_token(token),
        prefix: token.chars().take(12).collect(),
        created: chrono::Utc::now(),
        expires: None,
        replaces: None,
    };
    match store.add_credential(credential).await {
        Ok(_) | Err(StoreError::Conflict { .. }) => {}
        Err(other) => panic!("cannot store the test token: {other}"),
    }
    let _ = store.close().await;
}

/// A server started in-process through the same code path as the binary.
pub struct TestServer {
    /// The SCIM base URL, e.g. `http://127.0.0.1:41234/scim/v2`.
    pub base: String,
    /// The default tenant's bearer token.
    pub token: String,
    /// The data folder; removed when the server is dropped.
    pub data_dir: tempfile::TempDir,
    /// The origin of the admin API's own listener (`--admin-listen`), e.g.
    /// `http://127.0.0.1:41235`.
    pub admin: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Starts a server with default settings on a fresh data folder and a
    /// free loopback port.
    pub async fn start() -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        Self::start_in(data_dir).await
    }

    /// Starts a server on an existing data folder.
    pub async fn start_in(data_dir: tempfile::TempDir) -> TestServer {
        Self::start_in_with(data_dir, |_| {}).await
    }

    /// Starts a server on a fresh data folder with default settings
    /// changed by `configure`, e.g. without a rate limit for a test that
    /// sends many requests.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        Self::start_in_with(data_dir, configure).await
    }

    async fn start_in_with(
        data_dir: tempfile::TempDir,
        configure: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");
        let mut settings = Settings::with_defaults(data_dir.path(), listen);
        configure(&mut settings);
        let server = Server::start(&settings).await.expect("the server starts");
        let token = match server.bootstrap() {
            BootstrapOutcome::Created {
                generated: Some(issued),
                ..
            } => issued.token.clone(),
            other => panic!("a fresh data folder must bootstrap a generated token, got {other:?}"),
        };
        let base = server.base_url().to_owned();
        let admin = server.admin_addr().map(|addr| format!("http://{addr}"));
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        TestServer {
            base,
            token,
            data_dir,
            admin,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Starts a server on the database at `url` whose `default` tenant
    /// uses `token` (created with it on first start, reused afterwards).
    pub async fn start_on_database(url: &str, token: &str) -> TestServer {
        Self::start_on_database_with(url, token, |_| {}).await
    }

    /// [`TestServer::start_on_database`] with settings changed by
    /// `configure`.
    pub async fn start_on_database_with(
        url: &str,
        token: &str,
        configure: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");
        let mut settings = Settings::with_defaults(data_dir.path(), listen);
        settings.database_url = Some(url.to_owned());
        settings.bootstrap_token = Some(token.to_owned());
        configure(&mut settings);
        let server = Server::start(&settings).await.expect("the server starts");
        if let BootstrapOutcome::Existing(tenant) = server.bootstrap() {
            // Another test (or process) created the shared database's
            // `default` tenant with its own token: make this one work too.
            accept_token(url, &tenant.id, token).await;
        }
        let base = server.base_url().to_owned();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        TestServer {
            base,
            token: token.to_owned(),
            data_dir,
            admin: None,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops serving and waits for the server to finish; returns the data folder.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("the server task does not panic")
                .expect("the server stops cleanly");
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::mem::replace(&mut self.data_dir, dir)
    }

    /// The URL of `path` under the SCIM base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An HTTP client.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }
}

/// Percent-encodes everything but unreserved characters, as identity
/// providers encode query parameters.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends a request with the bearer `token` (if any) and a JSON `body` (if
/// any) of media type `content_type`; returns the status and the answer
/// as JSON (`Value::Null` when empty). Panics on a body that is not JSON.
pub async fn send_json(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_string());
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let text = response.text().await.expect("the body is readable");
    let value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    (status, value)
}
