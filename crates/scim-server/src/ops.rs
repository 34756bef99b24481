//! Operational endpoints beside the SCIM API: liveness (`/healthz`),
//! readiness (`/readyz`) and Prometheus metrics (`/metrics`).
//!
//! They sit outside the SCIM base path and need no token: load balancers
//! and scrapers call them. They reveal no tenant data (metric labels are
//! route templates and statuses only).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::WebhookBacklog;
use scim_core::ports::WebhookStore as _;

/// Connections the database pool holds, in use or idle.
pub(crate) const DB_POOL_OPEN: &str = "scim_db_pool_connections_open";
/// Pooled connections waiting for work.
pub(crate) const DB_POOL_IDLE: &str = "scim_db_pool_connections_idle";
/// The most connections the pool opens.
pub(crate) const DB_POOL_MAX: &str = "scim_db_pool_connections_max";
/// Events not yet delivered, summed over enabled webhooks of every tenant.
pub(crate) const WEBHOOK_BACKLOG: &str = "scim_webhook_backlog_events";
/// Webhooks of every tenant by `state`: `active`, `failing`, `disabled`.
pub(crate) const WEBHOOKS: &str = "scim_webhooks";

/// The least time between two reads of the webhook backlog: `/metrics`
/// needs no token, so a flood of scrapes must not become a flood of
/// queries.
const BACKLOG_MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest a scrape waits for the backlog query; a slow database
/// leaves the previous figures in place rather than stalling the scrape.
const BACKLOG_TIMEOUT: Duration = Duration::from_secs(5);

/// Latency buckets in seconds, from a cached GET to a large bulk request.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone)]
struct Ops {
    store: SeaOrmStore,
    metrics: Option<PrometheusHandle>,
    /// Consecutive failures from which a webhook counts as failing.
    failing_after: u32,
    /// The last backlog read, and when it was read.
    backlog: Arc<Mutex<Option<(Instant, WebhookBacklog)>>>,
}

/// The operational routes over `store`; webhooks with `failing_after`
/// consecutive failures are reported as failing.
pub(crate) fn router(store: SeaOrmStore, failing_after: u32) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(Ops {
            store,
            metrics: prometheus().cloned(),
            failing_after,
            backlog: Arc::default(),
        })
}

/// The process-wide Prometheus recorder, installed on first use. `None`
/// when the host process installed another `metrics` recorder first.
pub(crate) fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(scim_http::metrics::DURATION.to_owned()),
                    LATENCY_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => Some(handle),
                Err(err) => {
                    tracing::warn!(error = %err, "metrics are not exported: {err}");
                    None
                }
            }
        })
        .as_ref()
}

/// Keeps histogram storage bounded between scrapes.
pub(crate) async fn upkeep() {
    let Some(handle) = prometheus() else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}

/// `GET /healthz`: the process is up and serving.
async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 when the database answers and its schema is current,
/// 503 with the reason otherwise, so that a load balancer sends traffic
/// only to replicas that can serve it.
async fn readyz(State(ops): State<Ops>) -> Response {
    if let Err(err) = ops.store.ping().await {
        tracing::warn!(error = %err, "not ready: the database does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database does not answer\n",
        )
            .into_response();
    }
    match ops.store.pending_migrations().await {
        Ok(0) => "ready\n".into_response(),
        Ok(n) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {n} database migrations are pending\n"),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: cannot read the migration state");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: cannot read the migration state\n",
            )
                .into_response()
        }
    }
}

/// Sets the gauges of the database pool and the webhook backlog.
///
/// They are read when `/metrics` is scraped rather than by a periodic
/// task: the figures are as fresh as the scrape, nothing runs when nobody
/// scrapes, and the scrape interval (typically 15 to 60 s) already paces
/// the one query. The pool's figures cost no query. The backlog query runs
/// at most once per [`BACKLOG_MIN_INTERVAL`], bounded by
/// [`BACKLOG_TIMEOUT`]; when it fails the last figures stay and a warning
/// is logged.
async fn refresh_gauges(ops: &Ops) {
    let pool = ops.store.pool_status();
    metrics::gauge!(DB_POOL_OPEN).set(f64::from(pool.open));
    metrics::gauge!(DB_POOL_IDLE).set(f64::from(pool.idle));
    metrics::gauge!(DB_POOL_MAX).set(f64::from(pool.max));
    let cached = *ops.backlog.lock().unwrap_or_else(|p| p.into_inner());
    let backlog = match cached {
        Some((at, backlog)) if at.elapsed() < BACKLOG_MIN_INTERVAL => Some(backlog),
        _ => {
            let read = tokio::time::timeout(
                BACKLOG_TIMEOUT,
                ops.store.webhook_backlog(ops.failing_after),
            )
            .await;
            match read {
                Ok(Ok(backlog)) => {
                    *ops.backlog.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((Instant::now(), backlog));
                    Some(backlog)
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "cannot read the webhook backlog for /metrics");
                    cached.map(|(_, backlog)| backlog)
                }
                Err(_) => {
                    tracing::warn!("the webhook backlog query for /metrics timed out");
                    cached.map(|(_, backlog)| backlog)
                }
            }
        }
    };
    if let Some(backlog) = backlog {
        // u64 to f64: exact up to 2^53, far beyond any backlog.
        metrics::gauge!(WEBHOOK_BACKLOG).set(backlog.pending_events as f64);
        for (state, n) in [
            ("active", backlog.active),
            ("failing", backlog.failing),
            ("disabled", backlog.disabled),
        ] {
            metrics::gauge!(WEBHOOKS, "state" => state).set(n as f64);
        }
    }
}

/// `GET /metrics`: every metric in the Prometheus text format.
async fn render_metrics(State(ops): State<Ops>) -> Response {
    // Gauges are process-wide: scrapes take turns, so that each renders
    // the figures it set (several servers in one process, as in tests).
    static SCRAPE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    match &ops.metrics {
        Some(handle) => {
            let _turn = SCRAPE.lock().await;
            refresh_gauges(&ops).await;
            handle.run_upkeep();
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                handle.render(),
            )
                .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            "metrics are exported by the host process's own recorder\n",
        )
            .into_response(),
    }
}
