//! The SCIM server: reads settings, opens storage, wires the core services
//! to the HTTP router and serves.
//!
//! This is the only crate that reads configuration or names concrete
//! adapter types. The binary (`src/main.rs`) parses flags and environment
//! variables into [`Settings`]; tests and embedders can build [`Settings`]
//! directly and call [`Server::start`]. The operator's commands (`tenant`,
//! `token`, `client`, `webhook`, `events`, `audit`, `purge`, `config`)
//! live in [`admin`].
//!
//! Besides HTTP, a served server runs background tasks: the metrics
//! upkeep, the query planner's statistics, and webhook delivery workers
//! (`--webhook-workers`), which claim due webhooks in the shared database
//! so that several replicas deliver each webhook one at a time.
#![deny(missing_docs)]

pub mod admin;
mod admin_api;
mod jwks;
mod listen;
mod ops;
mod settings;
mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::ports::{IdGenerator as _, SystemClock, UuidV7Ids};
use scim_core::{AuditService, AuthService, BootstrapOutcome, DeliveryWorker, ResourceService};
use scim_http::{AppState, HttpConfig};
use tokio::net::TcpListener;

pub use settings::{
    Cli, ClientCommand, Command, ConfigCommand, DeleteModeArg, DuplicatesArg, ExtensionCommand,
    FeedArgs, IdpArg, LoadError, LogFormat, PurgeArgs, Settings, StrictnessArg, TenantCommand,
    TokenCommand, TrustCommand, WebhookCommand,
};

/// The tenant created on first start.
pub const DEFAULT_TENANT: &str = "default";

/// A server that has opened its database, applied migrations, made sure the
/// default tenant exists and bound its listener, ready to serve.
pub struct Server {
    listener: TcpListener,
    router: axum::Router,
    /// The admin API's own listener and routes, with `--admin-listen`.
    admin: Option<(TcpListener, axum::Router)>,
    limits: listen::Limits,
    store: SeaOrmStore,
    bootstrap: BootstrapOutcome,
    base_url: String,
    delivery: DeliveryWorker,
    webhook_workers: usize,
    webhook_poll: std::time::Duration,
}

impl Server {
    /// Prepares everything that can fail before serving: storage,
    /// migrations, the default tenant and the listening socket.
    pub async fn start(settings: &Settings) -> anyhow::Result<Server> {
        let types = settings.resource_types()?;
        let served_types = Arc::new(types.clone());
        let store = open_and_migrate(settings).await?;
        let store_arc = Arc::new(store.clone());
        let clock = Arc::new(SystemClock);
        let ids = Arc::new(UuidV7Ids);
        let auth = Arc::new(
            AuthService::new(store_arc.clone(), clock.clone(), ids.clone())
                .with_oauth(settings.oauth()?, Some(Arc::new(jwks::HttpJwks::new()?))),
        );
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
            auth: auth.clone(),
            audit: Some(Arc::new(AuditService::new(
                store_arc.clone(),
                clock.clone(),
            ))),
            config: Arc::new(http),
        })
        .merge(ops::router(
            store.clone(),
            settings.delivery().failing_after,
        ));
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let base_url = format!("{}{}", settings.origin(addr), settings.base_path);
        let mut router = router;
        let mut admin = None;
        if let Some(token) = &settings.admin_token {
            let api = admin_api::router(admin_api::AdminApi {
                auth,
                token_hash: scim_core::hash_token(token.trim()).into(),
                scim_url: base_url.clone().into(),
                token_endpoint: settings.token_endpoint_at(addr).into(),
                types: served_types,
                store: store_arc.clone(),
                delivery: settings.delivery(),
            });
            match settings.admin_listen {
                Some(at) => {
                    let listener = TcpListener::bind(at)
                        .await
                        .with_context(|| format!("cannot listen on {at} for the admin API"))?;
                    admin = Some((listener, api.fallback(admin_api::not_found)));
                }
                None => router = router.merge(api),
            }
        }
        // Each replica (each start) delivers under its own name.
        let delivery = DeliveryWorker::new(
            store_arc.clone(),
            store_arc.clone(),
            Arc::new(
                webhooks::HttpTransport::new(settings.webhook_ca_file.as_deref())
                    .context("cannot set up webhook delivery")?,
            ),
            clock.clone(),
            format!("replica-{}", UuidV7Ids.new_id()),
            settings.delivery(),
        );
        Ok(Server {
            listener,
            router,
            admin,
            limits: listen::Limits {
                max_connections: settings.max_connections,
                header_read_timeout: std::time::Duration::from_secs(
                    settings.header_read_timeout_secs,
                ),
            },
            store,
            bootstrap,
            base_url,
            delivery,
            webhook_workers: settings.webhook_workers,
            webhook_poll: std::time::Duration::from_millis(settings.webhook_poll_millis),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The address of the admin API's own listener, with `--admin-listen`.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
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
    /// and webhook deliveries, and closes the database pool.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(url = %self.base_url, "serving SCIM");
        let upkeep = tokio::spawn(ops::upkeep());
        let planner = tokio::spawn(refresh_statistics(self.store.clone()));
        // Both listeners stop together: the admin one when the SCIM one is
        // told to; the webhook workers after both.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let timeout = self.delivery.config().timeout;
        let mut deliveries = webhooks::spawn(
            self.delivery,
            self.webhook_workers,
            self.webhook_poll,
            stopped.clone(),
        );
        let (stop_listeners, listeners_stopped) = tokio::sync::watch::channel(false);
        let limits = self.limits;
        let admin = self.admin.map(|(listener, router)| {
            let mut stopped = listeners_stopped.clone();
            tokio::spawn(listen::serve(listener, router, limits, async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        });
        listen::serve(self.listener, self.router, limits, async move {
            shutdown.await;
            let _ = stop_listeners.send(true);
        })
        .await;
        let admin_stopped = match admin {
            Some(admin) => admin
                .await
                .map_err(|err| anyhow::anyhow!("the admin HTTP server stopped: {err}")),
            None => Ok(()),
        };
        upkeep.abort();
        planner.abort();
        // Let deliveries under way finish (their receivers have `timeout`
        // to answer), so that their attempts are recorded and their
        // leases released; then give up on them.
        let _ = stop.send(true);
        let finished = tokio::time::timeout(timeout + std::time::Duration::from_secs(5), async {
            while deliveries.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!("webhook deliveries did not finish in time; their leases will expire");
            deliveries.abort_all();
        }
        admin_stopped?;
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
