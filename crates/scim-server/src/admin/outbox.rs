//! The `webhook`, `events`, `audit` and `purge` commands: what the outbox
//! and the audit log hold, for operators and host applications.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{Duration, SecondsFormat, Utc};
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::ports::{SystemClock, UuidV7Ids};
use scim_core::{
    AuditEntry, AuditPage, AuditService, AuthService, DeliveryConfig, EventPage, EventService,
    ResourceKind, ResourceService, Tenant, Webhook, WebhookAttempt, WebhookService, event_json,
    is_failing,
};
use serde_json::{Value, json};

use super::{UsageError, core, json_text, table, time};
use crate::settings::{FeedArgs, PurgeArgs, Settings, WebhookCommand};

/// The core services over one opened store.
struct Services {
    auth: AuthService,
    store: Arc<SeaOrmStore>,
}

impl Services {
    async fn tenant(&self, name: &str) -> anyhow::Result<Tenant> {
        self.auth.tenant(name).await.map_err(core)
    }

    fn webhooks(&self) -> WebhookService {
        webhook_service(self.store.clone())
    }
}

/// The webhook service over `store`, with the system clock and ids.
pub(crate) fn webhook_service(store: Arc<SeaOrmStore>) -> WebhookService {
    WebhookService::new(store, Arc::new(SystemClock), Arc::new(UuidV7Ids))
}

/// Opens and migrates the store, runs `work` over it, and closes the store
/// whatever `work` returned.
async fn with_services<F, Fut>(settings: &Settings, work: F) -> anyhow::Result<String>
where
    F: FnOnce(Arc<Services>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let store = crate::open_and_migrate(settings).await?;
    let shared = Arc::new(store.clone());
    let services = Arc::new(Services {
        auth: AuthService::new(shared.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids)),
        store: shared,
    });
    let result = work(services).await;
    store.close().await.context("cannot close the database")?;
    result
}

/// Runs a `webhook` command; returns what to print on standard output.
pub async fn webhook(
    settings: &Settings,
    command: &WebhookCommand,
    json: bool,
) -> anyhow::Result<String> {
    with_services(settings, |s| async move {
        let config = settings.delivery();
        match command {
            WebhookCommand::Create { tenant, url, after } => {
                let t = s.tenant(tenant).await?;
                let hook = s.webhooks().create(&t.id, url, *after).await.map_err(core)?;
                Ok(if json {
                    json_text(&new_webhook_json(&hook, &config))
                } else {
                    format!(
                        "Created webhook {} of tenant {tenant}: events after sequence {} go to {}.\n\n\
                         Its signing secret is shown only this once:\n\n    {}\n\n\
                         Each request carries Scim-Webhook-Id and \
                         Scim-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">.\n",
                        hook.id, hook.delivered_through, hook.url, hook.secret
                    )
                })
            }
            WebhookCommand::List { tenant } => {
                let t = s.tenant(tenant).await?;
                let hooks = s.webhooks().list(&t.id).await.map_err(core)?;
                Ok(if json {
                    json_text(&Value::Array(
                        hooks.iter().map(|h| webhook_json(h, &config)).collect(),
                    ))
                } else if hooks.is_empty() {
                    format!("Tenant {tenant} has no webhooks.\n")
                } else {
                    table(
                        &[
                            "ID",
                            "URL",
                            "DELIVERED THROUGH",
                            "FAILURES",
                            "NEXT ATTEMPT",
                            "STATUS",
                        ],
                        hooks
                            .iter()
                            .map(|h| {
                                vec![
                                    h.id.clone(),
                                    h.url.clone(),
                                    h.delivered_through.to_string(),
                                    h.failures.to_string(),
                                    time(h.next_attempt),
                                    status(h, &config).to_owned(),
                                ]
                            })
                            .collect(),
                    )
                })
            }
            WebhookCommand::Delete { tenant, id } => {
                let t = s.tenant(tenant).await?;
                s.webhooks().delete(&t.id, id).await.map_err(core)?;
                Ok(if json {
                    json_text(&json!({ "deleted": id }))
                } else {
                    format!("Deleted webhook {id} of tenant {tenant} and its attempts.\n")
                })
            }
            WebhookCommand::Disable { tenant, id } => {
                let t = s.tenant(tenant).await?;
                let hook = s.webhooks().disable(&t.id, id).await.map_err(core)?;
                Ok(if json {
                    json_text(&webhook_json(&hook, &config))
                } else {
                    format!(
                        "Disabled webhook {id} of tenant {tenant}: no delivery starts until \
                         `webhook enable`. Its events wait after sequence {}; nothing is lost.\n",
                        hook.delivered_through
                    )
                })
            }
            WebhookCommand::Enable { tenant, id } => {
                let t = s.tenant(tenant).await?;
                let hook = s.webhooks().enable(&t.id, id).await.map_err(core)?;
                Ok(if json {
                    json_text(&webhook_json(&hook, &config))
                } else {
                    format!(
                        "Enabled webhook {id} of tenant {tenant}: the events after sequence {} \
                         go to {} now.\n",
                        hook.delivered_through, hook.url
                    )
                })
            }
            WebhookCommand::Attempts { tenant, id, limit } => {
                let t = s.tenant(tenant).await?;
                let attempts = s
                    .webhooks()
                    .attempts(&t.id, id, *limit)
                    .await
                    .map_err(core)?;
                Ok(if json {
                    json_text(&Value::Array(attempts.iter().map(attempt_json).collect()))
                } else if attempts.is_empty() {
                    format!("Webhook {id} has made no attempts yet.\n")
                } else {
                    table(
                        &["AT", "EVENTS", "STATUS", "MS", "ERROR"],
                        attempts
                            .iter()
                            .map(|a| {
                                vec![
                                    a.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                                    format!("{}-{}", a.first_sequence, a.last_sequence),
                                    a.status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                                    a.duration_ms.to_string(),
                                    a.error.clone().unwrap_or_default(),
                                ]
                            })
                            .collect(),
                    )
                })
            }
        }
    })
    .await
}

/// Runs `events`: the tenant's events after the cursor, and the next one.
pub async fn events(settings: &Settings, args: &FeedArgs, json: bool) -> anyhow::Result<String> {
    with_services(settings, |s| async move {
        let t = s.tenant(&args.tenant).await?;
        let page = EventService::new(s.store.clone())
            .page(&t.id, args.after, args.limit)
            .await
            .map_err(core)?;
        Ok(if json {
            json_text(&events_json(&page))
        } else {
            let mut out = String::new();
            for stored in &page.events {
                let e = &stored.event;
                let _ = writeln!(
                    out,
                    "{}  {}  {}  {} {}  {}",
                    stored.sequence,
                    e.occurred.to_rfc3339_opts(SecondsFormat::Millis, true),
                    e.event_type.as_str(),
                    e.resource_kind.as_str(),
                    e.resource_id,
                    e.data
                );
            }
            let _ = writeln!(out, "Next cursor: {}", page.next);
            out
        })
    })
    .await
}

/// Runs `audit`: the tenant's audit entries after the cursor, and the next
/// one.
pub async fn audit(settings: &Settings, args: &FeedArgs, json: bool) -> anyhow::Result<String> {
    with_services(settings, |s| async move {
        let t = s.tenant(&args.tenant).await?;
        let page = AuditService::new(s.store.clone(), Arc::new(SystemClock))
            .page(&t.id, args.after, args.limit)
            .await
            .map_err(core)?;
        Ok(if json {
            json_text(&audit_page_json(&page))
        } else {
            let mut out = table(
                &[
                    "ID",
                    "AT",
                    "CREDENTIAL",
                    "REQUEST",
                    "OPERATION",
                    "RESOURCE",
                    "STATUS",
                ],
                page.entries
                    .iter()
                    .map(|a| {
                        let e = &a.entry;
                        vec![
                            a.id.to_string(),
                            e.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                            e.credential_id.clone(),
                            e.request_id.clone(),
                            format!("{} {}", e.method, e.path),
                            match (&e.resource_type, &e.resource_id) {
                                (Some(t), Some(id)) => format!("{t} {id}"),
                                (Some(t), None) => t.clone(),
                                _ => "-".to_owned(),
                            },
                            e.status.to_string(),
                        ]
                    })
                    .collect(),
            );
            let _ = writeln!(out, "Next cursor: {}", page.next);
            out
        })
    })
    .await
}

/// Runs `purge` over one tenant or every tenant.
pub async fn purge(settings: &Settings, args: &PurgeArgs, json: bool) -> anyhow::Result<String> {
    let retention = Retention::from_days(
        args.older_than_days,
        args.audit_older_than_days,
        args.attempts_older_than_days,
    )
    .map_err(UsageError)?;
    with_services(settings, |s| async move {
        let report = purge_tenants(&s.auth, s.store.clone(), args.tenant.as_deref(), &retention)
            .await
            .map_err(core)?;
        Ok(if json {
            json_text(&purge_json(&report))
        } else {
            let mut out = String::new();
            for p in &report {
                let _ = writeln!(
                    out,
                    "Tenant {}: purged {} deleted resources, {} audit entries and \
                     {} webhook attempts.",
                    p.tenant.name, p.resources, p.audit_entries, p.webhook_attempts
                );
            }
            if report.is_empty() {
                out.push_str("No tenants.\n");
            }
            out
        })
    })
    .await
}

/// How old what `purge` removes must be: soft-deleted resources always,
/// audit entries and delivered webhook attempts only when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    resources: Duration,
    audit: Option<Duration>,
    attempts: Option<Duration>,
}

impl Retention {
    /// Retention periods in days. Refuses periods that reach back before
    /// the earliest instant there is, which subtracting them from now
    /// would overflow on.
    pub(crate) fn from_days(
        resources: u32,
        audit: Option<u32>,
        attempts: Option<u32>,
    ) -> Result<Retention, String> {
        let days = |d: u32| {
            Duration::try_days(i64::from(d))
                .filter(|period| Utc::now().checked_sub_signed(*period).is_some())
                .ok_or_else(|| format!("a retention of {d} days reaches back too far"))
        };
        Ok(Retention {
            resources: days(resources)?,
            audit: audit.map(days).transpose()?,
            attempts: attempts.map(days).transpose()?,
        })
    }
}

/// What `purge` removed from one tenant.
pub(crate) struct Purged {
    tenant: Tenant,
    resources: u64,
    audit_entries: u64,
    webhook_attempts: u64,
}

/// Purges the tenant called `tenant`, or every tenant, by `retention`:
/// what the `purge` command and the admin API's `POST /purge` do.
pub(crate) async fn purge_tenants(
    auth: &AuthService,
    store: Arc<SeaOrmStore>,
    tenant: Option<&str>,
    retention: &Retention,
) -> Result<Vec<Purged>, scim_core::Error> {
    let tenants = match tenant {
        Some(name) => vec![auth.tenant(name).await?],
        None => auth.tenants().await?,
    };
    let clock = Arc::new(SystemClock);
    // Purging spans every resource kind: the service's kind is moot.
    let resources = ResourceService::new(
        ResourceKind::User,
        store.clone(),
        clock.clone(),
        Arc::new(UuidV7Ids),
    );
    let audit = AuditService::new(store.clone(), clock);
    let webhooks = webhook_service(store);
    let mut report = Vec::new();
    for t in tenants {
        let gone = resources.purge(&t.id, retention.resources).await?;
        let audited = match retention.audit {
            Some(period) => audit.purge(&t.id, period).await?,
            None => 0,
        };
        let attempted = match retention.attempts {
            Some(period) => webhooks.purge_attempts(&t.id, period).await?,
            None => 0,
        };
        report.push(Purged {
            tenant: t,
            resources: gone,
            audit_entries: audited,
            webhook_attempts: attempted,
        });
    }
    Ok(report)
}

/// `purge --json`, and the admin API's purge report.
pub(crate) fn purge_json(report: &[Purged]) -> Value {
    json!({
        "tenants": report.iter().map(|p| json!({
            "tenant": p.tenant.name,
            "resources": p.resources,
            "auditEntries": p.audit_entries,
            "webhookAttempts": p.webhook_attempts,
        })).collect::<Vec<_>>(),
    })
}

/// `events --json`, and the admin API's event feed page.
pub(crate) fn events_json(page: &EventPage) -> Value {
    json!({
        "events": page.events.iter().map(event_json).collect::<Vec<_>>(),
        "next": page.next,
    })
}

/// `audit --json`, and the admin API's audit page.
pub(crate) fn audit_page_json(page: &AuditPage) -> Value {
    json!({
        "entries": page.entries.iter().map(audit_json).collect::<Vec<_>>(),
        "next": page.next,
    })
}

/// A webhook just made, with its signing secret (shown only this once).
pub(crate) fn new_webhook_json(hook: &Webhook, config: &DeliveryConfig) -> Value {
    json!({
        "webhook": webhook_json(hook, config),
        "secret": hook.secret,
    })
}

/// A webhook's state as `webhook list` reports it.
fn status(hook: &Webhook, config: &DeliveryConfig) -> &'static str {
    if hook.disabled.is_some() {
        "disabled"
    } else if is_failing(config, hook) {
        "failing"
    } else if hook.failures > 0 {
        "retrying"
    } else {
        "active"
    }
}

/// A webhook without its secret.
pub(crate) fn webhook_json(hook: &Webhook, config: &DeliveryConfig) -> Value {
    json!({
        "id": hook.id,
        "url": hook.url,
        "created": time(hook.created),
        "deliveredThrough": hook.delivered_through,
        "failures": hook.failures,
        "nextAttempt": hook.next_attempt.to_rfc3339_opts(SecondsFormat::Millis, true),
        "status": status(hook, config),
        "disabled": hook.disabled.map(time),
        "lease": hook.lease.as_ref().filter(|l| l.until > Utc::now()).map(|l| json!({
            "owner": l.owner,
            "until": time(l.until),
        })),
    })
}

/// A delivery attempt.
pub(crate) fn attempt_json(attempt: &WebhookAttempt) -> Value {
    json!({
        "id": attempt.id,
        "at": attempt.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "firstSequence": attempt.first_sequence,
        "lastSequence": attempt.last_sequence,
        "status": attempt.status,
        "error": attempt.error,
        "durationMs": attempt.duration_ms,
        "succeeded": attempt.succeeded(),
    })
}

/// An audit entry.
pub(crate) fn audit_json(entry: &AuditEntry) -> Value {
    let e = &entry.entry;
    json!({
        "id": entry.id,
        "at": e.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "credentialId": e.credential_id,
        "requestId": e.request_id,
        "method": e.method,
        "path": e.path,
        "resourceType": e.resource_type,
        "resourceId": e.resource_id,
        "status": e.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_in_days_and_refuses_what_reaches_before_time() {
        let r = Retention::from_days(30, Some(365), None).unwrap();
        assert_eq!(r.resources, Duration::days(30));
        assert_eq!(r.audit, Some(Duration::days(365)));
        assert_eq!(r.attempts, None);
        assert_eq!(
            Retention::from_days(0, None, Some(0)).unwrap().attempts,
            Some(Duration::zero())
        );
        // Beyond chrono's range of instants (about 262,000 years back).
        for (a, b, c) in [
            (u32::MAX, None, None),
            (1, Some(u32::MAX), None),
            (1, None, Some(u32::MAX)),
        ] {
            let err = Retention::from_days(a, b, c).unwrap_err();
            assert!(err.contains(&u32::MAX.to_string()), "{err}");
        }
        assert!(Retention::from_days(36_500, Some(36_500), Some(36_500)).is_ok());
    }
}
