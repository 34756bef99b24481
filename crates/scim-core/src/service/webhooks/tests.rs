//! Delivery over the in-memory store, a scripted transport and a clock the
//! test moves.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::TimeZone;

use super::*;
use crate::model::{Event, EventType, NewResource, NewTenant, ResourceKind};
use crate::ports::{StoreError, TenantStore, TransportError, UuidV7Ids};
use crate::testing::MemoryStore;

#[test]
fn signatures_are_hmac_sha256_of_timestamp_dot_body() {
    // printf '%s' '1700000000.{"events":[]}' | openssl dgst -sha256 -hmac whsec_test
    assert_eq!(
        sign("whsec_test", 1_700_000_000, r#"{"events":[]}"#),
        "4f6f9b7a41398ad124e52a1320534f978e522923f3f2b2724e31d7a9dbf78a7f"
    );
    assert_eq!(
        signature_header("whsec_test", 1_700_000_000, r#"{"events":[]}"#),
        "t=1700000000,v1=4f6f9b7a41398ad124e52a1320534f978e522923f3f2b2724e31d7a9dbf78a7f"
    );
    assert_ne!(
        sign("whsec_test", 1_700_000_001, r#"{"events":[]}"#),
        sign("whsec_test", 1_700_000_000, r#"{"events":[]}"#),
        "the timestamp is signed"
    );
}

#[test]
fn backoff_doubles_from_thirty_seconds_to_an_hour_with_jitter_below() {
    let config = DeliveryConfig::default();
    let at = |failures| backoff(&config, failures, 0.0).as_secs();
    assert_eq!(
        [1, 2, 3, 4, 5, 6, 7, 8, 24, 1000].map(at),
        [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    );
    let jittered = backoff(&config, 3, 0.999);
    assert!(jittered < Duration::from_secs(120) && jittered > Duration::from_secs(96));
    assert_eq!(backoff(&config, 0, 0.0), Duration::from_secs(30));
}

#[test]
fn urls_must_be_http_with_a_host() {
    for ok in [
        "http://127.0.0.1:9/hook",
        "https://example.com",
        "http://h?x=1",
    ] {
        assert!(check_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "ftp://example.com",
        "http://",
        "http:///path",
        "http://:80/",
        "http://exa mple.com",
        "http://example.com/\n",
        "example.com",
    ] {
        assert!(check_url(bad).is_err(), "{bad}");
    }
    assert!(check_url(&format!("http://h/{}", "a".repeat(3000))).is_err());
}

/// A clock the test sets.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn start() -> Arc<TestClock> {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        Arc::new(TestClock(Mutex::new(at)))
    }

    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now = later(*now, by);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Answers with the scripted results in turn (then 200), and keeps what
/// it was sent.
#[derive(Default)]
struct Receiver {
    script: Mutex<VecDeque<Result<u16, TransportError>>>,
    got: Mutex<Vec<WebhookRequest>>,
}

impl Receiver {
    fn answer(&self, results: impl IntoIterator<Item = Result<u16, TransportError>>) {
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(results);
    }

    fn got(&self) -> Vec<WebhookRequest> {
        self.got.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl WebhookTransport for Receiver {
    async fn post(&self, request: WebhookRequest) -> Result<u16, TransportError> {
        self.got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request);
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or(Ok(200))
    }
}

struct Fixture {
    store: Arc<MemoryStore>,
    clock: Arc<TestClock>,
    receiver: Arc<Receiver>,
    tenant: TenantId,
    webhooks: WebhookService,
}

impl Fixture {
    async fn new() -> Fixture {
        let store = Arc::new(MemoryStore::default());
        let clock = TestClock::start();
        let tenant = TenantId("t1".into());
        store
            .create_tenant(
                NewTenant {
                    id: tenant.clone(),
                    name: "t1".into(),
                    created: clock.now(),
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let webhooks = WebhookService::new(store.clone(), clock.clone(), Arc::new(UuidV7Ids));
        Fixture {
            store,
            clock,
            receiver: Arc::new(Receiver::default()),
            tenant,
            webhooks,
        }
    }

    fn worker(&self, owner: &str, config: DeliveryConfig) -> DeliveryWorker {
        DeliveryWorker::new(
            self.store.clone(),
            self.store.clone(),
            self.receiver.clone(),
            self.clock.clone(),
            owner,
            config,
        )
    }

    /// Creates a user, which writes one `user.created` event now.
    async fn user_created(&self, name: &str) {
        let mut attributes = serde_json::Map::new();
        attributes.insert("userName".into(), name.into());
        let id = UuidV7Ids.new_id();
        let new = NewResource {
            id: id.clone(),
            kind: ResourceKind::User,
            external_id: None,
            unique_key: Some(name.into()),
            attributes,
            members: Vec::new(),
            created: self.clock.now(),
            events: vec![Event {
                id: UuidV7Ids.new_id(),
                event_type: EventType::UserCreated,
                resource_kind: ResourceKind::User,
                resource_id: id,
                occurred: self.clock.now(),
                data: Value::Null,
            }],
        };
        self.store
            .create(&self.tenant, new)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    async fn webhook(&self) -> Webhook {
        let all = self
            .webhooks
            .list(&self.tenant)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        all.into_iter()
            .next()
            .unwrap_or_else(|| panic!("a webhook"))
    }
}

fn sent_sequences(request: &WebhookRequest) -> Vec<u64> {
    let body: Value = serde_json::from_str(&request.body).unwrap_or_default();
    body["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["sequence"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn settled_events_are_delivered_signed_in_order_and_the_cursor_advances() {
    let f = Fixture::new().await;
    f.user_created("before").await;
    let created = f
        .webhooks
        .create(&f.tenant, "http://receiver.test/hook", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(created.secret.starts_with(SECRET_PREFIX) && created.secret.len() == 70);
    assert_eq!(created.delivered_through, 1, "only new events are sent");
    f.user_created("a").await;
    f.user_created("b").await;
    let worker = f.worker("w1", DeliveryConfig::default());

    // Too fresh: nothing is sent before the events settle.
    let idle = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(idle.map(|d| d.outcome), Some(DeliveryOutcome::Idle));
    assert!(f.receiver.got().is_empty());
    assert!(
        worker
            .deliver_next()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none(),
        "an idle webhook is not due again at once"
    );

    f.clock.advance(Duration::from_secs(6));
    let sent = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent.map(|d| d.outcome), Some(DeliveryOutcome::Delivered(2)));
    let got = f.receiver.got();
    assert_eq!(got.len(), 1);
    assert_eq!(sent_sequences(&got[0]), [2, 3]);
    let headers: std::collections::HashMap<_, _> = got[0].headers.iter().cloned().collect();
    assert_eq!(headers.get(WEBHOOK_ID_HEADER), Some(&created.id));
    let expected = signature_header(&created.secret, f.clock.now().timestamp(), &got[0].body);
    assert_eq!(headers.get(SIGNATURE_HEADER), Some(&expected));
    let webhook = f.webhook().await;
    assert_eq!((webhook.delivered_through, webhook.failures), (3, 0));
    assert_eq!(webhook.lease, None, "the lease is released");
    let attempts = f
        .webhooks
        .attempts(&f.tenant, &created.id, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (
            attempts[0].first_sequence,
            attempts[0].last_sequence,
            attempts[0].status
        ),
        (2, 3, Some(200))
    );
}

#[tokio::test]
async fn failures_back_off_keep_the_cursor_and_the_batch_goes_out_later() {
    let f = Fixture::new().await;
    let created = f
        .webhooks
        .create(&f.tenant, "http://receiver.test/hook", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    f.user_created("a").await;
    f.clock.advance(Duration::from_secs(6));
    let config = DeliveryConfig {
        failing_after: 2,
        ..DeliveryConfig::default()
    };
    let worker = f.worker("w1", config);
    f.receiver
        .answer([Err(TransportError("connection refused".into())), Ok(503)]);

    let first = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        first.map(|d| d.outcome),
        Some(DeliveryOutcome::Failed {
            failures: 1,
            failing: false
        })
    );
    let webhook = f.webhook().await;
    assert_eq!((webhook.delivered_through, webhook.failures), (0, 1));
    let wait = webhook.next_attempt - f.clock.now();
    assert!(wait <= TimeDelta::seconds(30) && wait >= TimeDelta::seconds(24));
    assert!(
        worker
            .deliver_next()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );

    f.clock.advance(Duration::from_secs(30));
    let second = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        second.map(|d| d.outcome),
        Some(DeliveryOutcome::Failed {
            failures: 2,
            failing: true
        })
    );
    assert!(is_failing(worker.config(), &f.webhook().await));

    f.clock.advance(Duration::from_secs(60));
    let third = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        third.map(|d| d.outcome),
        Some(DeliveryOutcome::Delivered(1))
    );
    let got = f.receiver.got();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|r| sent_sequences(r) == [1]),
        "the same batch each time"
    );
    let webhook = f.webhook().await;
    assert_eq!((webhook.delivered_through, webhook.failures), (1, 0));
    let attempts = f
        .webhooks
        .attempts(&f.tenant, &created.id, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seen: Vec<_> = attempts
        .iter()
        .map(|a| (a.status, a.error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(200), None),
            (Some(503), None),
            (None, Some("connection refused"))
        ],
        "every attempt is recorded, newest first"
    );
}

#[tokio::test]
async fn batches_are_bounded_and_a_full_batch_is_followed_at_once() {
    let f = Fixture::new().await;
    f.webhooks
        .create(&f.tenant, "http://receiver.test/hook", Some(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for i in 0..5 {
        f.user_created(&format!("u{i}")).await;
    }
    f.clock.advance(Duration::from_secs(6));
    let config = DeliveryConfig {
        batch_size: 2,
        ..DeliveryConfig::default()
    };
    let worker = f.worker("w1", config);
    let mut outcomes = Vec::new();
    while let Some(delivery) = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    {
        outcomes.push(delivery.outcome);
    }
    assert_eq!(
        outcomes,
        [
            DeliveryOutcome::Delivered(2),
            DeliveryOutcome::Delivered(2),
            DeliveryOutcome::Delivered(1)
        ]
    );
    let sent: Vec<Vec<u64>> = f.receiver.got().iter().map(sent_sequences).collect();
    assert_eq!(sent, [vec![1, 2], vec![3, 4], vec![5]]);
}

#[tokio::test]
async fn a_replica_that_lost_its_lease_does_not_move_the_cursor() {
    let f = Fixture::new().await;
    f.webhooks
        .create(&f.tenant, "http://receiver.test/hook", Some(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    f.user_created("a").await;
    f.clock.advance(Duration::from_secs(6));
    let now = f.clock.now();
    // Replica 1 claims, then stalls past its lease; replica 2 takes over.
    let stale = f
        .store
        .claim_webhook(now, "r1", now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("due"));
    let second = f.worker("r2", DeliveryConfig::default());
    let delivered = second
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(delivered.map(|d| d.recorded), Some(true));
    let late = f
        .store
        .record_attempt(
            "r1",
            WebhookProgress {
                tenant_id: f.tenant.clone(),
                webhook_id: stale.id.clone(),
                delivered_through: 0,
                failures: 5,
                next_attempt: now,
                attempt: None,
            },
        )
        .await;
    assert!(matches!(late, Ok(false)));
    assert_eq!(f.webhook().await.delivered_through, 1);
}

#[tokio::test]
async fn deleting_an_unknown_webhook_is_not_found() {
    let f = Fixture::new().await;
    let err = f.webhooks.delete(&f.tenant, "nope").await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    let err = f.webhooks.attempts(&f.tenant, "nope", 5).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    let store_err = f.store.delete_webhook(&f.tenant, "nope").await;
    assert!(matches!(store_err, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn a_disabled_webhook_holds_its_events_and_enabled_again_sends_them_at_once() {
    let f = Fixture::new().await;
    let created = f
        .webhooks
        .create(&f.tenant, "http://receiver.test/hook", Some(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let config = DeliveryConfig {
        failing_after: 2,
        ..DeliveryConfig::default()
    };
    let worker = f.worker("w1", config.clone());
    // The receiver is down long enough for the webhook to be failing.
    f.user_created("a").await;
    f.clock.advance(Duration::from_secs(6));
    f.receiver.answer([Ok(503), Ok(503)]);
    for _ in 0..2 {
        worker
            .deliver_next()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        f.clock.advance(Duration::from_secs(60));
    }
    assert!(is_failing(&config, &f.webhook().await));

    let disabled = f
        .webhooks
        .disable(&f.tenant, &created.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(disabled.disabled, Some(f.clock.now()));
    let first_off = f.clock.now();
    f.clock.advance(Duration::from_secs(1));
    let again = f
        .webhooks
        .disable(&f.tenant, &created.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        again.disabled,
        Some(first_off),
        "the first switch-off counts"
    );
    assert_eq!(
        f.webhooks
            .backlog(&config)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        WebhookBacklog {
            pending_events: 0,
            active: 0,
            failing: 0,
            disabled: 1
        },
        "a disabled webhook's events are not counted as its backlog"
    );

    // Hours pass; the receiver is fixed; nothing is sent meanwhile.
    f.user_created("b").await;
    f.user_created("c").await;
    f.clock.advance(Duration::from_secs(3 * 3600));
    assert!(
        worker
            .deliver_next()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none(),
        "a disabled webhook is never claimed"
    );
    assert_eq!(f.receiver.got().len(), 2);

    let enabled = f
        .webhooks
        .enable(&f.tenant, &created.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            enabled.disabled,
            enabled.failures,
            enabled.next_attempt,
            enabled.delivered_through
        ),
        (None, 0, f.clock.now(), 0),
        "enabled: due now, failures forgotten, the cursor kept"
    );
    assert_eq!(
        f.webhooks
            .backlog(&config)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        WebhookBacklog {
            pending_events: 3,
            active: 1,
            failing: 0,
            disabled: 0
        }
    );
    let sent = worker
        .deliver_next()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent.map(|d| d.outcome), Some(DeliveryOutcome::Delivered(3)));
    let got = f.receiver.got();
    assert_eq!(sent_sequences(&got[2]), [1, 2, 3], "the backlog, in order");
    assert_eq!(
        f.webhooks
            .backlog(&config)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .pending_events,
        0
    );
}

#[tokio::test]
async fn disabling_under_a_lease_lets_that_delivery_finish_but_starts_no_other() {
    let f = Fixture::new().await;
    let created = f
        .webhooks
        .create(&f.tenant, "http://receiver.test/hook", Some(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    f.user_created("a").await;
    f.clock.advance(Duration::from_secs(6));
    let now = f.clock.now();
    let claimed = f
        .store
        .claim_webhook(now, "r1", now + TimeDelta::seconds(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("due"));
    f.webhooks
        .disable(&f.tenant, &created.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Re-enabling while the lease is held keeps the lease: no second
    // replica may start the same batch.
    let enabled = f
        .webhooks
        .enable(&f.tenant, &created.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(enabled.lease, claimed.lease);
    f.webhooks
        .disable(&f.tenant, &created.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let recorded = f
        .store
        .record_attempt(
            "r1",
            WebhookProgress {
                tenant_id: f.tenant.clone(),
                webhook_id: created.id.clone(),
                delivered_through: 1,
                failures: 0,
                next_attempt: now,
                attempt: None,
            },
        )
        .await;
    assert!(matches!(recorded, Ok(true)), "the holder finishes");
    let webhook = f.webhook().await;
    assert_eq!(webhook.delivered_through, 1);
    assert_eq!(webhook.lease, None);
    assert!(webhook.disabled.is_some(), "and the webhook stays off");
    f.clock.advance(Duration::from_secs(120));
    assert!(
        f.worker("r2", DeliveryConfig::default())
            .deliver_next()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
}

#[tokio::test]
async fn switching_an_unknown_or_foreign_webhook_is_not_found() {
    let f = Fixture::new().await;
    let other = TenantId("t2".into());
    f.store
        .create_tenant(
            NewTenant {
                id: other.clone(),
                name: "t2".into(),
                created: f.clock.now(),
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let theirs = f
        .webhooks
        .create(&other, "http://receiver.test/hook", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for id in ["nope", theirs.id.as_str()] {
        let err = f.webhooks.disable(&f.tenant, id).await.err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
        let err = f.webhooks.enable(&f.tenant, id).await.err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    }
    let list = f
        .webhooks
        .list(&other)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list, [theirs], "another tenant's webhook stays untouched");
}
