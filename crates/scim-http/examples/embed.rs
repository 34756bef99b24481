//! Mounting the SCIM endpoints inside a host application's own axum app.
//!
//! A SaaS backend that already serves its product over axum adds SCIM
//! provisioning by nesting [`scim_http::router`] beside its own routes.
//! The router only needs the core services; the services only need the
//! ports. Here the in-memory store from `scim-core`'s `testing` feature
//! stands in for storage (a real application implements
//! `scim_core::ports::ResourceStore` and `TenantStore` over its own
//! database and proves them with `scim_core::testing::contract`), and the
//! identifiers come from the application's own [`IdGenerator`].
//!
//! Run with `cargo run -p scim-http --example embed`, then:
//!
//! ```text
//! curl -H "Authorization: Bearer example-token-change-me" \
//!      http://127.0.0.1:3000/scim/v2/Users
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::routing::get;
use scim_core::ports::{IdGenerator, SystemClock};
use scim_core::testing::MemoryStore;
use scim_core::{AuthService, ResourceKind, ResourceService};
use scim_http::{AppState, HttpConfig};

/// The host application's identifiers: `id-1`, `id-2`, ... (any scheme
/// works as long as ids are unique across tenants and kinds).
#[derive(Default)]
struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> String {
        format!("id-{}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(SequentialIds::default());

    // One tenant per customer directory; each gets its own bearer token.
    let auth = AuthService::new(store.clone(), clock.clone(), ids.clone());
    auth.bootstrap("acme", Some("example-token-change-me"))
        .await?;

    let users = ResourceService::new(
        ResourceKind::User,
        store.clone(),
        clock.clone(),
        ids.clone(),
    );
    let groups = ResourceService::new(ResourceKind::Group, store, clock, ids);
    let scim = scim_http::router(AppState {
        users: Arc::new(users),
        groups: Arc::new(groups),
        custom: Vec::new(),
        auth: Arc::new(auth),
        audit: None,
        config: Arc::new(HttpConfig {
            // Where the application is reachable from identity providers.
            public_url: Some("http://127.0.0.1:3000".to_owned()),
            ..HttpConfig::default()
        }),
    });

    // The application's own routes live beside the SCIM ones.
    let app = Router::new()
        .route("/", get(|| async { "the host application" }))
        .merge(scim);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("SCIM endpoint: http://127.0.0.1:3000/scim/v2");
    axum::serve(listener, app).await?;
    Ok(())
}
