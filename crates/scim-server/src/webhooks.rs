//! Webhook delivery in the server: the HTTP transport (reqwest) and the
//! background workers that claim due webhooks until shutdown.

use std::time::Duration;

use async_trait::async_trait;
use scim_core::ports::{TransportError, WebhookRequest, WebhookTransport};
use scim_core::{Delivery, DeliveryOutcome, DeliveryWorker};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Deliveries by outcome: `delivered` or `failed`.
pub(crate) const DELIVERIES: &str = "scim_webhook_deliveries_total";
/// Events delivered (taken by a receiver).
pub(crate) const EVENTS_DELIVERED: &str = "scim_webhook_events_delivered_total";

/// Whether this build can deliver to `https://` URLs. reqwest's TLS
/// features compile aws-lc-sys by default; until a ring-based setup is
/// wired in, webhooks go over plain HTTP only.
pub(crate) const HTTPS: bool = false;

/// POSTs webhook requests with reqwest: no redirects, no proxy from the
/// environment, the request's timeout.
pub(crate) struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!(
                "scim-server/",
                env!("CARGO_PKG_VERSION"),
                " webhooks"
            ))
            .build()?;
        Ok(HttpTransport { client })
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(&self, request: WebhookRequest) -> Result<u16, TransportError> {
        let mut builder = self
            .client
            .post(&request.url)
            .timeout(request.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.body(request.body).send().await.map_err(describe)?;
        let status = response.status().as_u16();
        // Read (and drop) the answer within the timeout, so that the
        // connection can be reused.
        let _ = response.bytes().await;
        Ok(status)
    }
}

/// A transport error without its URL (which may carry credentials), with
/// its causes.
fn describe(err: reqwest::Error) -> TransportError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_builder() {
        "invalid request"
    } else {
        "request failed"
    };
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError(message)
}

/// Runs `workers` delivery loops until `stop` turns true; each finishes
/// the delivery it is in before it stops, so that no lease is left held.
pub(crate) fn spawn(
    worker: DeliveryWorker,
    workers: usize,
    poll: Duration,
    stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for _ in 0..workers {
        set.spawn(deliver_until_stopped(worker.clone(), poll, stop.clone()));
    }
    set
}

async fn deliver_until_stopped(
    worker: DeliveryWorker,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = match worker.deliver_next().await {
            Ok(Some(delivery)) => {
                record(&delivery);
                None
            }
            Ok(None) => Some(poll),
            Err(err) => {
                tracing::warn!(error = %err, "webhook delivery failed");
                Some(poll)
            }
        };
        if let Some(wait) = wait {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// Logs and counts one delivery step.
fn record(delivery: &Delivery) {
    match &delivery.outcome {
        DeliveryOutcome::Idle => return,
        DeliveryOutcome::Delivered(events) => {
            tracing::debug!(webhook = %delivery.webhook_id, tenant = %delivery.tenant_id, events, "webhook delivered");
            metrics::counter!(EVENTS_DELIVERED).increment(*events as u64);
        }
        DeliveryOutcome::Failed { failures, failing } => {
            if *failing {
                tracing::warn!(webhook = %delivery.webhook_id, tenant = %delivery.tenant_id, failures, "webhook is failing");
            } else {
                tracing::info!(webhook = %delivery.webhook_id, tenant = %delivery.tenant_id, failures, "webhook delivery failed; will retry");
            }
        }
    }
    if !delivery.recorded {
        tracing::warn!(webhook = %delivery.webhook_id, "another replica took the webhook over during a delivery");
    }
    metrics::counter!(DELIVERIES, "outcome" => delivery.outcome.as_str()).increment(1);
}
