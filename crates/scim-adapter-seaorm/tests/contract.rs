//! The store contract kit of `scim-core` against every backend.
//!
//! SQLite always runs. PostgreSQL and MySQL/MariaDB run when
//! `SCIM_TEST_POSTGRES_URL` / `SCIM_TEST_MYSQL_URL` name a database the
//! tests may own; without them these tests say that they skip. Under CI
//! (`CI` set) a missing URL is a failure, so a broken setup cannot pass.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use chrono::Utc;
use scim_adapter_seaorm::{SeaOrmStore, StoreOptions};
use scim_core::ports::{
    IdGenerator, ResourceStore, StoreError, TenantStore, UuidV7Ids, WebhookStore,
};
use scim_core::testing::contract;
use scim_core::{NewResource, NewTenant, NewWebhook, ResourceKind, TenantId};

/// The URL in `var`, or `None` after saying why the test skips.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn database_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} must be set when CI is set: .ci/run provides it"
            );
            eprintln!("skipping: {var} is not set");
            None
        }
    }
}

async fn sqlite_store() -> (tempfile::TempDir, SeaOrmStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("scim.db").display());
    let store = SeaOrmStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

/// The contract, then a race: many concurrent creates of one userName
/// produce exactly one user.
async fn run_all(store: SeaOrmStore) {
    // Migrating twice is harmless, and so is refreshing planner statistics
    // on an empty store and on one with data.
    store.migrate().await.unwrap();
    store.optimize().await.unwrap();
    contract::run(&store).await.unwrap();
    // The kit used the pool: it holds a connection or more, within bounds.
    let pool = store.pool_status();
    assert_eq!(pool.max, StoreOptions::default().max_connections);
    assert!(
        pool.open >= 1 && pool.open <= pool.max && pool.idle <= pool.open,
        "{pool:?}"
    );
    store.optimize().await.unwrap();
    store.optimize().await.unwrap();
    let store = Arc::new(store);
    concurrent_creates_produce_one_user(store.clone()).await;
    concurrent_claims_lease_each_webhook_once(store).await;
}

/// Replicas racing for the same due webhooks: each webhook goes to exactly
/// one of them, however the claims interleave.
async fn concurrent_claims_lease_each_webhook_once(store: Arc<SeaOrmStore>) {
    let tenant = TenantId(UuidV7Ids.new_id());
    store
        .create_tenant(
            NewTenant {
                id: tenant.clone(),
                name: format!("claims-{tenant}"),
                created: Utc::now(),
            },
            None,
        )
        .await
        .unwrap();
    let at = contract::past_instant();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let hook = store
            .create_webhook(NewWebhook {
                id: UuidV7Ids.new_id(),
                tenant_id: tenant.clone(),
                url: "http://receiver.invalid/".into(),
                secret: "whsec_x".into(),
                created: at,
                after: Some(0),
            })
            .await
            .unwrap();
        ids.push(hook.id);
    }
    let mut tasks = Vec::new();
    for replica in 0..8 {
        let store = store.clone();
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("replica-{replica}");
            let until = at + chrono::Duration::seconds(60);
            let mut mine = Vec::new();
            while let Some(hook) = contract::claim_own(store.as_ref(), &tenant, at, &owner, until)
                .await
                .unwrap()
            {
                assert_eq!(hook.lease.map(|l| l.owner), Some(owner.clone()));
                mine.push(hook.id);
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    claimed.sort();
    ids.sort();
    assert_eq!(claimed, ids, "every webhook is claimed exactly once");
    store.delete_tenant(&tenant).await.unwrap();
}

async fn concurrent_creates_produce_one_user(store: Arc<SeaOrmStore>) {
    let tenant = TenantId(UuidV7Ids.new_id());
    store
        .create_tenant(
            NewTenant {
                id: tenant.clone(),
                name: format!("race-{tenant}"),
                created: Utc::now(),
            },
            None,
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            let mut attributes = serde_json::Map::new();
            attributes.insert(
                "userName".into(),
                format!("Racer{}", i % 2).to_uppercase().into(),
            );
            store
                .create(
                    &tenant,
                    NewResource {
                        id: UuidV7Ids.new_id(),
                        kind: ResourceKind::User,
                        external_id: None,
                        unique_key: Some("racer".to_owned()),
                        attributes,
                        members: Vec::new(),
                        created: Utc::now(),
                        events: Vec::new(),
                    },
                )
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict { attribute }) => assert_eq!(attribute, "userName"),
            Err(other) => panic!("a racing create must succeed or conflict, got {other}"),
        }
    }
    assert_eq!(created, 1, "exactly one of the racing creates may win");
}

#[tokio::test]
async fn sqlite_honours_the_contract() {
    let (_dir, store) = sqlite_store().await;
    run_all(store).await;
}

#[tokio::test]
async fn sqlite_data_survives_a_reconnect() {
    let (dir, store) = sqlite_store().await;
    let tenant = TenantId(UuidV7Ids.new_id());
    store
        .create_tenant(
            NewTenant {
                id: tenant.clone(),
                name: "durable".into(),
                created: Utc::now(),
            },
            None,
        )
        .await
        .unwrap();
    store.close().await.unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("scim.db").display());
    let reopened = SeaOrmStore::connect(&url).await.unwrap();
    reopened.migrate().await.unwrap();
    let found = reopened.find_tenant_by_name("durable").await.unwrap();
    assert_eq!(found.map(|t| t.id), Some(tenant));
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_honours_the_contract() {
    let Some(url) = database_url("SCIM_TEST_POSTGRES_URL") else {
        return;
    };
    run_all(SeaOrmStore::connect(&url).await.unwrap()).await;
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn mysql_honours_the_contract() {
    let Some(url) = database_url("SCIM_TEST_MYSQL_URL") else {
        return;
    };
    run_all(SeaOrmStore::connect(&url).await.unwrap()).await;
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable_not_a_panic() {
    let options = StoreOptions {
        acquire_timeout: std::time::Duration::from_millis(300),
        ..StoreOptions::default()
    };
    let err = SeaOrmStore::connect_with("postgres://nobody@127.0.0.1:1/none", &options).await;
    match err {
        Err(StoreError::Unavailable(_)) | Err(StoreError::Backend(_)) => {}
        Ok(_) => panic!("connecting to a closed port must fail"),
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}
