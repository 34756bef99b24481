//! Concurrent identity-provider traffic on the same resources: the same
//! userNames created at once, the same user patched at once with and
//! without `If-Match`, the same group's members changed at once. On one
//! SQLite server, and on two server processes sharing one PostgreSQL
//! database (two in-process servers with their own pools: what replicas
//! share is the database).

use std::collections::BTreeSet;

use reqwest::header::{CONTENT_TYPE, ETAG, IF_MATCH};
use reqwest::{Method, StatusCode};
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::backends::{TOKEN, database_url};

/// Where to send requests: one server's base URL and token.
#[derive(Clone)]
struct Target {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Target {
    fn of(server: &TestServer) -> Target {
        Target {
            base: server.base.clone(),
            token: server.token.clone(),
            http: server.client(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn send(
    server: &Target,
    method: Method,
    path: &str,
    body: Value,
    if_match: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = server
        .http
        .request(method, server.url(path))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, "application/scim+json")
        .body(body.to_string());
    if let Some(tag) = if_match {
        request = request.header(IF_MATCH, tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap();
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn get(server: &Target, path: &str) -> (Option<String>, Value) {
    let (status, etag, body) = send(server, Method::GET, path, Value::Null, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    (etag, body)
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

/// The races, with requests spread over `servers` in turn.
async fn race(servers: &[Target], run: &str) {
    let pick = |i: usize| &servers[i % servers.len()];

    // 1. Ten userNames, each created by eight clients at once (in varied
    // case): exactly one create succeeds per name, the others are 409.
    let mut creates = JoinSet::new();
    for i in 0..80 {
        let server = pick(i).clone();
        let name = format!("race-{run}-{}", i % 10);
        let name = if i % 2 == 0 {
            name
        } else {
            name.to_uppercase()
        };
        creates.spawn(async move {
            let (status, _, body) = send(
                &server,
                Method::POST,
                "/Users",
                json!({"userName": name, "emails": []}),
                None,
            )
            .await;
            assert!(
                status == StatusCode::CREATED || status == StatusCode::CONFLICT,
                "{status}: {body}"
            );
            status == StatusCode::CREATED
        });
    }
    let created = creates.join_all().await.into_iter().filter(|c| *c).count();
    assert_eq!(created, 10, "one create per userName");
    for n in 0..10 {
        let filter = percent_encode(&format!(r#"userName eq "race-{run}-{n}""#));
        let (_, found) = get(pick(n), &format!("/Users?filter={filter}")).await;
        assert_eq!(found["totalResults"], 1);
    }

    // 2. One user, many PATCHes adding an email each, half with If-Match:
    // every 200 is one email more; the others are 412, never a lost update.
    let filter = percent_encode(&format!(r#"userName eq "race-{run}-0""#));
    let (_, found) = get(pick(0), &format!("/Users?filter={filter}")).await;
    let id = found["Resources"][0]["id"].as_str().unwrap().to_owned();
    let mut patches = JoinSet::new();
    for i in 0..24 {
        let server = pick(i).clone();
        let id = id.clone();
        patches.spawn(async move {
            let path = format!("/Users/{id}");
            let tag = if i % 2 == 0 {
                get(&server, &path).await.0
            } else {
                None
            };
            let (status, _, body) = send(
                &server,
                Method::PATCH,
                &path,
                patch(json!([{"op": "add", "path": "emails",
                              "value": [{"value": format!("e{i}@race.example")}]}])),
                tag.as_deref(),
            )
            .await;
            assert!(
                status == StatusCode::OK || status == StatusCode::PRECONDITION_FAILED,
                "{status}: {body}"
            );
            (status == StatusCode::OK).then_some(i)
        });
    }
    let applied: BTreeSet<usize> = patches.join_all().await.into_iter().flatten().collect();
    let (_, user) = get(pick(1), &format!("/Users/{id}")).await;
    let emails: BTreeSet<usize> = user["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = e["value"].as_str().unwrap();
            value[1..value.find('@').unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(
        emails, applied,
        "exactly the acknowledged PATCHes are applied"
    );
    assert!(
        applied.len() >= 12,
        "requests without If-Match always apply"
    );

    // 3. One group; clients add disjoint members and remove the starting
    // ones at once: the result is the serial one.
    let mut ids = Vec::new();
    for n in 0..20 {
        let (status, _, user) = send(
            pick(n),
            Method::POST,
            "/Users",
            json!({"userName": format!("member-{run}-{n}")}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let (status, _, group) = send(
        pick(0),
        Method::POST,
        "/Groups",
        json!({"displayName": format!("race-{run}"),
               "members": ids[..5].iter().map(|id| json!({"value": id})).collect::<Vec<_>>()}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let group_id = group["id"].as_str().unwrap().to_owned();
    let mut changes = JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let server = pick(i).clone();
        let path = format!("/Groups/{group_id}");
        let operation = if i < 5 {
            json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])
        } else {
            json!([{"op": "add", "path": "members", "value": [{"value": id}]}])
        };
        changes.spawn(async move {
            let (status, _, body) =
                send(&server, Method::PATCH, &path, patch(operation), None).await;
            assert!(status.is_success(), "{status}: {body}");
        });
    }
    changes.join_all().await;
    let (_, group) = get(pick(1), &format!("/Groups/{group_id}")).await;
    let members: BTreeSet<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = ids[5..].iter().map(String::as_str).collect();
    assert_eq!(members, expected);
}

fn run_id() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_on_one_sqlite_server() {
    let server = TestServer::start_with(|s| s.rate_limit_per_second = 0).await;
    race(&[Target::of(&server)], &run_id()).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_on_two_servers_sharing_postgresql() {
    let Some(url) = database_url("SCIM_TEST_POSTGRES_URL") else {
        return;
    };
    let a = TestServer::start_on_database(&url, TOKEN).await;
    let b = TestServer::start_on_database(&url, TOKEN).await;
    race(&[Target::of(&a), Target::of(&b)], &run_id()).await;
    a.stop().await;
    b.stop().await;
}
