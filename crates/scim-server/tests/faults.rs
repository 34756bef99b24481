//! The binary stopped in the middle of an identity provider's traffic:
//! gracefully (SIGTERM) and abruptly (SIGKILL). Whatever the server
//! acknowledged is there after a restart, complete, with its events;
//! nothing half-written is.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Running, read_banner, signal, start};
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::EventType;
use scim_core::ports::{ResourceStore, TenantStore};
use serde_json::{Value, json};

const TOKEN: &str = "fault-tests-token-6d2e0b7c";

fn launch(data: &Path) -> (Running, String) {
    let mut running = start(
        data,
        &[
            ("SCIM_BOOTSTRAP_TOKEN", TOKEN),
            ("SCIM_RATE_LIMIT_PER_SECOND", "0"),
        ],
    );
    let (_, base) = read_banner(&mut running);
    (running, base)
}

async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> Result<(u16, Value), reqwest::Error> {
    let response = http
        .request(method, url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Every user of the default tenant: userName to the stored document.
async fn all_users(http: &reqwest::Client, base: &str) -> BTreeMap<String, Value> {
    let mut users = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let page: Value = http
            .get(format!("{base}/Users?count=500&cursor={cursor}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for user in page["Resources"].as_array().unwrap() {
            users.insert(user["userName"].as_str().unwrap().to_owned(), user.clone());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return users,
        }
    }
}

/// The default tenant's events, as the outbox holds them, read from the
/// database directly once the server has stopped.
async fn events(data: &Path) -> Vec<scim_core::StoredEvent> {
    let url = format!(
        "sqlite://{}?mode=rwc",
        data.canonicalize().unwrap().join("scim.db").display()
    );
    let store = SeaOrmStore::connect(&url).await.unwrap();
    let tenant = store.find_tenant_by_name("default").await.unwrap().unwrap();
    let events = store.events(&tenant.id, 0, 1_000_000).await.unwrap();
    store.close().await.unwrap();
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_finishes_in_flight_requests_and_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut running, base) = launch(&data);
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let attempted = Arc::new(Mutex::new(BTreeSet::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (base, acknowledged, attempted) =
            (base.clone(), acknowledged.clone(), attempted.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in 0.. {
                let name = format!("term-{client}-{n}");
                attempted.lock().unwrap().insert(name.clone());
                let body = json!({"userName": name, "name": {"givenName": "G", "familyName": "F"}});
                match send(&http, reqwest::Method::POST, format!("{base}/Users"), body).await {
                    Ok((201, _)) => {
                        acknowledged.lock().unwrap().insert(name);
                    }
                    Ok((status, body)) => {
                        assert!(status < 500, "{status} during shutdown: {body}");
                    }
                    // The listener closed: this client is done.
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let exit = tokio::task::spawn_blocking(move || {
        let exit = signal(&mut running, "TERM");
        (exit, running)
    })
    .await
    .unwrap();
    assert!(exit.0.success(), "SIGTERM is a clean exit: {:?}", exit.0);
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the load ran: {}",
        acknowledged.len()
    );

    let (_running, base) = launch(&data);
    let stored = all_users(&reqwest::Client::new(), &base).await;
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|n| !stored.contains_key(*n))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert!(
        stored.keys().all(|n| attempted.contains(n)),
        "nothing appears that was not sent"
    );
    assert!(
        stored.values().all(|u| u["name"]["givenName"] == "G"),
        "every stored user is whole"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_bulk_and_patch_stream_keeps_every_acknowledged_change_and_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut running, base) = launch(&data);
    let http = reqwest::Client::new();
    let (status, group) = send(
        &http,
        reqwest::Method::POST,
        format!("{base}/Groups"),
        json!({"displayName": "Everyone"}),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    let group_id = group["id"].as_str().unwrap().to_owned();
    let (status, patched_user) = send(
        &http,
        reqwest::Method::POST,
        format!("{base}/Users"),
        json!({"userName": "patched", "title": "v0"}),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    let user_id = patched_user["id"].as_str().unwrap().to_owned();

    // Bulk: 25 users and, in the same request, their membership.
    let bulk_acknowledged = Arc::new(Mutex::new(BTreeMap::<String, String>::new()));
    let bulk = {
        let (base, group_id, done) = (base.clone(), group_id.clone(), bulk_acknowledged.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for batch in 0.. {
                let mut operations: Vec<Value> = (0..25)
                    .map(|i| {
                        json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                               "data": {"userName": format!("bulk-{batch}-{i}"),
                                        "name": {"givenName": "B", "familyName": "K"}}})
                    })
                    .collect();
                operations.push(json!({
                    "method": "PATCH", "path": format!("/Groups/{group_id}"),
                    "data": {"Operations": [{"op": "add", "path": "members",
                        "value": (0..25).map(|i| json!({"value": format!("bulkId:u{i}")})).collect::<Vec<_>>()}]}
                }));
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "failOnErrors": 1,
                    "Operations": operations,
                });
                match send(&http, reqwest::Method::POST, format!("{base}/Bulk"), body).await {
                    Ok((200, answer)) => {
                        let results = answer["Operations"].as_array().unwrap();
                        assert!(
                            results.iter().all(|r| r["status"] == "201"
                                || r["status"] == "200"
                                || r["status"] == "204"),
                            "{answer}"
                        );
                        let mut done = done.lock().unwrap();
                        for r in &results[..25] {
                            let id = r["location"].as_str().unwrap().rsplit('/').next().unwrap();
                            let name = format!(
                                "bulk-{batch}-{}",
                                r["bulkId"].as_str().unwrap().trim_start_matches('u')
                            );
                            done.insert(name, id.to_owned());
                        }
                    }
                    Ok((status, body)) => panic!("{status}: {body}"),
                    Err(_) => return,
                }
            }
        })
    };
    // A stream of PATCHes to one user.
    let last_patched = Arc::new(Mutex::new(0u64));
    let patches = {
        let (base, user_id, last) = (base.clone(), user_id.clone(), last_patched.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in 1.. {
                let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "title", "value": format!("v{n}")}]});
                match send(
                    &http,
                    reqwest::Method::PATCH,
                    format!("{base}/Users/{user_id}"),
                    body,
                )
                .await
                {
                    Ok((200, _)) => *last.lock().unwrap() = n,
                    Ok((status, body)) => panic!("{status}: {body}"),
                    Err(_) => return,
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let killed = tokio::task::spawn_blocking(move || {
        let exit = signal(&mut running, "KILL");
        (exit, running)
    })
    .await
    .unwrap();
    assert!(!killed.0.success());
    bulk.await.unwrap();
    patches.await.unwrap();
    let acknowledged = bulk_acknowledged.lock().unwrap().clone();
    let last = *last_patched.lock().unwrap();
    assert!(!acknowledged.is_empty() && last > 0, "the load ran");

    let (running, base) = launch(&data);
    let stored = all_users(&http, &base).await;
    for (name, id) in &acknowledged {
        assert_eq!(
            stored.get(name).map(|u| u["id"].as_str().unwrap()),
            Some(id.as_str()),
            "acknowledged bulk user {name} is there"
        );
    }
    // No half-written user: every one carries everything it was sent with.
    for (name, user) in &stored {
        if name.starts_with("bulk-") {
            assert_eq!(user["name"]["givenName"], "B", "{user}");
        }
    }
    // The PATCH acknowledged last is there; the one in flight at the kill
    // may be too, nothing else.
    let title = stored["patched"]["title"].as_str().unwrap().to_owned();
    assert!(
        title == format!("v{last}") || title == format!("v{}", last + 1),
        "title {title} after acknowledging v{last}"
    );
    // Membership: every acknowledged member is in, and every member exists.
    let group: Value = http
        .get(format!("{base}/Groups/{group_id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let members: BTreeSet<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let ids: BTreeSet<&str> = stored.values().map(|u| u["id"].as_str().unwrap()).collect();
    for id in acknowledged.values() {
        assert!(
            members.contains(id),
            "acknowledged member {id} is in the group"
        );
    }
    assert!(
        members.iter().all(|m| ids.contains(m.as_str())),
        "no orphaned membership"
    );
    drop(running);

    // The outbox has an event for every acknowledged change.
    let events = events(&data).await;
    let created: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.event.event_type == EventType::UserCreated)
        .map(|e| e.event.resource_id.as_str())
        .collect();
    let added: BTreeSet<String> = events
        .iter()
        .filter(|e| e.event.event_type == EventType::MemberAdded)
        .filter_map(|e| e.event.data["member"].as_str().map(str::to_owned))
        .collect();
    for id in acknowledged.values() {
        assert!(created.contains(id.as_str()), "user.created for {id}");
        assert!(added.contains(id), "group.member_added for {id}");
    }
    let updates = events
        .iter()
        .filter(|e| e.event.event_type == EventType::UserUpdated && e.event.resource_id == user_id)
        .count() as u64;
    assert!(
        updates >= last,
        "{updates} update events for {last} acknowledged PATCHes"
    );
}
