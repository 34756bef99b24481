//! The SCIM workloads and the checks that make a fast wrong answer count as
//! an error.
//!
//! Every request's status is checked; the body of one request in
//! [`SAMPLE_EVERY`] (the first one included) is parsed and checked too, and
//! every body the workload needs anyway (bulk responses, cursor pages) is
//! checked in full. Users are picked with [`spread`], a permutation, so that
//! concurrent writes never hit the same user.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::args::{Settings, Workload};
use super::load::{Driven, Http, Limits, Op, OpFn, Reply, drive};
use super::procfs;
use super::report::{Measured, Outcome, WorkloadResult};
use super::stats;

/// One request in this many has its body parsed and checked.
pub(crate) const SAMPLE_EVERY: u64 = 4;
/// Resources per page in the list workloads.
pub(crate) const PAGE: usize = 100;
/// Members added by one group PATCH.
pub(crate) const MEMBERS_PER_PATCH: usize = 50;
/// Users read back after a PATCH workload whose answers had no body.
const READ_BACK: usize = 100;
/// Bulk requests in flight at once during the initial load, at most: an
/// identity provider's initial sync sends a few at a time, not dozens.
pub(crate) const BULK_CONCURRENCY: usize = 4;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/// What a target's `/ServiceProviderConfig` says it can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Features {
    /// `/Bulk` and its limits, if supported.
    pub(crate) bulk: Option<BulkLimits>,
    /// Paging by cursor (RFC 9865 `pagination.cursor`).
    pub(crate) cursor: bool,
}

/// The advertised limits of `/Bulk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BulkLimits {
    /// `bulk.maxOperations`.
    pub(crate) max_operations: usize,
    /// `bulk.maxPayloadSize`, in bytes.
    pub(crate) max_payload_bytes: usize,
}

/// Reads the features from a `/ServiceProviderConfig` document.
pub(crate) fn features(config: &Value) -> Features {
    let bulk = &config["bulk"];
    let limit = |key: &str| bulk[key].as_u64().map(|n| n as usize);
    Features {
        bulk: (bulk["supported"] == json!(true)).then(|| BulkLimits {
            max_operations: limit("maxOperations").unwrap_or(usize::MAX),
            max_payload_bytes: limit("maxPayloadSize").unwrap_or(usize::MAX),
        }),
        cursor: config["pagination"]["cursor"] == json!(true),
    }
}

/// Asks a target what it can do.
pub(crate) async fn discover(http: &Http) -> Result<Features, String> {
    let reply = http
        .send(Method::GET, "/ServiceProviderConfig", None)
        .await?;
    expect_status(&reply, &[200])?;
    Ok(features(&parse(&reply)?))
}

/// A seeded user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeedUser {
    /// The id the server gave it.
    pub(crate) id: String,
    /// Its `userName`.
    pub(crate) user_name: String,
}

/// The `userName` of the seeded user number `k`.
pub(crate) fn seed_user_name(k: usize) -> String {
    format!("user{k}@example.com")
}

/// A User resource as an identity provider sends it.
pub(crate) fn user_body(user_name: &str, external_id: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": external_id,
        "active": true,
        "displayName": format!("{given} {family}"),
        "name": {"givenName": given, "familyName": family},
        "emails": [{"value": user_name, "type": "work", "primary": true}]
    })
}

/// The seeded user number `k`.
fn seed_body(k: usize) -> Value {
    user_body(
        &seed_user_name(k),
        &format!("seed-{k}"),
        "Seed",
        &format!("User{k}"),
    )
}

/// A bulk request creating the seeded users `range`, with bulkIds `u<k>`.
pub(crate) fn bulk_body(range: std::ops::Range<usize>) -> Value {
    let operations: Vec<Value> = range
        .map(|k| {
            json!({
                "method": "POST",
                "path": "/Users",
                "bulkId": format!("u{k}"),
                "data": seed_body(k)
            })
        })
        .collect();
    json!({"schemas": [BULK_SCHEMA], "Operations": operations})
}

/// Operations per bulk request: what was asked, within the target's
/// `maxOperations` and, with `op_bytes` per operation and room for the
/// envelope, its `maxPayloadSize`.
pub(crate) fn bulk_chunk(asked: usize, limits: BulkLimits, op_bytes: usize) -> usize {
    let by_payload = limits.max_payload_bytes.saturating_sub(1024) / op_bytes.max(1);
    asked.min(limits.max_operations).min(by_payload).max(1)
}

/// The `(bulkId, id)` of each operation of a bulk response, which must all
/// have created their resource.
pub(crate) fn bulk_created(body: &Value) -> Result<Vec<(String, String)>, String> {
    let operations = body["Operations"]
        .as_array()
        .ok_or("the bulk response has no Operations")?;
    operations
        .iter()
        .map(|op| {
            let status = match &op["status"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => other["code"].to_string(),
            };
            if status != "201" {
                return Err(format!(
                    "bulk operation {} answered {status}: {}",
                    op["bulkId"],
                    excerpt(&op["response"].to_string())
                ));
            }
            let bulk_id = op["bulkId"]
                .as_str()
                .ok_or("bulk operation without bulkId")?;
            let location = op["location"]
                .as_str()
                .ok_or("bulk operation without location")?;
            let id = location.rsplit('/').next().unwrap_or_default();
            if id.is_empty() {
                return Err(format!("bulk location {location:?} names no id"));
            }
            Ok((bulk_id.to_owned(), id.to_owned()))
        })
        .collect()
}

/// A permutation of `0..n`: request `i` works on user `spread(i, n)`, so that
/// requests in flight together never touch the same user (as long as fewer
/// than `n` are in flight) while the users are visited out of order.
pub(crate) fn spread(i: u64, n: usize) -> usize {
    const STRIDES: [u64; 3] = [7919, 7927, 7933];
    let n64 = n.max(1) as u64;
    let stride = STRIDES
        .into_iter()
        .find(|s| !n64.is_multiple_of(*s))
        .unwrap_or(1);
    ((i % n64) * stride % n64) as usize
}

/// Percent-encodes a query parameter value (everything but RFC 3986's
/// unreserved characters).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The first 200 characters of a text, for error messages.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Fails unless the reply's status is one of `expected`.
pub(crate) fn expect_status(reply: &Reply, expected: &[u16]) -> Result<(), String> {
    if expected.contains(&reply.status) {
        Ok(())
    } else {
        Err(format!(
            "status {} (expected {expected:?}): {}",
            reply.status,
            excerpt(&String::from_utf8_lossy(&reply.body))
        ))
    }
}

/// The reply's body as JSON.
pub(crate) fn parse(reply: &Reply) -> Result<Value, String> {
    serde_json::from_slice(&reply.body).map_err(|e| {
        format!(
            "the body is not JSON ({e}): {}",
            excerpt(&String::from_utf8_lossy(&reply.body))
        )
    })
}

/// Fails unless `resource` has the `id` (if given) and the `userName` (if
/// given, compared without case).
pub(crate) fn check_user(
    resource: &Value,
    id: Option<&str>,
    user_name: Option<&str>,
) -> Result<(), String> {
    let got_id = resource["id"].as_str().unwrap_or_default();
    if got_id.is_empty() {
        return Err(format!("no id in {}", excerpt(&resource.to_string())));
    }
    if let Some(id) = id
        && got_id != id
    {
        return Err(format!("asked for {id}, got {got_id}"));
    }
    if let Some(name) = user_name {
        let got = resource["userName"].as_str().unwrap_or_default();
        if !got.eq_ignore_ascii_case(name) {
            return Err(format!("expected userName {name:?}, got {got:?}"));
        }
    }
    Ok(())
}

/// Fails unless a filter by `userName` found exactly that one user.
pub(crate) fn check_filter(list: &Value, user_name: &str) -> Result<(), String> {
    if list["totalResults"].as_u64() != Some(1) {
        return Err(format!(
            "filter on {user_name:?}: totalResults {} instead of 1",
            list["totalResults"]
        ));
    }
    let resources = list["Resources"].as_array().map_or(&[][..], Vec::as_slice);
    match resources {
        [user] => check_user(user, None, Some(user_name)),
        other => Err(format!(
            "filter on {user_name:?}: {} resources instead of 1",
            other.len()
        )),
    }
}

/// Fails unless `resource` is the user `id` with `active` false.
pub(crate) fn check_deactivated(resource: &Value, id: &str) -> Result<(), String> {
    check_user(resource, Some(id), None)?;
    if resource["active"] == json!(false) {
        Ok(())
    } else {
        Err(format!(
            "{id}: active is {} after PATCH",
            resource["active"]
        ))
    }
}

/// Fails unless `resource` is the user `id` with the given name `given`.
pub(crate) fn check_replaced(resource: &Value, id: &str, given: &str) -> Result<(), String> {
    check_user(resource, Some(id), None)?;
    let got = &resource["name"]["givenName"];
    if got == given {
        Ok(())
    } else {
        Err(format!(
            "{id}: name.givenName is {got} after PUT, not {given:?}"
        ))
    }
}

/// Fails unless an index page holds `count` resources from `start`, out of
/// at least `min_total`.
pub(crate) fn check_index_page(
    list: &Value,
    start: usize,
    count: usize,
    min_total: usize,
) -> Result<(), String> {
    let got = list["Resources"].as_array().map_or(0, Vec::len);
    if got != count {
        return Err(format!(
            "startIndex={start}: {got} resources instead of {count}"
        ));
    }
    if list["startIndex"].as_u64() != Some(start as u64) {
        return Err(format!(
            "startIndex={start}: the page says startIndex {}",
            list["startIndex"]
        ));
    }
    let total = list["totalResults"].as_u64().unwrap_or(0) as usize;
    if total < min_total {
        return Err(format!(
            "startIndex={start}: totalResults {total} < {min_total}"
        ));
    }
    Ok(())
}

/// A page of a cursor walk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CursorPage {
    /// The ids of its resources.
    pub(crate) ids: Vec<String>,
    /// `nextCursor`, absent on the last page.
    pub(crate) next: Option<String>,
    /// `totalResults`.
    pub(crate) total: usize,
}

/// Reads a page of a cursor walk.
pub(crate) fn cursor_page(list: &Value) -> Result<CursorPage, String> {
    let ids = list["Resources"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|r| {
            r["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| "a resource without id".to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let total = list["totalResults"]
        .as_u64()
        .ok_or("a cursor page without totalResults")? as usize;
    let next = list["nextCursor"]
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Ok(CursorPage { ids, next, total })
}

/// The number of members of a group resource.
pub(crate) fn member_count(group: &Value) -> usize {
    group["members"].as_array().map_or(0, Vec::len)
}

/// The outcome of a request: `check` judges an answered one.
fn judge(sent: Result<Reply, String>, check: impl FnOnce(&Reply) -> Result<(), String>) -> Op {
    match sent {
        Ok(reply) => {
            let result = check(&reply);
            Op::judged(&reply, result)
        }
        Err(e) => Op::failed(e),
    }
}

fn sampled(i: u64) -> bool {
    i.is_multiple_of(SAMPLE_EVERY)
}

fn to_vec(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// A target under measurement.
pub(crate) struct Target {
    /// Its client.
    pub(crate) http: Http,
    /// The server process, whose CPU time and memory are read.
    pub(crate) pid: u32,
    /// Clock ticks per second of `/proc/<pid>/stat`.
    pub(crate) ticks_per_second: u64,
}

impl Target {
    /// Runs `work` and measures the server's CPU time around it, and the
    /// client's, and the server's memory after it.
    async fn measure<F>(&self, keep_deciles: bool, work: F) -> Result<Measured, String>
    where
        F: Future<Output = Driven>,
    {
        let server_before = procfs::cpu_ticks(self.pid)?;
        let client_before = procfs::cpu_ticks(std::process::id())?;
        let driven = work.await;
        let server_after = procfs::cpu_ticks(self.pid)?;
        let client_after = procfs::cpu_ticks(std::process::id())?;
        let memory = procfs::memory(self.pid)?;
        let mut latencies: Vec<Duration> = driven.samples.iter().map(|s| s.1).collect();
        Ok(Measured {
            requests: driven.requests,
            items: driven.items,
            errors: driven.errors,
            error_samples: driven.error_samples.clone(),
            wall: driven.wall,
            latency: stats::summarize(&mut latencies),
            deciles: if keep_deciles {
                stats::by_decile(&driven.samples)
            } else {
                Vec::new()
            },
            server_cpu: procfs::ticks_to_duration(
                server_after.since(server_before).total(),
                self.ticks_per_second,
            ),
            server_system_cpu: procfs::ticks_to_duration(
                server_after.since(server_before).system,
                self.ticks_per_second,
            ),
            client_cpu: procfs::ticks_to_duration(
                client_after.since(client_before).total(),
                self.ticks_per_second,
            ),
            rss_after_kib: memory.rss_kib,
            time_capped: driven.time_capped,
            note: String::new(),
        })
    }
}

/// The limits of an ordinary workload.
fn limits(settings: &Settings) -> Limits {
    Limits {
        concurrency: settings.concurrency,
        requests: settings.requests,
        duration: settings.seconds,
    }
}

/// Loads `settings.users` users: through `/Bulk` when the target has it
/// (the bulk-load workload), else by single POSTs (bulk-load is then n/a).
/// Returns the seeded users in order, and the bulk-load result.
pub(crate) async fn seed(
    target: &Target,
    settings: &Settings,
    features: Features,
) -> Result<(Arc<Vec<SeedUser>>, WorkloadResult), String> {
    let n = settings.users;
    let ids: Arc<Mutex<Vec<Option<String>>>> = Arc::new(Mutex::new(vec![None; n]));
    let (mut measured, note, applicable) = match features.bulk {
        Some(bulk_limits) => {
            let op_bytes = to_vec(&bulk_body(n.saturating_sub(1)..n)).len();
            let chunk = bulk_chunk(settings.bulk_size, bulk_limits, op_bytes);
            let requests = n.div_ceil(chunk) as u64;
            let http = target.http.clone();
            let ids_in = Arc::clone(&ids);
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                let ids = Arc::clone(&ids_in);
                Box::pin(async move {
                    let start = i as usize * chunk;
                    let range = start..(start + chunk).min(n);
                    let size = range.len() as u64;
                    let body = to_vec(&bulk_body(range));
                    let sent = http.send(Method::POST, "/Bulk", Some(body)).await;
                    let mut op = judge(sent, |reply| {
                        expect_status(reply, &[200])?;
                        let created = bulk_created(&parse(reply)?)?;
                        let mut ids = ids.lock().unwrap_or_else(PoisonError::into_inner);
                        for (bulk_id, id) in created {
                            let k: usize = bulk_id
                                .strip_prefix('u')
                                .and_then(|k| k.parse().ok())
                                .filter(|&k| k < n)
                                .ok_or_else(|| format!("unknown bulkId {bulk_id:?}"))?;
                            ids[k] = Some(id);
                        }
                        Ok(())
                    });
                    op.items = size;
                    op
                })
            });
            let limits = Limits {
                concurrency: settings.concurrency.min(BULK_CONCURRENCY),
                requests,
                // The seed must complete; each request has its own timeout.
                duration: Duration::from_secs(24 * 3600),
            };
            let measured = target.measure(false, drive(limits, op)).await?;
            let note = format!(
                "{n} users in {requests} requests of {chunk}, {:.0} users/s",
                measured.items as f64 / measured.wall.as_secs_f64().max(1e-9)
            );
            (measured, note, true)
        }
        None => {
            let http = target.http.clone();
            let ids_in = Arc::clone(&ids);
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                let ids = Arc::clone(&ids_in);
                Box::pin(async move {
                    let k = i as usize;
                    let sent = http
                        .send(Method::POST, "/Users", Some(to_vec(&seed_body(k))))
                        .await;
                    judge(sent, |reply| {
                        expect_status(reply, &[201])?;
                        let user = parse(reply)?;
                        check_user(&user, None, Some(&seed_user_name(k)))?;
                        let mut ids = ids.lock().unwrap_or_else(PoisonError::into_inner);
                        ids[k] = user["id"].as_str().map(str::to_owned);
                        Ok(())
                    })
                })
            });
            let limits = Limits {
                concurrency: settings.concurrency,
                requests: n as u64,
                duration: Duration::from_secs(24 * 3600),
            };
            let measured = target.measure(false, drive(limits, op)).await?;
            (measured, String::new(), false)
        }
    };
    let ids = std::mem::take(&mut *ids.lock().unwrap_or_else(PoisonError::into_inner));
    let missing = ids.iter().filter(|id| id.is_none()).count();
    if missing > 0 {
        measured.error(format!("{missing} of {n} users were not created"));
    }
    if measured.errors > 0 {
        return Err(format!(
            "seeding failed: {}",
            measured.error_samples.join("; ")
        ));
    }
    let users: Vec<SeedUser> = ids
        .into_iter()
        .enumerate()
        .map(|(k, id)| SeedUser {
            id: id.unwrap_or_default(),
            user_name: seed_user_name(k),
        })
        .collect();
    let outcome = if applicable {
        measured.note = note;
        Outcome::Ran(measured)
    } else {
        Outcome::NotApplicable(format!(
            "no /Bulk; seeded by {} POSTs in {:.1}s",
            measured.requests,
            measured.wall.as_secs_f64()
        ))
    };
    Ok((
        Arc::new(users),
        WorkloadResult {
            workload: Workload::BulkLoad,
            outcome,
        },
    ))
}

/// Runs one workload (not bulk-load) against a seeded target.
pub(crate) async fn run(
    workload: Workload,
    target: &Target,
    settings: &Settings,
    features: Features,
    users: &Arc<Vec<SeedUser>>,
) -> Result<WorkloadResult, String> {
    let http = target.http.clone();
    let users = Arc::clone(users);
    let n = users.len();
    let outcome = match workload {
        Workload::BulkLoad => {
            return Err("bulk-load runs as the seed".to_owned());
        }
        Workload::Create => {
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                Box::pin(async move {
                    let name = format!("new{i}@example.com");
                    let body = user_body(&name, &format!("new-{i}"), "New", &format!("User{i}"));
                    let sent = http.send(Method::POST, "/Users", Some(to_vec(&body))).await;
                    judge(sent, |reply| {
                        expect_status(reply, &[201])?;
                        if sampled(i) {
                            check_user(&parse(reply)?, None, Some(&name))?;
                        }
                        Ok(())
                    })
                })
            });
            Outcome::Ran(target.measure(false, drive(limits(settings), op)).await?)
        }
        Workload::Get => {
            let op = get_op(http, users);
            Outcome::Ran(target.measure(false, drive(limits(settings), op)).await?)
        }
        Workload::Filter => {
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                let users = Arc::clone(&users);
                Box::pin(async move {
                    let user = &users[spread(i, n)];
                    let filter = format!("userName eq \"{}\"", user.user_name);
                    let path = format!("/Users?filter={}", encode(&filter));
                    let sent = http.send(Method::GET, &path, None).await;
                    judge(sent, |reply| {
                        expect_status(reply, &[200])?;
                        if sampled(i) {
                            check_filter(&parse(reply)?, &user.user_name)?;
                        }
                        Ok(())
                    })
                })
            });
            Outcome::Ran(target.measure(false, drive(limits(settings), op)).await?)
        }
        Workload::Patch => {
            let body = to_vec(&json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "replace", "path": "active", "value": false}]
            }));
            // A 204 answer has no body to check: those users are read back
            // after the workload, outside its measurement.
            let unseen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
            let unseen_in = Arc::clone(&unseen);
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                let users = Arc::clone(&users);
                let body = body.clone();
                let unseen = Arc::clone(&unseen_in);
                Box::pin(async move {
                    let id = &users[spread(i, n)].id;
                    let path = format!("/Users/{id}");
                    let sent = http.send(Method::PATCH, &path, Some(body)).await;
                    judge(sent, |reply| {
                        expect_status(reply, &[200, 204])?;
                        if sampled(i) {
                            if reply.status == 204 {
                                let mut unseen = lock(&unseen);
                                if unseen.len() < READ_BACK {
                                    unseen.push(id.clone());
                                }
                            } else {
                                check_deactivated(&parse(reply)?, id)?;
                            }
                        }
                        Ok(())
                    })
                })
            });
            let mut measured = target.measure(false, drive(limits(settings), op)).await?;
            let unseen = std::mem::take(&mut *lock(&unseen));
            if !unseen.is_empty() {
                measured.note = format!(
                    "answers 204 without a body: {} patched users read back",
                    unseen.len()
                );
            }
            for id in unseen {
                let path = format!("/Users/{id}");
                let read = match target.http.send(Method::GET, &path, None).await {
                    Ok(reply) => expect_status(&reply, &[200])
                        .and_then(|()| parse(&reply))
                        .and_then(|user| check_deactivated(&user, &id)),
                    Err(e) => Err(e),
                };
                if let Err(e) = read {
                    measured.error(format!("reading back {path}: {e}"));
                }
            }
            Outcome::Ran(measured)
        }
        Workload::Put => {
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                let users = Arc::clone(&users);
                Box::pin(async move {
                    let k = spread(i, n);
                    let user = &users[k];
                    let given = format!("Put{i}");
                    let body = user_body(
                        &user.user_name,
                        &format!("seed-{k}"),
                        &given,
                        &format!("User{k}"),
                    );
                    let path = format!("/Users/{}", user.id);
                    let sent = http.send(Method::PUT, &path, Some(to_vec(&body))).await;
                    judge(sent, |reply| {
                        expect_status(reply, &[200])?;
                        if sampled(i) {
                            check_replaced(&parse(reply)?, &user.id, &given)?;
                        }
                        Ok(())
                    })
                })
            });
            Outcome::Ran(target.measure(false, drive(limits(settings), op)).await?)
        }
        Workload::ListIndex => {
            let pages = (n / PAGE).max(1);
            let count = PAGE.min(n);
            let op: OpFn = Arc::new(move |_, i| {
                let http = http.clone();
                Box::pin(async move {
                    let page = (i % pages as u64) as usize;
                    let start = 1 + page * PAGE;
                    let path = format!("/Users?startIndex={start}&count={PAGE}");
                    let sent = http.send(Method::GET, &path, None).await;
                    judge(sent, |reply| {
                        expect_status(reply, &[200])?;
                        if sampled(i) {
                            check_index_page(&parse(reply)?, start, count, n)?;
                        }
                        Ok(())
                    })
                    .in_bucket(stats::decile(page, pages))
                })
            });
            let mut measured = target.measure(true, drive(limits(settings), op)).await?;
            measured.note = format!("{pages} pages, deciles by startIndex");
            Outcome::Ran(measured)
        }
        Workload::ListCursor => {
            if !features.cursor {
                Outcome::NotApplicable("no cursor paging (RFC 9865) advertised".to_owned())
            } else {
                let chains: Arc<Vec<Mutex<Chain>>> = Arc::new(
                    (0..settings.concurrency)
                        .map(|_| Mutex::new(Chain::default()))
                        .collect(),
                );
                let walks = Arc::new(Mutex::new(0u64));
                let walks_in = Arc::clone(&walks);
                let op: OpFn = Arc::new(move |worker, _| {
                    let http = http.clone();
                    let chains = Arc::clone(&chains);
                    let walks = Arc::clone(&walks_in);
                    Box::pin(async move {
                        let cursor = lock(&chains[worker]).next.clone();
                        let path = match &cursor {
                            None => format!("/Users?count={PAGE}&cursor"),
                            Some(c) => format!("/Users?count={PAGE}&cursor={}", encode(c)),
                        };
                        let sent = http.send(Method::GET, &path, None).await;
                        judge(sent, |reply| {
                            expect_status(reply, &[200])?;
                            let page = cursor_page(&parse(reply)?)?;
                            let finished = lock(&chains[worker]).follow(page)?;
                            if finished {
                                *lock(&walks) += 1;
                            }
                            Ok(())
                        })
                    })
                });
                let mut measured = target.measure(false, drive(limits(settings), op)).await?;
                let walks = *lock(&walks);
                measured.note = if walks == 0 {
                    "every page checked (full, no repeat); no walk reached the last page \
                     within the limits"
                        .to_owned()
                } else {
                    format!("every page checked; {walks} complete walks saw totalResults")
                };
                Outcome::Ran(measured)
            }
        }
        Workload::GroupGrowth => {
            return group_growth(target, settings, users).await;
        }
    };
    Ok(WorkloadResult { workload, outcome })
}

/// GET by id of the given users (also the ceiling's workload).
pub(crate) fn get_op(http: Http, users: Arc<Vec<SeedUser>>) -> OpFn {
    let n = users.len();
    Arc::new(move |_, i| {
        let http = http.clone();
        let users = Arc::clone(&users);
        Box::pin(async move {
            let id = &users[spread(i, n)].id;
            let sent = http.send(Method::GET, &format!("/Users/{id}"), None).await;
            judge(sent, |reply| {
                expect_status(reply, &[200])?;
                if sampled(i) {
                    check_user(&parse(reply)?, Some(id), None)?;
                }
                Ok(())
            })
        })
    })
}

/// Runs GET by id on a target that was not seeded through SCIM (the
/// ceiling), with the given ids.
pub(crate) async fn run_get(
    target: &Target,
    settings: &Settings,
    users: Arc<Vec<SeedUser>>,
) -> Result<WorkloadResult, String> {
    let op = get_op(target.http.clone(), users);
    Ok(WorkloadResult {
        workload: Workload::Get,
        outcome: Outcome::Ran(target.measure(false, drive(limits(settings), op)).await?),
    })
}

/// One worker's walk through the pages by cursor.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    /// The cursor of the next page; `None`: the walk starts over.
    pub(crate) next: Option<String>,
    /// The ids seen on this walk so far.
    pub(crate) seen: HashSet<String>,
}

impl Chain {
    /// Takes in the next page; returns whether the walk is complete (and
    /// then starts over). Fails when an id comes twice, when a page that is
    /// not the last one is short, or when a complete walk did not see
    /// `totalResults` resources.
    pub(crate) fn follow(&mut self, page: CursorPage) -> Result<bool, String> {
        let short = page.ids.len() != PAGE;
        for id in page.ids {
            if !self.seen.insert(id.clone()) {
                self.next = None;
                self.seen.clear();
                return Err(format!("{id} came twice in one cursor walk"));
            }
        }
        match page.next {
            Some(_) if short => {
                self.next = None;
                self.seen.clear();
                Err("a page with a nextCursor is not full".to_owned())
            }
            Some(next) => {
                self.next = Some(next);
                Ok(false)
            }
            None => {
                let seen = self.seen.len();
                self.seen.clear();
                self.next = None;
                if seen == page.total {
                    Ok(true)
                } else {
                    Err(format!(
                        "a complete cursor walk saw {seen} resources, totalResults is {}",
                        page.total
                    ))
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Grows one group by PATCHes of [`MEMBERS_PER_PATCH`] members, one at a
/// time (as an identity provider syncs one group), up to `--group-size`,
/// then checks that the group has every member added.
async fn group_growth(
    target: &Target,
    settings: &Settings,
    users: Arc<Vec<SeedUser>>,
) -> Result<WorkloadResult, String> {
    let size = settings.group_size.min(users.len());
    let http = target.http.clone();
    let created = http
        .send(
            Method::POST,
            "/Groups",
            Some(to_vec(&json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "bench-group"
            }))),
        )
        .await?;
    expect_status(&created, &[201]).map_err(|e| format!("POST /Groups: {e}"))?;
    let group_id = parse(&created)?["id"]
        .as_str()
        .ok_or("POST /Groups answered no id")?
        .to_owned();
    let batches = size.div_ceil(MEMBERS_PER_PATCH);
    let path = format!("/Groups/{group_id}");
    let op_path = path.clone();
    let op_group = group_id.clone();
    let op: OpFn = Arc::new(move |_, i| {
        let http = http.clone();
        let users = Arc::clone(&users);
        let path = op_path.clone();
        let group_id = op_group.clone();
        Box::pin(async move {
            let from = i as usize * MEMBERS_PER_PATCH;
            let to = (from + MEMBERS_PER_PATCH).min(size);
            let members: Vec<Value> = users[from..to]
                .iter()
                .map(|u| json!({"value": u.id}))
                .collect();
            let body = json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "add", "path": "members", "value": members}]
            });
            let sent = http.send(Method::PATCH, &path, Some(to_vec(&body))).await;
            judge(sent, |reply| {
                expect_status(reply, &[200, 204])?;
                if reply.status == 200 && sampled(i) {
                    let group = parse(reply)?;
                    if group["id"] != group_id.as_str() {
                        return Err(format!("PATCH {path} answered group {}", group["id"]));
                    }
                }
                Ok(())
            })
            .in_bucket(stats::decile(from, size))
        })
    });
    let limits = Limits {
        concurrency: 1,
        requests: batches as u64,
        duration: settings.seconds,
    };
    let mut measured = target.measure(true, drive(limits, op)).await?;
    let expected = (measured.requests as usize * MEMBERS_PER_PATCH).min(size);
    let started = Instant::now();
    match target.http.send(Method::GET, &path, None).await {
        Ok(reply) => match expect_status(&reply, &[200]).and_then(|()| parse(&reply)) {
            Ok(group) if member_count(&group) == expected => {}
            Ok(group) => measured.error(format!(
                "the group has {} members after growth, not {expected}",
                member_count(&group)
            )),
            Err(e) => measured.error(format!("GET {path}: {e}")),
        },
        Err(e) => measured.error(e),
    }
    measured.note = format!(
        "{expected} of {size} members; final GET {:.0} ms; deciles by group size",
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(WorkloadResult {
        workload: Workload::GroupGrowth,
        outcome: Outcome::Ran(measured),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.as_bytes().to_vec(),
            latency: Duration::from_millis(1),
        }
    }

    #[test]
    fn features_come_from_the_service_provider_config() {
        let ours = json!({
            "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 4194304},
            "pagination": {"cursor": true, "index": true}
        });
        let f = features(&ours);
        assert!(f.cursor);
        assert_eq!(
            f.bulk,
            Some(BulkLimits {
                max_operations: 1000,
                max_payload_bytes: 4_194_304
            })
        );
        let plain = json!({"bulk": {"supported": false, "maxOperations": 1000}});
        assert_eq!(
            features(&plain),
            Features {
                bulk: None,
                cursor: false
            }
        );
    }

    #[test]
    fn bulk_chunks_respect_the_advertised_limits() {
        let limits = BulkLimits {
            max_operations: 1000,
            max_payload_bytes: 1_048_576,
        };
        assert_eq!(bulk_chunk(1000, limits, 400), 1000);
        assert_eq!(bulk_chunk(1000, limits, 2000), 523);
        assert_eq!(bulk_chunk(100, limits, 400), 100);
        let tight = BulkLimits {
            max_operations: 10,
            max_payload_bytes: 10,
        };
        assert_eq!(bulk_chunk(1000, tight, 400), 1, "never zero");
    }

    #[test]
    fn bulk_bodies_carry_bulk_ids_and_responses_give_ids() {
        let body = bulk_body(3..5);
        assert_eq!(body["Operations"][0]["bulkId"], "u3");
        assert_eq!(
            body["Operations"][1]["data"]["userName"],
            "user4@example.com"
        );
        let response = json!({"Operations": [
            {"bulkId": "u3", "status": "201", "location": "http://h/scim/v2/Users/abc"},
            {"bulkId": "u4", "status": 201, "location": "/Users/def"}
        ]});
        assert_eq!(
            bulk_created(&response).unwrap(),
            [
                ("u3".to_owned(), "abc".to_owned()),
                ("u4".to_owned(), "def".to_owned())
            ]
        );
        let failed = json!({"Operations": [
            {"bulkId": "u3", "status": "409", "response": {"scimType": "uniqueness"}}
        ]});
        assert!(bulk_created(&failed).unwrap_err().contains("409"));
        assert!(bulk_created(&json!({})).is_err());
    }

    #[test]
    fn spread_is_a_permutation() {
        for n in [1, 2, 100, 7919, 10_000] {
            let seen: HashSet<usize> = (0..n as u64).map(|i| spread(i, n)).collect();
            assert_eq!(seen.len(), n, "n = {n}");
            assert!(seen.iter().all(|&k| k < n));
        }
        // Consecutive requests do not walk the users in order.
        assert_ne!(spread(1, 10_000), 1);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode("userName eq \"a+b@example.com\""),
            "userName%20eq%20%22a%2Bb%40example.com%22"
        );
        assert_eq!(encode("AbZ09-._~"), "AbZ09-._~");
        assert_eq!(encode("x/y="), "x%2Fy%3D");
    }

    #[test]
    fn status_and_body_checks_say_what_is_wrong() {
        assert!(expect_status(&reply(200, "{}"), &[200]).is_ok());
        let err = expect_status(&reply(429, "slow down"), &[200]).unwrap_err();
        assert!(err.contains("429") && err.contains("slow down"));
        assert!(parse(&reply(200, "<html>")).is_err());

        let user = json!({"id": "1", "userName": "A@example.com", "active": false,
                          "name": {"givenName": "Put7"}});
        assert!(check_user(&user, Some("1"), Some("a@example.com")).is_ok());
        assert!(check_user(&user, Some("2"), None).is_err());
        assert!(check_user(&json!({}), None, None).is_err());
        assert!(check_deactivated(&user, "1").is_ok());
        assert!(check_deactivated(&json!({"id": "1", "active": true}), "1").is_err());
        assert!(check_replaced(&user, "1", "Put7").is_ok());
        assert!(check_replaced(&user, "1", "Put8").is_err());
    }

    #[test]
    fn filter_answers_must_hold_exactly_the_user() {
        let one = json!({"totalResults": 1, "Resources": [{"id": "1", "userName": "u@x"}]});
        assert!(check_filter(&one, "u@x").is_ok());
        assert!(check_filter(&one, "v@x").is_err());
        let none = json!({"totalResults": 0, "Resources": []});
        assert!(check_filter(&none, "u@x").is_err());
        let lying = json!({"totalResults": 1, "Resources": []});
        assert!(check_filter(&lying, "u@x").is_err());
    }

    #[test]
    fn index_pages_must_be_full_and_where_asked() {
        let resources: Vec<Value> = (0..100).map(|i| json!({"id": i.to_string()})).collect();
        let page = json!({"startIndex": 101, "totalResults": 10_000, "Resources": resources});
        assert!(check_index_page(&page, 101, 100, 10_000).is_ok());
        assert!(check_index_page(&page, 201, 100, 10_000).is_err());
        assert!(check_index_page(&page, 101, 50, 10_000).is_err());
        assert!(check_index_page(&page, 101, 100, 20_000).is_err());
    }

    fn page(ids: std::ops::Range<usize>, next: Option<&str>, total: usize) -> CursorPage {
        CursorPage {
            ids: ids.map(|i| i.to_string()).collect(),
            next: next.map(str::to_owned),
            total,
        }
    }

    #[test]
    fn cursor_walks_are_checked_end_to_end() {
        let list = json!({"totalResults": 150, "nextCursor": "abc",
                          "Resources": [{"id": "x"}]});
        assert_eq!(
            cursor_page(&list).unwrap(),
            CursorPage {
                ids: vec!["x".to_owned()],
                next: Some("abc".to_owned()),
                total: 150
            }
        );
        assert!(cursor_page(&json!({"Resources": []})).is_err());

        let mut chain = Chain::default();
        assert_eq!(chain.follow(page(0..100, Some("c1"), 150)), Ok(false));
        assert_eq!(chain.next.as_deref(), Some("c1"));
        assert_eq!(chain.follow(page(100..150, None, 150)), Ok(true));
        assert_eq!(chain.next, None, "a complete walk starts over");

        let mut short_walk = Chain::default();
        short_walk.follow(page(0..100, Some("c1"), 250)).unwrap();
        assert!(short_walk.follow(page(100..150, None, 250)).is_err());

        let mut repeated = Chain::default();
        repeated.follow(page(0..100, Some("c1"), 200)).unwrap();
        assert!(repeated.follow(page(99..199, Some("c2"), 200)).is_err());

        let mut not_full = Chain::default();
        assert!(not_full.follow(page(0..99, Some("c1"), 200)).is_err());
    }

    #[test]
    fn members_are_counted() {
        assert_eq!(
            member_count(&json!({"members": [{"value": "a"}, {"value": "b"}]})),
            2
        );
        assert_eq!(member_count(&json!({"id": "g"})), 0);
    }
}
