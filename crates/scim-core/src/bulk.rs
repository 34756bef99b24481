//! Bulk operations (RFC 7644 §3.7): many changes in one request, with
//! `bulkId` references between them.
//!
//! Operations run in dependency order, not strictly in request order: an
//! operation that names `bulkId:x` (in its path or anywhere in its data)
//! waits until the operation that creates `x` has run. Circular references
//! through group `members` are broken as RFC 7644 §3.7.1 shows: a group is
//! created without the members that do not exist yet, and they are added
//! once they do. Any other cycle fails with [`ErrorKind::Conflict`].
//!
//! Each operation is its own transaction: a failure does not undo the
//! operations before it (RFC 7644 §3.7 "disregard partial failures").

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use scim_schema::{BulkOperation, BulkRequest};
use serde_json::Value;

use crate::model::{Member, MemberChange, ResourceKind, StoredResource, TenantScope, parse_etag};
use crate::service::ResourceService;
use crate::{Error, ErrorKind};

/// The prefix of a reference to a resource created in the same request.
const BULK_ID_PREFIX: &str = "bulkId:";

/// Runs bulk requests over the services of each resource kind.
#[derive(Clone)]
pub struct BulkService {
    services: Vec<Arc<ResourceService>>,
}

/// What one operation did, in the order of the request.
#[derive(Debug)]
pub struct BulkOutcome {
    /// The operation's method, upper-cased (`POST`, `PUT`, `PATCH`, `DELETE`)
    /// or as sent when it is none of these.
    pub method: String,
    /// The operation's `bulkId`, if it had one.
    pub bulk_id: Option<String>,
    /// The resource the operation addressed or created, when known: the
    /// HTTP layer turns it into the result's `location`.
    pub target: Option<(ResourceKind, String)>,
    /// The result.
    pub result: Result<BulkDone, Error>,
}

/// A successful operation.
#[derive(Debug)]
pub enum BulkDone {
    /// `POST`: the created resource (or, under the duplicate policy, the
    /// one a retried create found).
    Created(StoredResource),
    /// `PUT` or `PATCH`: the resource after the change.
    Updated(StoredResource),
    /// `DELETE`.
    Deleted,
}

/// An operation's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

/// An operation understood: its method, the service of its resource type
/// and the id in its path (with `bulkId:` references still unresolved).
struct Parsed<'a> {
    method: Method,
    service: &'a ResourceService,
    id: Option<String>,
}

/// A group created without some members because they referred to
/// resources not yet created (a cycle); they are added at the end.
struct Deferred {
    index: usize,
    group_id: String,
    members: Vec<String>,
}

impl BulkService {
    /// A bulk service dispatching to `services`, one per resource kind.
    pub fn new(services: impl IntoIterator<Item = Arc<ResourceService>>) -> Self {
        BulkService {
            services: services.into_iter().collect(),
        }
    }

    /// Runs `request` for `tenant` and reports each operation that ran, in
    /// request order.
    ///
    /// Stops once `failOnErrors` operations have failed; the operations not
    /// run are not reported. A request whose `schemas` do not name the
    /// BulkRequest message fails as a whole with
    /// [`ErrorKind::InvalidSyntax`]. Bounding the number of operations is
    /// the caller's job (the HTTP layer enforces `maxOperations`).
    pub async fn execute(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        request: &BulkRequest,
    ) -> Result<Vec<BulkOutcome>, Error> {
        let tenant = tenant.into();
        if !request.schemas.is_empty()
            && !request
                .schemas
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scim_schema::urn::BULK_REQUEST))
        {
            return Err(Error::new(
                ErrorKind::InvalidSyntax,
                format!(
                    "a bulk request's schemas must include {}",
                    scim_schema::urn::BULK_REQUEST
                ),
            ));
        }
        let operations = &request.operations;
        // Which operation defines each bulkId; a bulkId used twice is an
        // error for the later operation, the first one keeps it.
        let mut defined: HashMap<&str, usize> = HashMap::new();
        let mut results: Vec<Option<BulkOutcome>> = Vec::new();
        results.resize_with(operations.len(), || None);
        for (i, op) in operations.iter().enumerate() {
            if let Some(bulk_id) = op.bulk_id.as_deref() {
                if defined.contains_key(bulk_id) {
                    results[i] = Some(failed(
                        op,
                        None,
                        Error::invalid_value(format!(
                            "bulkId {bulk_id} is used by an earlier operation of this request"
                        )),
                    ));
                } else {
                    defined.insert(bulk_id, i);
                }
            }
        }
        let budget = request.fail_on_errors.map(|n| n.max(1) as usize);
        let mut run = Run {
            resolved: HashMap::new(),
            failed: HashSet::new(),
            errors: results.iter().flatten().count(),
            budget,
            deferred: Vec::new(),
        };
        let references: Vec<Vec<String>> = operations.iter().map(references).collect();
        loop {
            let mut progress = false;
            for (i, op) in operations.iter().enumerate() {
                if results[i].is_some() || run.exhausted() {
                    continue;
                }
                let refs = &references[i];
                if let Some(missing) = refs.iter().find(|r| !defined.contains_key(r.as_str())) {
                    let err = Error::invalid_value(format!(
                        "{BULK_ID_PREFIX}{missing} does not name an operation of this request"
                    ));
                    results[i] = Some(run.finish(op, None, Err(err)));
                    progress = true;
                } else if let Some(gone) = refs.iter().find(|r| run.failed.contains(*r)) {
                    let err = Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "the operation with bulkId {gone} failed, so {BULK_ID_PREFIX}{gone} cannot be resolved"
                        ),
                    );
                    results[i] = Some(run.finish(op, None, Err(err)));
                    progress = true;
                } else if refs.iter().all(|r| run.resolved.contains_key(r)) {
                    results[i] = Some(self.perform(tenant, op, &mut run, None).await);
                    progress = true;
                }
            }
            if progress {
                continue;
            }
            // Stuck: what remains waits on itself. Break one cycle through
            // group members if there is one, else fail what remains.
            let breakable = operations.iter().enumerate().find(|(i, op)| {
                results[*i].is_none() && !run.exhausted() && self.defers_members(op, &run)
            });
            match breakable {
                Some((i, op)) => {
                    results[i] = Some(self.perform(tenant, op, &mut run, Some(i)).await);
                }
                None => break,
            }
        }
        for (i, op) in operations.iter().enumerate() {
            if results[i].is_none() && !run.exhausted() {
                let err = Error::new(
                    ErrorKind::Conflict,
                    "the bulkId references of this operation form a cycle that cannot be resolved",
                );
                results[i] = Some(run.finish(op, None, Err(err)));
            }
        }
        self.add_deferred_members(tenant, &mut run, &mut results)
            .await;
        Ok(results.into_iter().flatten().collect())
    }

    /// Whether `op` creates a group whose only unresolved references are
    /// member values, so that it can be created first and completed later.
    fn defers_members(&self, op: &BulkOperation, run: &Run) -> bool {
        let Ok(parsed) = self.parse(op) else {
            return false;
        };
        if parsed.method != Method::Post || parsed.service.kind() != ResourceKind::Group {
            return false;
        }
        let Some(mut data) = op.data.clone() else {
            return false;
        };
        let members = take_pending_members(&mut data, &run.resolved);
        if members.is_empty() {
            return false;
        }
        let mut rest = HashSet::new();
        collect_references(&data, &mut rest);
        rest.iter().all(|r| run.resolved.contains_key(r))
    }

    /// Runs one operation whose references are resolved. With `defer`, the
    /// operation is a group create whose pending member references are
    /// left out and recorded for later.
    async fn perform(
        &self,
        tenant: TenantScope<'_>,
        op: &BulkOperation,
        run: &mut Run,
        defer: Option<usize>,
    ) -> BulkOutcome {
        let parsed = match self.parse(op) {
            Ok(parsed) => parsed,
            Err(err) => return run.finish(op, None, Err(err)),
        };
        let kind = parsed.service.kind();
        let id = parsed
            .id
            .as_deref()
            .map(|id| substitute_str(id, &run.resolved));
        // A POST has no target until it succeeds (RFC 7644 §3.7.3: no
        // location for a failed POST), whatever its path says.
        let target = id
            .clone()
            .filter(|_| parsed.method != Method::Post)
            .map(|id| (kind, id));
        let mut data = op.data.clone();
        if let (Some(index), Some(body)) = (defer, data.as_mut()) {
            let members = take_pending_members(body, &run.resolved);
            run.deferred.push(Deferred {
                index,
                group_id: String::new(),
                members,
            });
        }
        if let Some(body) = data.as_mut() {
            substitute(body, &run.resolved);
        }
        let result = self
            .dispatch(tenant, &parsed, id.as_deref(), data, op.version.as_deref())
            .await;
        if let Ok(BulkDone::Created(created)) = &result {
            if let Some(deferred) = run.deferred.last_mut().filter(|_| defer.is_some()) {
                deferred.group_id = created.id.clone();
            }
        } else if defer.is_some() {
            run.deferred.pop();
        }
        let target = match &result {
            Ok(BulkDone::Created(created)) => Some((kind, created.id.clone())),
            _ => target,
        };
        run.finish(op, target, result)
    }

    async fn dispatch(
        &self,
        tenant: TenantScope<'_>,
        op: &Parsed<'_>,
        id: Option<&str>,
        data: Option<Value>,
        version: Option<&str>,
    ) -> Result<BulkDone, Error> {
        let expected = match version.map(str::trim) {
            None | Some("") | Some("*") => None,
            Some(tag) => Some(parse_etag(tag).ok_or_else(|| {
                Error::new(
                    ErrorKind::PreconditionFailed,
                    "version does not name a current version of this resource",
                )
            })?),
        };
        let needs_data = || {
            data.clone().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidSyntax,
                    "this operation needs data: the resource or PatchOp body",
                )
            })
        };
        let service = op.service;
        match (op.method, id) {
            (Method::Post, None) => service
                .create(tenant, needs_data()?)
                .await
                .map(BulkDone::Created),
            (Method::Put, Some(id)) => service
                .replace(tenant, id, needs_data()?, expected)
                .await
                .map(BulkDone::Updated),
            (Method::Patch, Some(id)) => service
                .patch(tenant, id, needs_data()?, expected)
                .await
                .map(BulkDone::Updated),
            (Method::Delete, Some(id)) => service
                .delete(tenant, id, expected)
                .await
                .map(|()| BulkDone::Deleted),
            (Method::Post, Some(_)) => Err(Error::new(
                ErrorKind::InvalidSyntax,
                "a POST operation's path must be a resource type endpoint, e.g. /Users",
            )),
            (_, None) => Err(Error::new(
                ErrorKind::InvalidSyntax,
                "a PUT, PATCH or DELETE operation's path must name a resource, e.g. /Users/{id}",
            )),
        }
    }

    /// The method, service and id of an operation, or why it is malformed.
    fn parse(&self, op: &BulkOperation) -> Result<Parsed<'_>, Error> {
        let method = match op.method.trim().to_ascii_uppercase().as_str() {
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidSyntax,
                    format!("method {other:?} is not one of POST, PUT, PATCH or DELETE"),
                ));
            }
        };
        let path = op.path.trim();
        let path = path.strip_prefix('/').unwrap_or(path);
        let (endpoint, id) = match path.split_once('/') {
            Some((endpoint, id)) => (endpoint, Some(id)),
            None => (path, None),
        };
        let service = self
            .services
            .iter()
            .find(|s| {
                let own = &s.resource_type().endpoint;
                own.strip_prefix('/')
                    .unwrap_or(own)
                    .eq_ignore_ascii_case(endpoint)
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!("path {:?} names no resource type of this server", op.path),
                )
            })?;
        let id = match id.map(|id| id.trim_end_matches('/')) {
            None | Some("") => None,
            Some(id) if id.contains('/') => {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("path {:?} is not a resource path", op.path),
                ));
            }
            Some(id) => Some(id.to_owned()),
        };
        Ok(Parsed {
            method,
            service,
            id,
        })
    }

    /// Adds the members left out of groups created while breaking cycles,
    /// now that the resources they name exist, and reports the groups'
    /// final versions.
    async fn add_deferred_members(
        &self,
        tenant: TenantScope<'_>,
        run: &mut Run,
        results: &mut [Option<BulkOutcome>],
    ) {
        let Some(groups) = self
            .services
            .iter()
            .find(|s| s.kind() == ResourceKind::Group)
        else {
            return;
        };
        for deferred in std::mem::take(&mut run.deferred) {
            let members: Vec<Member> = deferred
                .members
                .iter()
                .filter_map(|bulk_id| run.resolved.get(bulk_id).cloned())
                .map(|(kind, id)| Member { id, kind })
                .collect();
            let Some(slot) = results.get_mut(deferred.index).and_then(Option::as_mut) else {
                continue;
            };
            if members.is_empty() {
                continue;
            }
            let changes = [MemberChange::Add(members)];
            slot.result = match groups
                .change_members(tenant.id, &deferred.group_id, &changes, None)
                .await
            {
                Ok(group) => Ok(BulkDone::Created(group)),
                Err(err) => Err(err),
            };
        }
    }
}

/// The state of one bulk request as it runs.
struct Run {
    /// bulkId → the resource its operation created.
    resolved: HashMap<String, (ResourceKind, String)>,
    /// bulkIds whose operation failed.
    failed: HashSet<String>,
    errors: usize,
    budget: Option<usize>,
    deferred: Vec<Deferred>,
}

impl Run {
    /// Whether `failOnErrors` has been reached: no further operation runs.
    fn exhausted(&self) -> bool {
        self.budget.is_some_and(|b| self.errors >= b)
    }

    /// Records an operation's result.
    fn finish(
        &mut self,
        op: &BulkOperation,
        target: Option<(ResourceKind, String)>,
        result: Result<BulkDone, Error>,
    ) -> BulkOutcome {
        match (&result, op.bulk_id.as_deref()) {
            (Ok(BulkDone::Created(created)), Some(bulk_id)) => {
                if let Some((kind, _)) = &target {
                    self.resolved
                        .insert(bulk_id.to_owned(), (*kind, created.id.clone()));
                }
            }
            (Err(_), bulk_id) => {
                self.errors += 1;
                if let Some(bulk_id) = bulk_id {
                    self.failed.insert(bulk_id.to_owned());
                }
            }
            _ => {}
        }
        BulkOutcome {
            method: method_name(op),
            bulk_id: op.bulk_id.clone(),
            target,
            result,
        }
    }
}

/// A failed outcome outside a run (for problems found before it starts).
fn failed(op: &BulkOperation, target: Option<(ResourceKind, String)>, err: Error) -> BulkOutcome {
    BulkOutcome {
        method: method_name(op),
        bulk_id: op.bulk_id.clone(),
        target,
        result: Err(err),
    }
}

fn method_name(op: &BulkOperation) -> String {
    op.method.trim().to_ascii_uppercase()
}

/// The bulkIds an operation refers to, in its path or its data.
fn references(op: &BulkOperation) -> Vec<String> {
    let mut out = HashSet::new();
    for segment in op.path.split('/') {
        if let Some(id) = segment.strip_prefix(BULK_ID_PREFIX) {
            out.insert(id.to_owned());
        }
    }
    if let Some(data) = &op.data {
        collect_references(data, &mut out);
    }
    out.into_iter().collect()
}

fn collect_references(value: &Value, out: &mut HashSet<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                out.insert(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_references(v, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Replaces every `bulkId:x` string whose `x` is resolved by the id.
fn substitute(value: &mut Value, resolved: &HashMap<String, (ResourceKind, String)>) {
    match value {
        Value::String(s) => {
            if let Some((_, id)) = s
                .strip_prefix(BULK_ID_PREFIX)
                .and_then(|bulk_id| resolved.get(bulk_id))
            {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, resolved)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, resolved)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A path with `bulkId:x` segments replaced by the ids they resolve to.
fn substitute_str(path: &str, resolved: &HashMap<String, (ResourceKind, String)>) -> String {
    match path
        .strip_prefix(BULK_ID_PREFIX)
        .and_then(|bulk_id| resolved.get(bulk_id))
    {
        Some((_, id)) => id.clone(),
        None => path.to_owned(),
    }
}

/// Removes from a group body the members whose value is an unresolved
/// `bulkId:` reference, and returns those bulkIds.
fn take_pending_members(
    body: &mut Value,
    resolved: &HashMap<String, (ResourceKind, String)>,
) -> Vec<String> {
    let Some(members) = body
        .as_object_mut()
        .and_then(|map| {
            map.iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case("members"))
                .map(|(_, v)| v)
        })
        .and_then(Value::as_array_mut)
    else {
        return Vec::new();
    };
    let mut pending = Vec::new();
    members.retain(|member| {
        let reference = member
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")))
            .and_then(|(_, v)| v.as_str())
            .and_then(|v| v.strip_prefix(BULK_ID_PREFIX));
        match reference {
            Some(bulk_id) if !resolved.contains_key(bulk_id) => {
                pending.push(bulk_id.to_owned());
                false
            }
            _ => true,
        }
    });
    pending
}

#[cfg(test)]
mod tests;
