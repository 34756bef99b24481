//! Webhooks: per-tenant subscriptions to the event outbox, delivered at
//! least once as signed batches, by whichever replica holds the lease.
//!
//! Delivery does no IO of its own: events come from the
//! [`ResourceStore`], state and leases from the [`WebhookStore`], time from
//! the [`Clock`], and the POST goes through the [`WebhookTransport`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::auth::hex;
use crate::error::{Error, ErrorKind};
use crate::model::{
    NewWebhook, StoredEvent, TenantId, Webhook, WebhookAttempt, WebhookBacklog, WebhookProgress,
};
use crate::ports::{
    Clock, IdGenerator, ResourceStore, WebhookRequest, WebhookStore, WebhookTransport,
};
use crate::service::events::event_json;

/// The prefix of webhook signing secrets.
pub const SECRET_PREFIX: &str = "whsec_";
/// The header naming the webhook a request comes from.
pub const WEBHOOK_ID_HEADER: &str = "Scim-Webhook-Id";
/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "Scim-Signature";
/// The longest webhook URL accepted.
pub const MAX_WEBHOOK_URL_CHARS: usize = 2048;
/// The most attempts one listing returns.
pub const MAX_ATTEMPT_PAGE: u64 = 1000;

/// The HMAC-SHA256 of `"<timestamp>.<body>"` under `secret` (its UTF-8
/// bytes, prefix included), in lowercase hex.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The `Scim-Signature` header value for `body` sent at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, body: &str) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// The body of a delivery: `{"events": [...]}`, each as [`event_json`]
/// writes it, oldest first.
pub fn payload(events: &[StoredEvent]) -> String {
    json!({ "events": events.iter().map(event_json).collect::<Vec<Value>>() }).to_string()
}

/// How delivery behaves; the defaults are the documented ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// The most events one request carries.
    pub batch_size: u64,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// How long a claim lasts; longer than `timeout`, so that a lease
    /// never expires under a live delivery.
    pub lease: Duration,
    /// How old an event must be before it is sent. With several writers
    /// an event can become visible after one with a higher sequence; by
    /// waiting until every transaction that could still commit a lower
    /// sequence has ended, delivery advances its cursor past nothing
    /// unseen.
    pub settle: Duration,
    /// How soon a webhook with nothing to send is checked again.
    pub idle: Duration,
    /// The first retry delay; it doubles with each consecutive failure.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
    /// After this many consecutive failures the webhook is reported as
    /// failing (it keeps being retried every `retry_max`).
    pub failing_after: u32,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            batch_size: 100,
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            settle: Duration::from_secs(5),
            idle: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            failing_after: 24,
        }
    }
}

/// The delay before the next attempt after `failures` consecutive
/// failures (at least 1): `retry_base * 2^(failures - 1)`, at most
/// `retry_max`, shortened by up to a fifth by `jitter` (in `[0, 1)`) so
/// that webhooks that failed together do not retry together.
pub fn backoff(config: &DeliveryConfig, failures: u32, jitter: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let delay = config
        .retry_base
        .saturating_mul(1 << doublings)
        .min(config.retry_max);
    delay.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0))
}

/// `at + d`, saturating.
fn later(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A uniform random number in `[0, 1)`, or one half when the operating
/// system's source fails (jitter is a courtesy, not a guarantee).
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// A new signing secret: the prefix and 256 random bits in hex.
fn generate_secret() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("the operating system's random source failed: {e}"),
        )
    })?;
    Ok(format!("{SECRET_PREFIX}{}", hex(&bytes)))
}

/// Checks a webhook URL: `http://` or `https://`, a host, no whitespace or
/// control characters, at most [`MAX_WEBHOOK_URL_CHARS`].
fn check_url(url: &str) -> Result<(), Error> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| Error::invalid_value("a webhook URL must start with http:// or https://"))?;
    if url.chars().count() > MAX_WEBHOOK_URL_CHARS {
        return Err(Error::invalid_value(format!(
            "a webhook URL has at most {MAX_WEBHOOK_URL_CHARS} characters"
        )));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_value(
            "a webhook URL cannot contain spaces or control characters",
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(Error::invalid_value("a webhook URL needs a host"));
    }
    Ok(())
}

/// Whether a webhook has failed long enough to be reported as failing.
pub fn is_failing(config: &DeliveryConfig, webhook: &Webhook) -> bool {
    webhook.failures >= config.failing_after
}

/// Administers a tenant's webhooks.
#[derive(Clone)]
pub struct WebhookService {
    store: Arc<dyn WebhookStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl WebhookService {
    /// Webhooks over `store`.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        WebhookService { store, clock, ids }
    }

    /// Subscribes `url` to the tenant's events with a new signing secret
    /// (in the returned webhook: show it once). Delivery starts after the
    /// event `after`, or without it with the next event written.
    pub async fn create(
        &self,
        tenant: &TenantId,
        url: &str,
        after: Option<u64>,
    ) -> Result<Webhook, Error> {
        check_url(url)?;
        let webhook = NewWebhook {
            id: self.ids.new_id(),
            tenant_id: tenant.clone(),
            url: url.to_owned(),
            secret: generate_secret()?,
            created: self.clock.now(),
            after,
        };
        Ok(self.store.create_webhook(webhook).await?)
    }

    /// The tenant's webhooks, oldest first.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<Webhook>, Error> {
        Ok(self.store.list_webhooks(tenant).await?)
    }

    /// Removes the tenant's webhook `id` and its attempts.
    pub async fn delete(&self, tenant: &TenantId, id: &str) -> Result<(), Error> {
        self.store
            .delete_webhook(tenant, id)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Switches the tenant's webhook `id` off: no delivery starts until it
    /// is enabled again (one under way may finish). Its events keep
    /// accumulating; nothing is skipped.
    pub async fn disable(&self, tenant: &TenantId, id: &str) -> Result<Webhook, Error> {
        let now = self.clock.now();
        self.store
            .set_webhook_disabled(tenant, id, Some(now), now)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Switches the tenant's webhook `id` back on, due now with its
    /// failures forgotten: the events held back while it was off (or
    /// failing) go out at once, in order, from where delivery stopped.
    pub async fn enable(&self, tenant: &TenantId, id: &str) -> Result<Webhook, Error> {
        self.store
            .set_webhook_disabled(tenant, id, None, self.clock.now())
            .await
            .map_err(|e| not_found(e, id))
    }

    /// How far delivery lags over every tenant, with "failing" as
    /// [`is_failing`] says under `config`.
    pub async fn backlog(&self, config: &DeliveryConfig) -> Result<WebhookBacklog, Error> {
        Ok(self.store.webhook_backlog(config.failing_after).await?)
    }

    /// The most recent attempts of the tenant's webhook `id`, newest
    /// first, at most `limit` (at least 1, at most [`MAX_ATTEMPT_PAGE`]).
    pub async fn attempts(
        &self,
        tenant: &TenantId,
        id: &str,
        limit: u64,
    ) -> Result<Vec<WebhookAttempt>, Error> {
        self.store
            .attempts(tenant, id, limit.clamp(1, MAX_ATTEMPT_PAGE))
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Removes the tenant's attempts older than `retention` whose batch
    /// has been delivered since; returns how many went.
    pub async fn purge_attempts(
        &self,
        tenant: &TenantId,
        retention: chrono::Duration,
    ) -> Result<u64, Error> {
        let before = self.clock.now() - retention;
        Ok(self.store.purge_attempts(tenant, before).await?)
    }
}

fn not_found(err: crate::ports::StoreError, id: &str) -> Error {
    match err {
        crate::ports::StoreError::NotFound => {
            Error::new(ErrorKind::NotFound, format!("no webhook {id}"))
        }
        other => other.into(),
    }
}

/// What one delivery step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Nothing was ready to send.
    Idle,
    /// The receiver took a batch of this many events.
    Delivered(usize),
    /// The attempt failed; the webhook has failed this many times in a
    /// row, and is reported failing when `failing`.
    Failed {
        /// Consecutive failures, this one included.
        failures: u32,
        /// Whether it has now failed long enough to be reported.
        failing: bool,
    },
}

impl DeliveryOutcome {
    /// A stable name for metrics: `idle`, `delivered` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryOutcome::Idle => "idle",
            DeliveryOutcome::Delivered(_) => "delivered",
            DeliveryOutcome::Failed { .. } => "failed",
        }
    }
}

/// One delivery step on one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The webhook's tenant.
    pub tenant_id: TenantId,
    /// The webhook.
    pub webhook_id: String,
    /// What happened.
    pub outcome: DeliveryOutcome,
    /// Whether this replica still held the lease when it recorded the
    /// outcome; when not, another replica had taken over and the webhook
    /// was left to it.
    pub recorded: bool,
}

/// Delivers due webhooks, one claim at a time. Every replica runs one (or
/// several) with its own `owner` name; the store's leases keep them from
/// delivering the same webhook at once.
#[derive(Clone)]
pub struct DeliveryWorker {
    webhooks: Arc<dyn WebhookStore>,
    events: Arc<dyn ResourceStore>,
    transport: Arc<dyn WebhookTransport>,
    clock: Arc<dyn Clock>,
    owner: String,
    config: DeliveryConfig,
}

impl DeliveryWorker {
    /// A worker named `owner` (unique per replica).
    pub fn new(
        webhooks: Arc<dyn WebhookStore>,
        events: Arc<dyn ResourceStore>,
        transport: Arc<dyn WebhookTransport>,
        clock: Arc<dyn Clock>,
        owner: impl Into<String>,
        config: DeliveryConfig,
    ) -> Self {
        DeliveryWorker {
            webhooks,
            events,
            transport,
            clock,
            owner: owner.into(),
            config,
        }
    }

    /// The delivery settings.
    pub fn config(&self) -> &DeliveryConfig {
        &self.config
    }

    /// Claims one due webhook, sends its next batch of settled events (if
    /// any), and records the attempt and the new schedule. `None` when no
    /// webhook is due: the caller waits a little before asking again.
    pub async fn deliver_next(&self) -> Result<Option<Delivery>, Error> {
        let now = self.clock.now();
        let Some(webhook) = self
            .webhooks
            .claim_webhook(now, &self.owner, later(now, self.config.lease))
            .await?
        else {
            return Ok(None);
        };
        let mut progress = WebhookProgress {
            tenant_id: webhook.tenant_id.clone(),
            webhook_id: webhook.id.clone(),
            delivered_through: webhook.delivered_through,
            failures: webhook.failures,
            next_attempt: later(now, self.config.idle),
            attempt: None,
        };
        let batch = match self.batch(&webhook, now).await {
            Ok(batch) => batch,
            Err(err) => {
                // Let the lease go now rather than when it expires.
                self.finish(progress).await?;
                return Err(err);
            }
        };
        let outcome = if batch.is_empty() {
            DeliveryOutcome::Idle
        } else {
            self.send(&webhook, &batch, now, &mut progress).await
        };
        let recorded = self.finish(progress).await?;
        Ok(Some(Delivery {
            tenant_id: webhook.tenant_id,
            webhook_id: webhook.id,
            outcome,
            recorded,
        }))
    }

    /// The webhook's next events that are old enough to send.
    async fn batch(
        &self,
        webhook: &Webhook,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, Error> {
        let mut events = self
            .events
            .events(
                &webhook.tenant_id,
                webhook.delivered_through,
                self.config.batch_size.max(1),
            )
            .await?;
        let settled = TimeDelta::from_std(self.config.settle)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        // A prefix only: skipping an unsettled event would move the cursor
        // past it.
        let ready = events
            .iter()
            .position(|e| e.event.occurred > settled)
            .unwrap_or(events.len());
        events.truncate(ready);
        Ok(events)
    }

    /// POSTs the batch and fills `progress` in with the attempt and what
    /// follows from it.
    async fn send(
        &self,
        webhook: &Webhook,
        batch: &[StoredEvent],
        now: DateTime<Utc>,
        progress: &mut WebhookProgress,
    ) -> DeliveryOutcome {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return DeliveryOutcome::Idle;
        };
        let body = payload(batch);
        let request = WebhookRequest {
            url: webhook.url.clone(),
            headers: vec![
                (WEBHOOK_ID_HEADER.to_owned(), webhook.id.clone()),
                (
                    SIGNATURE_HEADER.to_owned(),
                    signature_header(&webhook.secret, now.timestamp(), &body),
                ),
            ],
            body,
            timeout: self.config.timeout,
        };
        let answer = self.transport.post(request).await;
        let elapsed = (self.clock.now() - now).num_milliseconds().max(0);
        let (status, error) = match answer {
            Ok(status) => (Some(status), None),
            Err(err) => (None, Some(err.0.chars().take(500).collect::<String>())),
        };
        let attempt = WebhookAttempt {
            id: 0,
            webhook_id: webhook.id.clone(),
            at: now,
            first_sequence: first.sequence,
            last_sequence: last.sequence,
            status,
            error,
            duration_ms: u64::try_from(elapsed).unwrap_or_default(),
        };
        let outcome = if attempt.succeeded() {
            progress.delivered_through = last.sequence;
            progress.failures = 0;
            // A full batch means more may be waiting: go on at once.
            if batch.len() as u64 >= self.config.batch_size {
                progress.next_attempt = now;
            }
            DeliveryOutcome::Delivered(batch.len())
        } else {
            let failures = webhook.failures.saturating_add(1);
            progress.failures = failures;
            progress.next_attempt = later(now, backoff(&self.config, failures, jitter()));
            DeliveryOutcome::Failed {
                failures,
                failing: failures >= self.config.failing_after,
            }
        };
        progress.attempt = Some(attempt);
        outcome
    }

    async fn finish(&self, progress: WebhookProgress) -> Result<bool, Error> {
        Ok(self.webhooks.record_attempt(&self.owner, progress).await?)
    }
}

#[cfg(test)]
mod tests;
