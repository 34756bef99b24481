//! Operational endpoints beside the SCIM API: liveness (`/healthz`),
//! readiness (`/readyz`) and Prometheus metrics (`/metrics`).
//!
//! They sit outside the SCIM base path and need no token: load balancers
//! and scrapers call them. They reveal no tenant data (metric labels are
//! route templates and statuses only).

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use scim_adapter_seaorm::SeaOrmStore;

/// Latency buckets in seconds, from a cached GET to a large bulk request.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone)]
struct Ops {
    store: SeaOrmStore,
    metrics: Option<PrometheusHandle>,
}

/// The operational routes over `store`.
pub(crate) fn router(store: SeaOrmStore) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(Ops {
            store,
            metrics: prometheus().cloned(),
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

/// `GET /metrics`: every metric in the Prometheus text format.
async fn render_metrics(State(ops): State<Ops>) -> Response {
    match ops.metrics {
        Some(handle) => {
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
