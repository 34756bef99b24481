//! The SCIM server: reads settings, opens storage, wires the core services
//! to the HTTP router and serves.
//!
//! This is the only crate that reads configuration or names concrete
//! adapter types. The binary (`src/main.rs`) parses flags and environment
//! variables into [`Settings`]; tests and embedders can build [`Settings`]
//! directly and call [`Server::start`]. The operator's `tenant`, `token`
//! and `client` commands live in [`admin`].
#![deny(missing_docs)]

pub mod admin;
mod jwks;
mod ops;
mod settings;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::ports::{SystemClock, UuidV7Ids};
use scim_core::{AuthService, BootstrapOutcome, ResourceService};
use scim_http::{AppState, HttpConfig};
use tokio::net::TcpListener;

pub use settings::{
    Cli, ClientCommand, Command, DeleteModeArg, DuplicatesArg, ExtensionCommand, IdpArg, LogFormat,
    Settings, StrictnessArg, TenantCommand, TokenCommand, TrustCommand,
};

/// The tenant created on first start.
pub const DEFAULT_TENANT: &str = "default";

/// A server that has opened its database, applied migrations, made sure the
/// default tenant exists and bound its listener, ready to serve.
pub struct Server {
    listener: TcpListener,
    router: axum::Router,
    store: SeaOrmStore,
    bootstrap: BootstrapOutcome,
    base_url: String,
}

impl Server {
    /// Prepares everything that can fail before serving: storage,
    /// migrations, the default tenant and the listening socket.
    pub async fn start(settings: &Settings) -> anyhow::Result<Server> {
        let types = settings.resource_types()?;
        let store = open_and_migrate(settings).await?;
        let store_arc = Arc::new(store.clone());
        let clock = Arc::new(SystemClock);
        let ids = Arc::new(UuidV7Ids);
        let auth = AuthService::new(store_arc.clone(), clock.clone(), ids.clone())
            .with_oauth(settings.oauth()?, Some(Arc::new(jwks::HttpJwks::new()?)));
        let bootstrap = auth
            .bootstrap(DEFAULT_TENANT, settings.bootstrap_token.as_deref())
            .await
            .context("cannot create the default tenant")?;
        let mut services = types.into_iter().map(|resource_type| {
            Arc::new(
                ResourceService::for_type(
                    resource_type,
                    store_arc.clone(),
                    clock.clone(),
                    ids.clone(),
                )
                .with_tenant_policies(store_arc.clone()),
            )
        });
        let (Some(users), Some(groups)) = (services.next(), services.next()) else {
            anyhow::bail!("the User and Group resource types are missing");
        };
        let custom: Vec<_> = services.collect();

        let http = HttpConfig {
            base_path: settings.base_path.clone(),
            public_url: settings.public_url.clone(),
            max_body_bytes: settings.max_body_bytes,
            rate_limit: settings.rate_limit(),
            request_timeout: std::time::Duration::from_secs(settings.request_timeout_secs),
            max_concurrent_requests: settings.max_concurrent_requests,
            bulk_max_operations: settings.bulk_max_operations,
            bulk_max_payload_bytes: settings.bulk_max_payload_bytes,
            ..HttpConfig::default()
        };
        let router = scim_http::router(AppState {
            users,
            groups,
            custom,
            auth: Arc::new(auth),
            config: Arc::new(http),
        })
        .merge(ops::router(store.clone()));
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let base_url = match &settings.public_url {
            Some(origin) => format!("{}{}", origin.trim_end_matches('/'), settings.base_path),
            None => format!("http://{addr}{}", settings.base_path),
        };
        Ok(Server {
            listener,
            router,
            store,
            bootstrap,
            base_url,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The SCIM base URL clients should use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// What first-start bootstrap did; holds the generated token, if any.
    pub fn bootstrap(&self) -> &BootstrapOutcome {
        &self.bootstrap
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests
    /// and closes the database pool.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(url = %self.base_url, "serving SCIM");
        let upkeep = tokio::spawn(ops::upkeep());
        let planner = tokio::spawn(refresh_statistics(self.store.clone()));
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("the HTTP server failed");
        upkeep.abort();
        planner.abort();
        served?;
        self.store
            .close()
            .await
            .context("cannot close the database")?;
        Ok(())
    }
}

/// Keeps the query planner's statistics current as the data grows (an
/// initial sync takes a directory from nothing to a million users within
/// one run), so that filters keep using their indexes.
async fn refresh_statistics(store: SeaOrmStore) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        tick.tick().await;
        if let Err(err) = store.optimize().await {
            tracing::warn!(error = %err, "cannot refresh the query planner's statistics");
        }
    }
}

/// Applies migrations and exits: for deployments that migrate as a step of
/// their own.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = open_and_migrate(settings).await?;
    store.close().await.context("cannot close the database")?;
    Ok(())
}

/// Connects to the configured database and applies pending migrations.
async fn open_and_migrate(settings: &Settings) -> anyhow::Result<SeaOrmStore> {
    let store = SeaOrmStore::connect(&settings.database_url()?)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                settings.redacted_database_url()
            )
        })?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}
